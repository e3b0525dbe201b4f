"""A follow-up is read with the previous turn; an unrelated next question is answered on its own
(issue 14), through the real rag and llm servers over data/."""

import json
from pathlib import Path

import grpc
import pytest

from collegebot.followup import depends_on_previous, relevant_history
from collegebot.v1 import common_pb2, llm_pb2, llm_pb2_grpc, rag_pb2, rag_pb2_grpc

FOLLOWUPS = Path(__file__).parents[1] / "eval" / "followups.jsonl"


@pytest.mark.parametrize(
    "message",
    [
        "and for the hostel?",
        "when is it due?",
        "who do i contact for that",
        "for how many days?",
        "uski fees lagti hai kya?",
        "pg ke liye kitna?",
        "what about sunday",
        "and mtech?",
        "timings?",  # a property with no thing of its own
        "on weekends?",  # a fragment that qualifies the last question
        "raat ko?",
        "originals or photocopies?",  # a choice about something unnamed
        "medical ho toh?",
        "is it compulsory?",  # "it" with nothing after it
        "where is her cabin",
        "do i need to book one?",
        "ok and do i pay it with tuition or separately",  # an acknowledgement, then a follow-up
    ],
)
def test_a_message_that_leans_on_the_last_turn_is_a_follow_up(message: str) -> None:
    assert depends_on_previous(message)


@pytest.mark.parametrize(
    "message",
    [
        "what's the capital of France",
        "thanks!",
        "ok got it 👍",
        "good morning",
        "is it true the library is open 24x7?",
        "mess menu for this week?",
        "what is the minimum attendance to sit exams",
        "hostel me wifi ka password kya hai",
        "canteen menu?",  # a thing and what is asked of it
        "thank you bhaiya",
        "hello? is anyone there",
        "is it compulsory to wear id cards",  # "it" that points at the rest of the sentence
        "is there a counsellor available on saturdays",
        "is kvc connect down right now? it's not loading",  # "it" with a topic of its own
    ],
)
def test_a_message_that_stands_on_its_own_is_not(message: str) -> None:
    assert not depends_on_previous(message)
    assert relevant_history(message, ["how do i connect to hostel wifi"]) == []


def test_the_rule_on_the_dev_split_of_the_follow_up_pairs() -> None:
    if not FOLLOWUPS.exists():
        pytest.skip(f"{FOLLOWUPS} is not in this checkout yet")
    rows = [json.loads(line) for line in FOLLOWUPS.read_text().splitlines() if line.strip()]
    dev = [r for r in rows if r["split"] == "dev"]
    right = sum(depends_on_previous(r["message"], r["previous"]) == r["follow_up"] for r in dev)
    assert right / len(dev) >= 0.9, right


def _ask(rag_server, llm_server, question: str, earlier: list[common_pb2.Turn]):
    with grpc.insecure_channel(rag_server.address) as channel:
        found = rag_pb2_grpc.RagStub(channel).Retrieve(
            rag_pb2.RetrieveRequest(query=question, k=5, history=earlier), timeout=10
        )
    with grpc.insecure_channel(llm_server.address) as channel:
        return found, llm_pb2_grpc.LlmStub(channel).Respond(
            llm_pb2.RespondRequest(
                question=question,
                passages=found.passages,
                relevant=found.relevant,
                history=earlier,
            ),
            timeout=10,
        )


WIFI = common_pb2.Turn(
    question="what are the wifi password rules",
    answer="Passwords must be at least 12 characters and changed every 180 days.",
)


def test_an_unrelated_question_after_a_wifi_one_is_answered_on_its_own(
    rag_server, llm_server
) -> None:
    alone, reply_alone = _ask(rag_server, llm_server, "what's the capital of France", [])
    after, reply = _ask(rag_server, llm_server, "what's the capital of France", [WIFI])
    assert reply.abstained and "password" not in reply.answer.lower(), reply.answer
    # rag read it alone too: the same passages as with no earlier turn.
    assert [p.chunk_id for p in after.passages] == [p.chunk_id for p in alone.passages]


def test_a_follow_up_still_uses_the_previous_turn(rag_server, llm_server) -> None:
    earlier = [common_pb2.Turn(question="library timings", answer="8:00 am to 10:00 pm")]
    alone, _ = _ask(rag_server, llm_server, "and on friday?", [])
    after, reply = _ask(rag_server, llm_server, "and on friday?", earlier)
    assert [p.chunk_id for p in after.passages] != [p.chunk_id for p in alone.passages]
    assert any("library" in p.text.lower() for p in after.passages[:2])
    assert not reply.abstained, reply.answer


def test_no_answer_repeats_a_sentence_or_a_contact() -> None:
    from services.llm.answerer import compose

    repeated = "Contact the warden at 98765 43210 or warden@kvc.edu.in."
    first = common_pb2.Passage(
        text=f"The hostel fee is Rs. 64,000 per semester. {repeated}",
        source="hostel.md",
        score=0.7,
    )
    second = common_pb2.Passage(
        text=f"{repeated} The hostel fee covers the room. Call +91-9876543210 for fees.",
        source="hostel.md",
        score=0.65,
    )
    answer = compose("hostel fee warden contact", [first, second], relevant=True)
    assert not answer.abstained
    assert answer.text.count("warden@kvc.edu.in") == 1, answer.text
    assert answer.text.count("98765 43210") + answer.text.count("9876543210") == 1, answer.text
