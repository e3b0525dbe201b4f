"""Offline labels: topics, greetings, emergencies, sentiment."""

import pytest

from services.llm.classify import classify


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("hostel room kitna ka hai", "hostel"),
        ("when is the last date to pay fees", "fees"),
        ("library timings on sunday?", "library"),
        ("wifi not connecting on my laptop", "it_services"),
        ("hi", "greeting"),
        ("thanks a lot", "thanks"),
        ("i want to talk to a human", "human_request"),
        ("what is the meaning of life", "other"),
    ],
)
def test_intents(message: str, intent: str) -> None:
    assert classify(message).intent == intent


@pytest.mark.parametrize(
    "message",
    [
        "I want to end my life",
        "my roommate is unconscious",
        "seniors are ragging me every night",
        "pls help me",
        "help, my friend is stuck in the lift",
        "emergency! smoke coming out of the lab",
    ],
)
def test_emergencies_are_critical(message: str) -> None:
    assert classify(message).urgency == "critical"


def test_ordinary_questions_are_not_critical_and_sentiment_has_a_sign() -> None:
    assert classify("when does the library open").urgency == "normal"
    assert (
        classify("this is the worst, my fees problem is still not solved").sentiment == "negative"
    )
    assert classify("great, thanks, very helpful").sentiment == "positive"


@pytest.mark.parametrize(
    "message", ["help me with the hostel fee per semester", "can you help me find the exam form"]
)
def test_asking_for_help_with_something_is_a_question_not_a_cry(message: str) -> None:
    assert classify(message).urgency != "critical"


@pytest.mark.parametrize(
    "message",
    [
        "does the college have an emergency fund for students struggling with money",
        "is there emergency financial aid if my father loses his job",
        "stuck in traffic, will I be let into the exam hall late",
        "I feel stuck in this course and want to change branch",
    ],
)
def test_words_of_an_emergency_in_an_ordinary_question_are_not_one(message: str) -> None:
    assert classify(message).urgency != "critical"


def test_an_emergency_sensed_elsewhere_is_answered_with_its_own_helplines() -> None:
    # rag may name a fine kind ("overdose"): the reply's helplines are the mental-health ones,
    # and a kind the replies do not know gets campus security's rather than none.
    assert classify("can you tell me the time", "overdose").emergency == "self_harm"
    assert classify("can you tell me the time", "gas").emergency == "safety"
    assert classify("can you tell me the time", "").emergency == ""
