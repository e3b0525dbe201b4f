"""An emergency is never silenced: every rule or failure that can leave a message unanswered (the
rate limit, the hand-off pause, the length limit, rag, llm or the store down, a repeated
delivery) still gives a student in crisis the emergency numbers and staff an urgent escalation."""

import re
import sqlite3

import psycopg

from collegebot.asker import reply_text
from collegebot.store import sync_engine
from collegebot.store.staff_queries import claim_case
from tests.conftest import DATA
from tests.gateway.conftest import answered_within, cluster_pids, form, frozen, send, settle

NOWHERE = "127.0.0.1:1"  # nothing listens there
CRISIS = "i feel like ending my life"
# A phone number of three digits or more ("181", "14416", "+91 98220 40100"), not a "24x7".
NUMBER = re.compile(r"(?<![\w.,])\+?\d[\d \-]{1,16}\d(?![\w,])")
KNOWN_NUMBERS = {
    re.sub(r"\D", "", n)
    for f in DATA.iterdir()
    if f.suffix in (".md", ".txt")
    for n in NUMBER.findall(f.read_text())
}


def assert_emergency_reply(text: str, from_documents: bool = True) -> None:
    """Help now, the numbers the college's documents give (each once), and staff will follow."""
    assert "flagged this conversation" in text, text
    numbers = [re.sub(r"\D", "", n) for n in NUMBER.findall(text)]
    assert numbers and len(numbers) == len(set(numbers)), text  # no helpline twice
    if from_documents:
        assert set(numbers) <= KNOWN_NUMBERS, text  # no invented number


def urgent_escalations(env) -> int:
    with sqlite3.connect(env / "collegebot.db") as db:
        return db.execute("SELECT count(*) FROM escalations WHERE reason = 'urgent'").fetchone()[0]


def use_up_the_limit(client, sender: str, limit: int) -> None:
    for i in range(limit):
        send(client, form(f"library timings q{i}", sender=sender))
    told = reply_text(send(client, form("one more question", sender=sender)).text)
    assert told.startswith("You're sending messages faster"), told


def hand_to_staff(client, env, sender: str) -> None:
    """The student asks for a person and a member of staff takes the case: the bot pauses."""
    send(client, form("talk to a human", sender=sender))
    settle(client)
    engine = sync_engine(f"sqlite:///{env / 'collegebot.db'}")
    with sqlite3.connect(env / "collegebot.db") as db:
        (case,) = db.execute("SELECT id FROM escalations WHERE reason != 'urgent'").fetchone()
    assert claim_case(engine, case, "Asha")


def test_a_throttled_student_in_crisis_still_gets_help_every_time(gateway, env) -> None:
    client = gateway(RATE_LIMIT_PER_SENDER="3/minute")
    sender = "+919855500001"
    use_up_the_limit(client, sender, 3)
    assert reply_text(send(client, form("and another", sender=sender)).text) == ""  # ignored

    for crisis in (CRISIS, "please, my roommate collapsed and is not breathing"):
        assert_emergency_reply(reply_text(send(client, form(crisis, sender=sender)).text))
    settle(client)
    assert urgent_escalations(env) == 2


def test_a_paused_conversation_stays_quiet_except_for_an_emergency(gateway, env) -> None:
    client = gateway()
    sender = "+919855500002"
    hand_to_staff(client, env, sender)

    quiet = send(client, form("What is the hostel fee per semester?", sender=sender))
    assert quiet.status_code == 200 and reply_text(quiet.text) == ""
    assert_emergency_reply(reply_text(send(client, form(CRISIS, sender=sender)).text))
    other = reply_text(send(client, form("What is the hostel fee per semester?")).text)
    assert "42,000" in other  # only that student is paused

    settle(client)
    with sqlite3.connect(env / "collegebot.db") as db:
        kept = db.execute("SELECT status FROM conversations WHERE question LIKE 'What is%'")
        assert sorted(s for (s,) in kept) == ["answered", "paused"]  # staff see the message
    assert urgent_escalations(env) == 1


def test_an_emergency_in_a_message_too_long_to_answer_is_answered(gateway) -> None:
    client = gateway()
    long = "sorry for the long message. " * 200 + CRISIS
    assert len(long) > 4096
    assert_emergency_reply(reply_text(send(client, form(long)).text))


