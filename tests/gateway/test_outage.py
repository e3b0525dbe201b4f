"""A store outage: students are still answered, records wait in a bounded queue (a metric counts
them) and are written once PostgreSQL is back. PostgreSQL really stops and starts mid-run."""

import logging
import time

import psycopg
from prometheus_client import REGISTRY

from collegebot.asker import reply_text
from tests.gateway.conftest import form, send
from tests.gateway.test_logs import assert_private
from tests.servers import Postgres


def pending() -> float:
    return REGISTRY.get_sample_value("collegebot_gateway_records_pending") or 0.0


def stored_sids(database: Postgres) -> set[str]:
    with psycopg.connect(database.url()) as connection:
        rows = connection.execute(
            "SELECT c.message_sid FROM conversations c JOIN deliveries d USING (message_sid) "
            "WHERE d.status = 'replied'"
        ).fetchall()
    return {sid for (sid,) in rows}


def test_students_are_answered_while_the_store_is_down_and_nothing_is_lost(
    gateway, database, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    client = gateway(DATABASE_URL=database.url())
    waiting = pending()  # the gauge is per process: other tests' gateways may have left some
    before = form("library timings on weekdays")
    assert "8:00 am" in reply_text(send(client, before).text)

    database.stop()
    during = [
        form(q, sender=f"+91980000100{i}")
        for i, q in enumerate(
            ["What is the hostel fee per semester?", "wifi name?", "library timings on weekdays"]
        )
    ]
    for params, fact in zip(during, ["42,000", "KVC-Students", "8:00 am"], strict=True):
        response = send(client, params)
        assert response.status_code == 200 and fact in reply_text(response.text)
    assert pending() >= waiting + len(during), pending()  # waiting, counted, not dropped

    database.start()
    deadline = time.monotonic() + 30
    while pending() > waiting and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pending() == waiting, pending()
    expected = {p["MessageSid"] for p in [before, *during]}
    assert stored_sids(database) == expected
    # What was logged about the outage names no student and quotes no message.
    assert "store unavailable" in caplog.text
    assert_private(caplog.text, [p["Body"] for p in during])
    assert all(p["From"].removeprefix("whatsapp:") not in caplog.text for p in during)


def test_a_repeat_while_the_store_is_down_gets_the_first_reply_not_a_second_answer(
    gateway, database, counted
) -> None:
    """The MessageSid cannot be claimed while the store is down; the record waiting to be
    written still knows the reply, so a redelivery is not answered again."""
    client = gateway(DATABASE_URL=database.url())
    database.stop()
    params = form("What is the hostel fee per semester?")
    first, again = send(client, params), send(client, params)
    assert "42,000" in reply_text(first.text) and again.text == first.text
    assert counted["llm"].calls["Respond"] == 1
    database.start()
    deadline = time.monotonic() + 30
    while params["MessageSid"] not in stored_sids(database) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stored_sids(database) == {params["MessageSid"]}
