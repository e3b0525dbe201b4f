"""The hand-off as the gateway sees it: an escalation keeps the student's number encrypted while
the case is open; a claim keeps the bot quiet for that student (their messages still land in the
thread) until the case is handled or HANDOFF_PAUSE_HOURS pass; "delete my data" and `purge` leave
no number. And feedback: a 👎 after an answer is recorded against it, never answered."""

import asyncio
from datetime import timedelta

from prometheus_client import REGISTRY
from sqlalchemy import func, select, update

from collegebot.asker import reply_text
from collegebot.privacy import NumberCipher
from collegebot.settings import NumberEncryptionSettings
from collegebot.store import Store, sync_engine
from collegebot.store.models import Conversation, Escalation, utcnow
from collegebot.store.staff_queries import case_thread, cases, claim_case, handle_case
from tests.gateway.conftest import form, send, settle

QUESTION = "What is the hostel fee per semester?"


def engine_of(env):
    return sync_engine(f"sqlite:///{env / 'collegebot.db'}")


def escalation(engine, sender_hash: str) -> Escalation:
    with engine.connect() as c:
        return c.execute(select(Escalation).where(Escalation.sender_hash == sender_hash)).one()


def ask_for_a_person(client, sender: str) -> str:
    """The student asks for a person; returns their pseudonym."""
    assert "member of staff" in reply_text(
        send(client, form("talk to a human", sender=sender)).text
    )
    settle(client)
    return client.app.state.gateway.pseudonyms.hash(sender)


def test_a_claimed_case_keeps_the_bot_quiet_until_handled(gateway, env) -> None:
    client, engine, sender = gateway(), engine_of(env), "+919855510001"
    student = ask_for_a_person(client, sender)
    case = escalation(engine, student)
    assert case.status == "open" and sender not in case.number_encrypted
    cipher = NumberCipher.from_settings(NumberEncryptionSettings())
    assert cipher.decrypt(case.number_encrypted) == sender
    assert [c.escalation.id for c in cases(engine)] == [case.id]

    assert claim_case(engine, case.id, "Asha Rao")
    assert not claim_case(engine, case.id, "Ravi")  # one member of staff has it
    quiet = send(client, form(QUESTION, sender=sender))
    assert quiet.status_code == 200 and reply_text(quiet.text) == ""
    assert quiet.headers["X-Collegebot-Outcome"] == "paused"
    assert "42,000" in reply_text(send(client, form(QUESTION)).text)  # only that student
    settle(client)
    thread = case_thread(engine, student)
    assert [(e.who, e.text, e.detail) for e in thread] == [
        ("case", "Asked for a person", "claimed"),
        ("student", QUESTION, "paused"),
    ]

    assert handle_case(engine, case.id, "Asha Rao")
    done = escalation(engine, student)
    assert (done.status, done.handled_by, done.number_encrypted) == ("handled", "Asha Rao", "")
    assert done.claimed_by == "Asha Rao" and done.claimed_at <= done.handled_at
    assert "42,000" in reply_text(send(client, form(QUESTION, sender=sender)).text)
    engine.dispose()


def test_the_pause_ends_when_the_configured_time_has_passed(gateway, env) -> None:
    client, engine, sender = gateway(HANDOFF_PAUSE_HOURS="2"), engine_of(env), "+919855510002"
    student = ask_for_a_person(client, sender)
    assert claim_case(engine, escalation(engine, student).id, "Asha Rao")
    assert reply_text(send(client, form(QUESTION, sender=sender)).text) == ""
    with engine.begin() as c:  # claimed three hours ago and never marked handled
        c.execute(update(Escalation).values(claimed_at=utcnow() - timedelta(hours=3)))
    assert "42,000" in reply_text(send(client, form(QUESTION, sender=sender)).text)
    engine.dispose()


def test_delete_my_data_and_purge_leave_no_number(gateway, env) -> None:
    client, engine = gateway(), engine_of(env)
    erased = ask_for_a_person(client, "+919855510003")
    send(client, form("delete my data", sender="+919855510003"))
    settle(client)
    send(client, form("confirm delete", sender="+919855510003"))
    settle(client)
    with engine.connect() as c:
        assert c.execute(select(Escalation).where(Escalation.sender_hash == erased)).all() == []

    old = ask_for_a_person(client, "+919855510004")
    with engine.begin() as c:
        c.execute(
            update(Escalation)
            .where(Escalation.sender_hash == old)
            .values(created_at=utcnow() - timedelta(days=40))
        )

    async def purge() -> int:
        store = Store(f"sqlite:///{env / 'collegebot.db'}")
        try:
            return await store.purge(timedelta(days=30))
        finally:
            await store.close()

    assert asyncio.run(purge()) >= 1
    with engine.connect() as c:
        assert c.execute(select(Escalation.number_encrypted)).all() == []
    engine.dispose()


def feedback_total() -> float:
    name = "collegebot_gateway_feedback_total"
    return REGISTRY.get_sample_value(name, {"verdict": "unhelpful"}) or 0.0


def test_a_thumbs_down_marks_the_previous_answer_and_is_not_answered(gateway, env, counted):
    client, engine, sender = gateway(), engine_of(env), "+919855510005"
    assert "42,000" in reply_text(send(client, form(QUESTION, sender=sender)).text)
    asked, before = counted["llm"].calls["Respond"], feedback_total()
    for verdict in ("👎🏽", "not helpful!", "Wrong"):
        reply = send(client, form(verdict, sender=sender))
        assert "didn't help" in reply_text(reply.text)
        assert reply.headers["X-Collegebot-Outcome"] == "command_feedback"
    assert counted["llm"].calls["Respond"] == asked  # never taken for a question
    assert feedback_total() == before + 3
    settle(client)
    with engine.connect() as c:
        rows = c.execute(select(Conversation.question, Conversation.feedback)).all()
    assert rows == [(QUESTION, "unhelpful")]  # the answer, once; the verdicts are no turns

    # With no answer before it, a verdict marks nothing.
    send(client, form("👎", sender="+919855510006"))
    settle(client)
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(Conversation)).scalar() == 1
    engine.dispose()
