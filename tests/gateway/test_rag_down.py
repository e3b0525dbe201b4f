"""Rag is down, llm is up: what the llm knows without the handbook still reaches the student
(an emergency, a greeting, a hand-off); a question it cannot answer without passages gets the
"can't reach the handbook" reply, so the student knows to try again."""

import sqlite3

from collegebot.asker import reply_text
from tests.gateway.conftest import form, send, settle

NOWHERE = "127.0.0.1:1"  # nothing listens there


def test_an_emergency_gets_contacts_and_an_urgent_escalation_while_rag_is_down(
    gateway, counted, env
) -> None:
    client = gateway(RAG_ADDRESS=NOWHERE)
    asked = {
        "my friend collapsed in the hostel and is not breathing, help": "+919844400001",
        "hi": "+919844400002",
        "What is the hostel fee per semester?": "+919844400003",
    }
    replies = {
        body: reply_text(send(client, form(body, sender=sender)).text)
        for body, sender in asked.items()
    }
    emergency, greeting, question = replies.values()
    assert "emergency" in emergency and "can't reach" not in emergency, emergency
    assert "Hello" in greeting and "can't reach" not in greeting, greeting
    assert "can't reach the college handbook" in question, question
    assert counted["llm"].calls["Respond"] == len(asked)  # the llm was asked every time

    settle(client)
    with sqlite3.connect(env / "collegebot.db") as db:
        escalations = db.execute("SELECT reason FROM escalations").fetchall()
        turns = db.execute(
            "SELECT question, status, generator, escalated FROM conversations ORDER BY question"
        ).fetchall()
        events = db.execute("SELECT event, detail FROM system_logs").fetchall()
    assert escalations == [("urgent",)]
    assert sorted(turns) == sorted(
        [
            ("What is the hostel fee per semester?", "degraded", "unavailable", 0),
            ("hi", "degraded", "canned", 0),
            # An emergency does not wait on retrieval: the llm asks for the contacts itself.
            (
                "my friend collapsed in the hostel and is not breathing, help",
                "answered",
                "emergency",
                1,
            ),
        ]
    )
    assert events == [("dependency_unavailable", "UNAVAILABLE")] * 2
