"""Faults under load, with real processes: kill -9, then start again, while a steady stream of
signed webhooks goes on. Selected with `-m faults`; bench/ runs the same at larger sizes.

Here: the gateway itself is killed with records queued while PostgreSQL is down (killed too).
Every message it acknowledged (a 200) must be in the store exactly once after both are back;
no MessageSid is answered two different ways."""

import asyncio
import collections
import time

import psycopg
import pytest

from collegebot.asker import reply_text
from collegebot.store import migrate
from tests.conftest import base_env
from tests.servers import ServiceProcess, WebhookStream, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
TOKEN = "faults-token-0123456789abcdef"
QUESTIONS = ["What is the hostel fee per semester?", "library timings on weekdays", "wifi name?"]


def stored(url: str) -> collections.Counter[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT message_sid FROM conversations").fetchall()
    return collections.Counter(sid for (sid,) in rows)


@pytest.fixture
def gateway_on_postgres(database, tmp_path):
    """A gateway process on its own PostgreSQL database; rag and llm are not running, so every
    answer is the polite degraded one (still a turn to record)."""
    url = database.new_database("faults")
    migrate(url)
    port = free_port()
    env = base_env(tmp_path / "state")
    env.update(
        TWILIO_AUTH_TOKEN=TOKEN,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        GATEWAY_PORT=str(port),
        DATABASE_URL=url,
        RAG_ADDRESS=f"127.0.0.1:{free_port()}",
        LLM_ADDRESS=f"127.0.0.1:{free_port()}",
        RAG_DEADLINE_S="0.5",
        LLM_DEADLINE_S="0.5",
        RATE_LIMIT_PER_SENDER="1000/minute",
        RATE_LIMIT_GLOBAL="1000/second",
    )
    gateway = ServiceProcess("gateway", env, tmp_path / "gateway.log")
    gateway.start()
    base = f"http://127.0.0.1:{port}"
    gateway.wait_http(base + "/healthz")
    yield gateway, base, url
    gateway.kill()


async def test_a_killed_gateway_loses_no_acknowledged_record(gateway_on_postgres, database):
    gateway, base, url = gateway_on_postgres
    stream = WebhookStream(base + "/webhook/whatsapp", TOKEN, QUESTIONS, rate=5)
    running = asyncio.create_task(stream.run())
    stream.phase = "store up"
    await stream.accepted(4, "store up")
    database.kill()
    stream.phase = "store down"
    await stream.accepted(8, "store down")  # their records wait in the queue and the journal
    gateway.kill()
    stream.phase = "gateway down"
    gateway.start()
    await asyncio.to_thread(gateway.wait_http, base + "/healthz")
    stream.phase = "gateway back"
    await stream.accepted(4, "gateway back")
    database.start()
    stream.phase = "both back"
    await stream.accepted(4, "both back")
    stream.running = False
    await running

    accepted = {r["sid"] for r in stream.results if r["status"] == 200}
    assert all(r["status"] in (200, None) for r in stream.results), stream.results
    deadline = time.monotonic() + 60
    while not accepted <= set(stored(url)) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    counts = stored(url)
    assert accepted <= set(counts), sorted(accepted - set(counts))
    assert all(n == 1 for n in counts.values()), counts  # nothing written twice
    # Every acknowledged message got a non-empty reply, and a redelivery the same one.
    replies = collections.defaultdict(set)
    for r in stream.results:
        if r["status"] == 200:
            assert reply_text(r["body"]), r
            replies[r["sid"]].add(r["body"])
    assert all(len(bodies) == 1 for bodies in replies.values()), replies
    assert any(r["redelivery"] and r["status"] == 200 for r in stream.results)
