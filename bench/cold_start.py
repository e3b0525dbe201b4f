"""Cold start of `collegebot up` and the latency of answered questions, on embedded defaults.

    .venv/bin/python bench/cold_start.py [--asks 40]

Starts the bot twice on a throwaway state directory: first with an empty index (ingests data/),
then again with the index already up to date. Each time it measures the seconds until the
gateway's /readyz answers 200. Then it sends signed webhooks and reports round-trip and per-stage
latencies (stages as the gateway recorded them). Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from collegebot.asker import Asker  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token-0123456789abcdef"
QUESTIONS = [
    "What is the hostel fee per semester?",
    "when is the last date to pay fees",
    "library timings",
    "wifi name?",
    "minimum attendance required",
    "how to apply for scholarship",
    "revaluation fee",
    "who is the counsellor",
    "campus emergency number",
    "bus fee per semester",
]


def start(state: Path) -> tuple[subprocess.Popen, float]:
    env = dict(
        os.environ,
        COLLEGEBOT_ENV="development",
        COLLEGEBOT_STATE_DIR=str(state),
        TWILIO_AUTH_TOKEN=TOKEN,
        PUBLIC_BASE_URL="http://127.0.0.1:8000",
    )
    began = time.perf_counter()
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/collegebot"), "up"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    while True:
        try:
            if httpx.get("http://127.0.0.1:8000/readyz", timeout=1).status_code == 200:
                return process, time.perf_counter() - began
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            sys.exit("collegebot up exited")
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGINT)
    process.wait(30)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--asks", type=int, default=40)
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="bench-state-"))
    process, cold = start(state)
    stop(process)
    process, warm = start(state)
    os.environ.update(
        TWILIO_AUTH_TOKEN=TOKEN,
        PUBLIC_BASE_URL="http://127.0.0.1:8000",
        COLLEGEBOT_STATE_DIR=str(state),
    )
    rtts = []
    try:
        for i in range(args.asks):
            # A different sender each time: the per-sender rate limit must not shape the figures.
            asker = Asker.from_settings(None, f"+91990000{i:04d}")
            answer = asker.ask(QUESTIONS[i % len(QUESTIONS)])
            assert answer["status"] == 200, answer
            rtts.append(answer["round_trip_ms"])
        time.sleep(1)
    finally:
        stop(process)
    with sqlite3.connect(state / "collegebot.db") as db:
        stages: dict[str, list[float]] = {}
        for stage, ms in db.execute("SELECT stage, duration_ms FROM performance_metrics"):
            stages.setdefault(stage, []).append(ms)
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(
        f"| measure | value |\n|---|---|\n| cold start, empty index (ingest + start) | "
        f"{cold:.1f} s |\n| cold start, index up to date | {warm:.1f} s |"
    )
    print(
        f"| ask round trip, p50 / p95 ({len(rtts)} asks) | {pct(rtts, 50):.0f} / "
        f"{pct(rtts, 95):.0f} ms |"
    )
    for stage in ("retrieve", "respond", "total"):
        values = stages.get(stage, [])
        if len(values) > 1:
            print(
                f"| gateway stage `{stage}`, p50 / p95 | {pct(values, 50):.1f} / "
                f"{pct(values, 95):.1f} ms |"
            )


if __name__ == "__main__":
    main()
