"""The offline answerer: sentences from the passages, short, sourced, abstaining when unsure."""

from collegebot.v1.common_pb2 import Passage
from services.llm.answerer import MAX_CHARS, compose

FEES = Passage(
    text="1. The last date to pay fees for the odd semester is Friday, 31 July 2026. "
    "2. A late fee of Rs. 100 per day is charged after the last date. "
    "3. Fees can be paid online through the student portal.",
    source="fees.md",
    section="Fees > Deadlines",
    score=0.7,
)
LIBRARY = Passage(
    text="The library is open from 8:00 am to 10:00 pm on weekdays.",
    source="library.md",
    section="Library > Timings",
    score=0.4,
)


def test_it_picks_the_sentence_that_answers_and_names_its_passage() -> None:
    answer = compose("last date to pay fees?", [FEES, LIBRARY], relevant=True)
    assert not answer.abstained
    assert "31 July 2026" in answer.text
    assert "8:00 am" not in answer.text
    assert [p.source for p in answer.used] == ["fees.md"]


def test_every_sentence_comes_from_a_passage_and_the_answer_is_short() -> None:
    long_passage = Passage(
        text=" ".join(f"Hostel rule {i} says fees are due on day {i}." for i in range(60)),
        source="hostel.md",
        score=0.6,
    )
    answer = compose("hostel fees due", [long_passage], relevant=True)
    assert 0 < len(answer.text) <= MAX_CHARS + 2
    for sentence in answer.text.split(". "):
        assert sentence.rstrip(".") in long_passage.text


def test_it_abstains_when_retrieval_found_nothing_relevant() -> None:
    assert compose("capital of france", [LIBRARY], relevant=False).abstained
    assert compose("anything", [], relevant=True).abstained
