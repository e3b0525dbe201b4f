"""The gateway's own cost, and how many webhooks it holds in flight at once.

    .venv/bin/python bench/gateway.py [--store sqlite|postgres] [--requests 300]
                                      [--concurrent 200] [--llm-delay 1.0]

The gateway runs as its own process (`python -m services.gateway`, production mode, signatures
checked; SQLite, or a throwaway PostgreSQL 15 with --store postgres) in front of instant
stand-ins of rag and llm (real gRPC servers that
answer at once), so what is measured is the gateway: HTTP, form parsing, signature, the
MessageSid claim, rate limits, history, gRPC client, TwiML and the queued record.

1. Overhead: sequential signed webhooks (signed before the clock starts); per request, the
   client's round trip minus the rag and llm stage times the gateway recorded for it (so the gRPC
   calls themselves are excluded); the same for the gateway's own time (its Server-Timing
   header: from the ASGI app receiving the request to the start of its response, so without
   the HTTP client and the kernel's loopback) and for the handler's stage `total`.
2. Concurrency: `--concurrent` webhooks sent at once while the llm stand-in takes `--llm-delay`
   seconds, so all are in flight together; counts errors and replies without an answer.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from collegebot.grpc_server import start_server  # noqa: E402
from collegebot.store import migrate, sync_engine  # noqa: E402
from collegebot.v1 import common_pb2, llm_pb2, llm_pb2_grpc, rag_pb2, rag_pb2_grpc  # noqa: E402
from tests.servers import Postgres  # noqa: E402

TOKEN = "bench-token-0123456789abcdef"
ANSWER = "The hostel fee is Rs. 42,000 per semester.\n\nSource: hostel.md"


class InstantRag(rag_pb2_grpc.RagServicer):
    async def Retrieve(self, request, context):
        passage = common_pb2.Passage(text="Hostel fee: Rs. 42,000", source="hostel.md", score=0.9)
        return rag_pb2.RetrieveResponse(passages=[passage], relevant=True)


class SlowableLlm(llm_pb2_grpc.LlmServicer):
    delay_s = 0.0

    async def Respond(self, request, context):
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return llm_pb2.RespondResponse(answer=ANSWER, parts=[ANSWER], generator="offline")


def form(sender: str, body: str) -> dict[str, str]:
    sid = "SM" + os.urandom(16).hex()
    return {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": f"whatsapp:{sender}",
        "To": "whatsapp:+14155238886",
        "Body": body,
        "NumMedia": "0",
    }


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def signed(url: str, params: dict[str, str]) -> dict[str, str | dict[str, str]]:
    """The request Twilio would send: signing is the load generator's work, done before timing."""
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    return {
        "content": urlencode(params),
        "headers": {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    }


async def post(client: httpx.AsyncClient, url: str, params: dict[str, str]) -> httpx.Response:
    return await client.post(url, **signed(url, params))  # type: ignore[arg-type]


def server_ms(response: httpx.Response) -> float:
    """The gateway's own time for the request (its Server-Timing header)."""
    return float(response.headers["server-timing"].partition("dur=")[2])


async def run(args: argparse.Namespace) -> None:
    llm = SlowableLlm()
    rag_server, rag_port, _ = await start_server(
        "127.0.0.1:0", lambda s: rag_pb2_grpc.add_RagServicer_to_server(InstantRag(), s), []
    )
    llm_server, llm_port, _ = await start_server(
        "127.0.0.1:0", lambda s: llm_pb2_grpc.add_LlmServicer_to_server(llm, s), []
    )
    state = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    postgres = Postgres() if args.store == "postgres" else None
    database_url = postgres.url() if postgres else f"sqlite:///{state / 'collegebot.db'}"
    migrate(database_url)
    port = 18000 + os.getpid() % 1000
    base = f"http://127.0.0.1:{port}"
    env = dict(
        os.environ,
        COLLEGEBOT_ENV="production",
        COLLEGEBOT_STATE_DIR=str(state),
        DATABASE_URL=database_url,
        TWILIO_AUTH_TOKEN=TOKEN,
        PUBLIC_BASE_URL=base,
        SENDER_HASH_KEY="bench-key-0123456789",
        GATEWAY_PORT=str(port),
        RAG_ADDRESS=f"127.0.0.1:{rag_port}",
        LLM_ADDRESS=f"127.0.0.1:{llm_port}",
        RATE_LIMIT_PER_SENDER="1000/minute",
        RATE_LIMIT_GLOBAL="10000/second",
        LOG_LEVEL="WARNING",
    )
    gateway = subprocess.Popen([sys.executable, "-m", "services.gateway"], env=env, cwd=ROOT)
    url = base + "/webhook/whatsapp"
    try:
        limits = httpx.Limits(max_connections=args.concurrent + 50)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            for _ in range(200):
                try:
                    if (await client.get(base + "/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
            for i in range(20):  # warm up connections, pools and caches
                await post(client, url, form("+919800000000", f"warm {i}"))

            round_trips: dict[str, float] = {}
            in_server: dict[str, float] = {}
            for i in range(args.requests):
                params = form(f"+9198{i % 50:08d}", "What is the hostel fee per semester?")
                request = signed(url, params)
                started = time.perf_counter()
                response = await client.post(url, **request)  # type: ignore[arg-type]
                round_trips[params["MessageSid"]] = (time.perf_counter() - started) * 1000
                assert response.status_code == 200 and "42,000" in response.text
                in_server[params["MessageSid"]] = server_ms(response)
            await asyncio.sleep(1.0)  # records are written after the reply
            with sync_engine(database_url).connect() as connection:
                rows = connection.exec_driver_sql(
                    "SELECT c.message_sid, m.stage, m.duration_ms FROM performance_metrics m "
                    "JOIN conversations c ON c.id = m.conversation_id"
                ).all()
            stages: dict[str, dict[str, float]] = {}
            for sid, stage, ms in rows:
                stages.setdefault(sid, {})[stage] = ms

            def without_calls(times: dict[str, float]) -> list[float]:
                return [
                    ms - stages[sid]["retrieve"] - stages[sid]["respond"]
                    for sid, ms in times.items()
                    if sid in stages
                ]

            overhead, server = without_calls(round_trips), without_calls(in_server)
            in_handler = [s["total"] - s["retrieve"] - s["respond"] for s in stages.values()]

            llm.delay_s = args.llm_delay
            batch = [
                form(f"+9197{i:08d}", "What is the hostel fee per semester?")
                for i in range(args.concurrent)
            ]
            started = time.perf_counter()
            results = await asyncio.gather(
                *(post(client, url, p) for p in batch), return_exceptions=True
            )
            wall = time.perf_counter() - started
    finally:
        gateway.terminate()
        gateway.wait(30)
        await rag_server.stop(0)
        await llm_server.stop(0)
        if postgres:
            postgres.close()

    errors = [r for r in results if isinstance(r, BaseException)]
    responses = [r for r in results if isinstance(r, httpx.Response)]
    not_ok = [r.status_code for r in responses if r.status_code != 200]
    unanswered = [r for r in responses if r.status_code == 200 and "42,000" not in r.text]
    print(
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(f"Command: .venv/bin/python bench/gateway.py {' '.join(sys.argv[1:])}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Store: {args.store}; load average after the run (1, 5, 15 min): {load}\n")
    print("| measure | value |\n|---|---|")
    print(
        f"| overhead per webhook, client round trip minus rag and llm stages, p50 / p95 "
        f"({len(overhead)} sequential) | {statistics.median(overhead):.2f} / "
        f"{percentile(overhead, 95):.2f} ms |"
    )
    print(
        f"| of which in the gateway app (its Server-Timing: ASGI request to response start) "
        f"minus rag and llm, p50 / p95 | {statistics.median(server):.2f} / "
        f"{percentile(server, 95):.2f} ms |"
    )
    print(
        f"| of which inside the handler (stage `total` minus rag and llm), p50 / p95 | "
        f"{statistics.median(in_handler):.2f} / {percentile(in_handler, 95):.2f} ms |"
    )
    print(
        f"| {args.concurrent} webhooks at once, llm taking {args.llm_delay:g} s: errors / "
        f"non-200 / without the answer | {len(errors)} / {len(not_ok)} / {len(unanswered)} |"
    )
    print(f"| the same: wall time for all {args.concurrent} | {wall:.2f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--llm-delay", type=float, default=1.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