def test_with_the_llm_down_the_gateway_gives_the_documents_numbers(gateway, counted, env) -> None:
    client = gateway(LLM_ADDRESS=NOWHERE)
    text = reply_text(send(client, form(CRISIS)).text)
    assert_emergency_reply(text)
    assert counted["rag"].calls["Retrieve"] >= 1  # the gateway asked the knowledge base itself
    settle(client)
    assert urgent_escalations(env) == 1


def test_with_the_llm_hung_the_emergency_does_not_wait_for_it(gateway, counted) -> None:
    client = gateway()
    counted["llm"].delay_s = 30  # every call waits longer than any deadline: a hung llm
    response = answered_within(10, client, form(CRISIS))
    assert_emergency_reply(reply_text(response.text))


def test_with_rag_and_llm_down_the_help_desk_is_named(gateway, env) -> None:
    client = gateway(LLM_ADDRESS=NOWHERE, RAG_ADDRESS=NOWHERE)
    text = reply_text(send(client, form(CRISIS)).text)
    assert "flagged this conversation" in text and "Help Desk" in text, text
    settle(client)
    assert urgent_escalations(env) == 1


def test_with_the_store_down_the_emergency_is_answered_and_escalated_later(
    gateway, database
) -> None:
    client = gateway(DATABASE_URL=database.url())
    database.stop()
    try:
        assert_emergency_reply(reply_text(answered_within(20, client, form(CRISIS)).text))
    finally:
        database.start()
    settle(client)
    with psycopg.connect(database.url()) as connection:
        rows = connection.execute("SELECT reason FROM escalations").fetchall()
    assert rows == [("urgent",)]


def test_a_repeated_emergency_gets_the_same_help_once(gateway, counted, env) -> None:
    client = gateway()
    params = form(CRISIS)
    first = reply_text(send(client, params).text)
    again = reply_text(send(client, params).text)
    assert_emergency_reply(first)
    assert again == first
    assert counted["llm"].calls["Respond"] == 1
    settle(client)
    assert urgent_escalations(env) == 1


def test_an_emergency_claimed_by_a_replica_that_died_is_answered_on_redelivery(
    gateway, env
) -> None:
    """Another replica claimed the MessageSid and never replied (killed mid-answer): a repeat of
    an ordinary question waits and stays empty (it may still come from there), an emergency is
    answered here rather than risk nobody answering it."""
    client = gateway(REPLY_BUDGET_S="1")
    store = client.app.state.gateway.store
    crisis, question = form(CRISIS), form("What is the hostel fee per semester?")
    for params in (crisis, question):
        assert client.portal.call(store.claim, params["MessageSid"], "elsewhere", "question")
    assert reply_text(send(client, question).text) == ""
    assert_emergency_reply(reply_text(send(client, crisis).text))


def test_a_frozen_store_does_not_delay_the_emergency_past_twilios_limit(gateway, database) -> None:
    client = gateway(DATABASE_URL=database.url())
    with frozen(*cluster_pids(database)):
        response = answered_within(14, client, form(CRISIS))
    assert_emergency_reply(reply_text(response.text))


DESCRIBED = "my friend is lying in the corridor and his eyes keep rolling back"


def test_an_emergency_the_rules_miss_is_recognised_by_meaning(gateway, env) -> None:
    from collegebot.emergency import screen

    described = DESCRIBED
    assert screen(described) == ""  # no rule names it: rag's sense of meaning must
    client = gateway()
    assert_emergency_reply(reply_text(send(client, form(described)).text))
    ordinary = reply_text(send(client, form("What is the hostel fee per semester?")).text)
    assert "flagged this conversation" not in ordinary and "42,000" in ordinary
    settle(client)
    assert urgent_escalations(env) == 1


def test_an_emergency_the_rules_miss_is_not_held_back_by_a_rule(gateway, env) -> None:
    """Throttled, paused or too long: the message is read by meaning before it is held back."""
    client = gateway(RATE_LIMIT_PER_SENDER="2/minute")
    throttled = "+919855500011"
    use_up_the_limit(client, throttled, 2)
    assert_emergency_reply(reply_text(send(client, form(DESCRIBED, sender=throttled)).text))

    paused = "+919855500012"
    hand_to_staff(client, env, paused)
    assert reply_text(send(client, form("bus timings please", sender=paused)).text) == ""
    assert_emergency_reply(reply_text(send(client, form(DESCRIBED, sender=paused)).text))

    long = "sorry for the long message, I did not know whom to ask. " * 80 + DESCRIBED
    assert_emergency_reply(reply_text(send(client, form(long)).text))
    settle(client)
    assert urgent_escalations(env) == 3
