"""How collegebot.emergency reads a message: hyperbole stays calm, a real sign still counts, a
third party's emergency is caught, and meaning weighs several neighbours, not one."""

import pytest

from collegebot import emergency
from collegebot.emergency import closeness, screen, semantic_kind

THINGS = ("this assignment", "the lab viva", "this semester", "my back")
SCORES = ("my grades", "my cgpa", "my results")
DEVICES = ("my laptop", "my phone", "the charger")


@pytest.mark.parametrize("score", SCORES)
def test_scores_on_fire_are_good_news(score: str) -> None:
    assert screen(f"{score} are on fire this sem") == ""


@pytest.mark.parametrize("device", DEVICES)
def test_a_thing_on_fire_is_a_fire_not_an_idiom(device: str) -> None:
    assert screen(f"{device} is on fire") == "safety"


@pytest.mark.parametrize("thing", THINGS)
def test_a_bad_day_beside_a_weak_word_stays_calm_only_when_it_is_the_idiom(thing: str) -> None:
    # "hurt" alone is a cry; the idiom around it is blanked, not the rest of the message
    assert screen(f"{thing} is killing me") == ""
    assert screen(f"{thing} is killing me and i am hurt") == "medical"


@pytest.mark.parametrize("thing", THINGS)
def test_a_real_sign_beside_an_idiom_still_counts(thing: str) -> None:
    assert screen(f"{thing} is killing me but my roommate is not breathing") == "medical"


@pytest.mark.parametrize("who", ("my roommate", "a guy in my wing", "the girl next door"))
def test_a_third_partys_signs_are_caught(who: str) -> None:
    assert screen(f"{who} passed out in the corridor") == "medical"
    assert screen(f"{who} has a cut and the bleeding won't stop") == "medical"
    assert screen(f"a stranger is banging on the door, {who} is alone inside") == "safety"


@pytest.mark.parametrize("favour", ("spend the weekend with him", "meet him alone"))
def test_a_favour_for_a_signature_is_harassment(favour: str) -> None:
    assert screen(f"my guide won't sign my form unless i {favour}") == "harassment"


def test_a_joke_emoji_makes_a_medical_word_hyperbole_but_never_self_harm() -> None:
    assert screen("the viva was brutal, still bleeding 💀") == ""
    assert screen("i want to kill myself 💀") == "self_harm"


def test_meaning_takes_no_past_event_or_joke_for_an_emergency_now_except_self_harm() -> None:
    strong = {"safety": 0.9, "self_harm": 0.1}
    assert semantic_kind(strong, 0.1, "smoke near the canteen")[0] == "safety"
    assert semantic_kind(strong, 0.1, "smoke near the canteen last monsoon")[0] == ""
    assert semantic_kind(strong, 0.1, "smoke near the canteen lol")[0] == ""
    assert semantic_kind({"self_harm": 0.9}, 0.1, "i wont be here tomorrow lol")[0] == "self_harm"


def test_a_question_about_a_procedure_must_be_closer_to_read_as_an_emergency() -> None:
    between = (emergency.SIMILAR_AT_LEAST + emergency.ASKING_NEEDS) / 2
    assert emergency.SIMILAR_AT_LEAST < emergency.ASKING_NEEDS
    assert semantic_kind({"safety": between}, 0.0, "smoke in the lab")[0] == "safety"
    assert semantic_kind({"safety": between}, 0.0, "what is the procedure for smoke")[0] == ""


def test_nearer_to_calm_than_to_any_emergency_is_calm() -> None:
    assert semantic_kind({"medical": 0.8}, 0.8, "my friend is not well")[0] == ""


def test_one_lucky_neighbour_weighs_less_than_several_close_ones() -> None:
    if emergency.NEAREST < 2:
        pytest.skip("meaning reads one neighbour only")
    near, _ = closeness([0.9, 0.1, 0.1, 0.6, 0.6, 0.6], ["a", "a", "a", "b", "b", "b"], [0.2, 0.1])
    assert near["b"] > near["a"]
    assert max(near.values()) < 0.9
