"""Answers later than the time budget go by Twilio's REST API (a local stand-in of its Messages
resource that checks requests as Twilio does); gRPC retries a call refused by a restarting pod."""

import asyncio
import sqlite3
import time

import pytest

from collegebot.asker import reply_text
from tests.gateway.conftest import ACCOUNT, TOKEN, form, send, settle
from tests.servers import TwilioMessagesStandIn

FROM = "whatsapp:+14155238886"


@pytest.fixture
def twilio_api():
    standin = TwilioMessagesStandIn(ACCOUNT, TOKEN, fail_first=1)  # one 500: retried
    yield standin
    standin.close()


def test_a_late_answer_gets_empty_twiml_at_once_then_arrives_by_rest(
    gateway, counted, twilio_api, env
) -> None:
    client = gateway(
        REPLY_BUDGET_S="0.3",
        TWILIO_ACCOUNT_SID=ACCOUNT,
        TWILIO_WHATSAPP_FROM=FROM,
        TWILIO_API_BASE_URL=twilio_api.url,
    )
    counted["llm"].delay_s = 1.5
    params = form("What is the hostel fee per semester?", sender="+919844400001")
    started = time.monotonic()
    response = send(client, params)
    answered_in = time.monotonic() - started
    assert response.status_code == 200 and reply_text(response.text) == ""
    assert answered_in < counted["llm"].delay_s  # the webhook did not wait for the llm
    assert "<Message>" not in response.text
    # A Twilio retry of the same message meanwhile gets nothing more.
    assert "<Message>" not in send(client, params).text
    deadline = time.monotonic() + 10
    while not twilio_api.sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert twilio_api.refused == [] and twilio_api.fail_first == 0  # its 500 was retried
    [message] = twilio_api.sent
    assert message["To"] == "whatsapp:+919844400001" and message["From"] == FROM
    assert "42,000" in message["Body"]
    client.portal.call(_tasks_done, client)
    settle(client)
    with sqlite3.connect(env / "collegebot.db") as db:
        status = db.execute("SELECT status FROM deliveries").fetchall()
        turns = db.execute("SELECT answer FROM conversations").fetchall()
    assert status == [("sent_later",)] and "42,000" in turns[0][0]
    assert counted["llm"].calls["Respond"] == 1


async def _tasks_done(client) -> None:
    tasks = client.app.state.gateway.tasks
    if tasks:
        await asyncio.wait(tasks)


def test_without_rest_credentials_the_webhook_waits_for_the_answer(gateway, counted) -> None:
    client = gateway(REPLY_BUDGET_S="0.2")
    counted["llm"].delay_s = 0.6
    response = send(client, form("library timings on weekdays"))
    assert "8:00 am" in reply_text(response.text)


def test_a_call_refused_by_a_restarting_service_is_retried(gateway, counted) -> None:
    client = gateway()
    counted["rag"].fail_next = 1
    counted["llm"].fail_next = 1
    response = send(client, form("library timings on weekdays"))
    assert "8:00 am" in reply_text(response.text)
    assert counted["rag"].calls["Retrieve"] == 2 and counted["llm"].calls["Respond"] == 2
