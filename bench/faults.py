"""The gateway-restart fault of tests/e2e/test_faults.py at a larger size: a stream of signed
webhooks at --rate a second; PostgreSQL killed (-9), the gateway killed (-9) with --queued
records waiting, both started again; then every acknowledged message is looked for in the store.

    .venv/bin/python bench/faults.py --rate 20 --queued 200
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from collegebot.store import migrate  # noqa: E402
from tests.conftest import base_env  # noqa: E402
from tests.servers import Postgres, ServiceProcess, WebhookStream, free_port  # noqa: E402

TOKEN = "bench-faults-token-0123456789abcdef"
QUESTIONS = ["What is the hostel fee per semester?", "library timings on weekdays", "wifi name?"]


def stored(url: str) -> collections.Counter[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT message_sid FROM conversations").fetchall()
    return collections.Counter(sid for (sid,) in rows)


async def main(rate: float, queued: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    database = Postgres()
    url = database.new_database("faults")
    migrate(url)
    port = free_port()
    env = base_env(folder / "state")
    env.update(
        TWILIO_AUTH_TOKEN=TOKEN,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        GATEWAY_PORT=str(port),
        DATABASE_URL=url,
        RAG_ADDRESS=f"127.0.0.1:{free_port()}",
        LLM_ADDRESS=f"127.0.0.1:{free_port()}",
        RAG_DEADLINE_S="0.5",
        LLM_DEADLINE_S="0.5",
        RATE_LIMIT_PER_SENDER="100000/minute",
        RATE_LIMIT_GLOBAL="100000/second",
    )
    base = f"http://127.0.0.1:{port}"
    gateway = ServiceProcess("gateway", env, folder / "gateway.log")
    gateway.start()
    gateway.wait_http(base + "/healthz")
    stream = WebhookStream(base + "/webhook/whatsapp", TOKEN, QUESTIONS, rate=rate)
    running = asyncio.create_task(stream.run())
    try:
        stream.phase = "up"
        await stream.accepted(int(rate * 2), "up")
        database.kill()
        stream.phase = "store down"
        await stream.accepted(queued, "store down", timeout_s=600)
        gateway.kill()
        killed = time.monotonic()
        stream.phase = "gateway down"
        gateway.start()
        await asyncio.to_thread(gateway.wait_http, base + "/healthz")
        back = time.monotonic()
        stream.phase = "gateway back"
        await stream.accepted(int(rate * 2), "gateway back")
        database.start()
        restarted = time.monotonic()
        stream.phase = "both back"
        await stream.accepted(int(rate * 2), "both back")
    finally:
        stream.running = False
        await running
    accepted = {r["sid"] for r in stream.results if r["status"] == 200}
    deadline = time.monotonic() + 300
    while not accepted <= set(counts := stored(url)) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    caught_up = time.monotonic() - restarted
    bodies = collections.defaultdict(set)
    for r in stream.results:
        if r["status"] == 200:
            bodies[r["sid"]].add(r["body"])
    print(
        f"sent {len(stream.results)} webhooks at {rate}/s "
        f"({sum(r['redelivery'] for r in stream.results)} redeliveries)"
    )
    print(
        f"acknowledged {len(accepted)} messages; not accepted (gateway down): "
        f"{sum(r['status'] is None for r in stream.results)}; other statuses: "
        f"{sorted({r['status'] for r in stream.results} - {200, None})}"
    )
    print(
        f"acknowledged but not stored: {len(accepted - set(counts))}; stored twice: "
        f"{sum(n > 1 for n in counts.values())}; answered two ways: "
        f"{sum(len(b) > 1 for b in bodies.values())}"
    )
    print(
        f"gateway down for {back - killed:.1f} s (start to /healthz); store caught up "
        f"{caught_up:.1f} s after PostgreSQL started"
    )
    gateway.kill()
    database.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--queued", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.rate, args.queued))
