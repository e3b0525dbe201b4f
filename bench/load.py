"""The bot under a fixed arrival rate: open-loop load on the whole stack as `collegebot up` runs it.

    .venv/bin/python bench/load.py --rate 100 --seconds 60 [--repeat-share 0.5]
        [--redelivery-share 0.02] [--new-sender-share 0.3] [--llm-delay 0.8] [--state DIR]
    .venv/bin/python bench/load.py --search [--step-seconds 15] [--repeat-share 0.5]

Starts `collegebot up` (gateway, rag, llm, dashboard; SQLite, embedded Chroma, data/) on ports
of its own, signatures checked, rate limits raised out of the way (printed), and the llm either
offline or pointed at a local Groq stand-in (tests/llm/groq_standin.py, in a process of its own)
that answers after `--llm-delay` seconds. Messages are sent at the fixed rate whatever the
replies do (open loop: each is timed from its scheduled send, so a slow server cannot slow the
generator down and hide its own queue). Each is a signed Twilio webhook with a question from
tests/eval/: a share are exact repeats of common questions, the rest wordings never sent before;
senders are a pool of returning students plus new ones; a share of messages are delivered again
with the same MessageSid, as Twilio does when a reply is slow. Every reply's
X-Collegebot-Outcome header is counted.

Reports throughput, latency p50/p95/p99 from the scheduled send (and minus the stand-in's delay
for Groq answers), errors, non-200s, empty, degraded ("can't reach the handbook"), shed,
timed-out and duplicated replies (a redelivery answered anew, or with other words), and the
services' resident memory. `--search` runs steps of rising rate and reports the highest with no
degraded, shed, timed-out, lost or duplicated reply and p95 under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from collegebot.asker import reply_text  # noqa: E402
from collegebot.settings import WEBHOOK_PATH  # noqa: E402

TOKEN = "load-token-0123456789abcdef"
HIGH_LIMITS = {"RATE_LIMIT_PER_SENDER": "100000/minute", "RATE_LIMIT_GLOBAL": "100000/second"}
EVAL = ROOT / "tests" / "eval"
SETS = ("qa.jsonl", "blind_qa.jsonl", "unanswerable.jsonl", "unanswerable_college.jsonl")
# New wordings: an eval question with an opening and an ending students add; none of these is a
# greeting, thanks or a command, so the question is still what is answered.
OPENINGS = ("", "quick question: ", "can you tell me ", "i want to know ", "pls tell ", "hey ",
            "sorry to bother, ", "one doubt: ", "kindly tell ", "need info: ")  # fmt: skip
ENDINGS = ("", " please", " pls", " asap", " for this year", " for first year",
           " for second year", " for btech", " in 2026", " sir", " madam", " again")  # fmt: skip
DEGRADED = {"unavailable", "error"}
SILENT = {"throttled_silent", "paused", "late"}  # an empty reply is right for these
# The Groq stand-in's answer, citing the first passage as the prompt asks.
STANDIN_ANSWER = "According to the college documents, see the first passage for the details [1]."


def questions() -> list[str]:
    out = []
    for name in SETS:
        for line in (EVAL / name).read_text().splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
    return list(dict.fromkeys(out))


@dataclass
class Message:
    at: float  # seconds after the start
    form: dict[str, str]
    redelivery_of: int = -1  # index of the message this repeats (same MessageSid)


@dataclass
class Result:
    status: int = 0
    outcome: str = ""
    text: str = ""
    latency_s: float = 0.0
    error: str = ""


class Wordings:
    """Questions for a whole run: 40 common ones, and wordings never sent before (none is used
    twice, across every step of a search too)."""

    def __init__(self, rng: random.Random) -> None:
        self.pool = questions()
        self.common = self.pool[:: max(1, len(self.pool) // 40)][:40]
        wordings = [o + q + e for q in self.pool for o in OPENINGS for e in ENDINGS]
        rng.shuffle(wordings)
        self.fresh = iter(wordings)
        self.used = 0

    def new(self, rng: random.Random) -> str:
        self.used += 1
        return next(self.fresh, None) or f"{rng.choice(self.pool)} (ref {self.used})"


def plan(
    rate: float, seconds: float, args: argparse.Namespace, rng: random.Random, words: Wordings
) -> list[Message]:
    """Every message of a step, decided before the clock starts (signing included)."""
    returning = [f"+9199{rng.randrange(10**8):08d}" for _ in range(500)]
    n = int(rate * seconds)
    messages: list[Message] = []
    for i in range(n):
        if messages and rng.random() < args.redelivery_share:
            first = rng.randrange(max(0, len(messages) - int(rate)), len(messages))
            first = messages[first].redelivery_of if messages[first].redelivery_of >= 0 else first
            messages.append(Message(i / rate, messages[first].form, first))
            continue
        if rng.random() < args.new_sender_share:
            sender = f"+9177{rng.randrange(10**8):08d}"
        else:
            sender = rng.choice(returning)
        body = rng.choice(words.common) if rng.random() < args.repeat_share else words.new(rng)
        sid = "SM" + os.urandom(16).hex()
        form = {
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": f"whatsapp:{sender}",
            "To": "whatsapp:+14155238886",
            "Body": body,
            "NumMedia": "0",
            "WaId": sender.lstrip("+"),
        }
        messages.append(Message(i / rate, form))
    return messages


def signed_requests(messages: list[Message], public: str) -> list[tuple[str, dict[str, str]]]:
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    return [
        (
            urlencode(m.form),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": validator.compute_signature(public + WEBHOOK_PATH, m.form),
            },
        )
        for m in messages
    ]


async def fire(url: str, messages: list[Message], requests, timeout_s: float) -> list[Result]:
    results = [Result() for _ in messages]
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(i: int, scheduled: float) -> None:
            body, headers = requests[i]
            result = results[i]
            try:
                async with session.post(url, data=body, headers=headers) as response:
                    text = await response.text()
                    result.status = response.status
                    result.outcome = response.headers.get("X-Collegebot-Outcome", "")
                    result.text = reply_text(text) if response.status == 200 else ""
            except Exception as e:
                result.error = type(e).__name__
            result.latency_s = time.perf_counter() - scheduled

        tasks = []
        start = time.perf_counter() + 0.2
        for i, m in enumerate(messages):
            scheduled = start + m.at
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, scheduled)))
        await asyncio.gather(*tasks)
    return results


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


@dataclass
class Summary:
    rate: float
    sent: int
    seconds: float
    outcomes: dict[str, int]
    errors: int
    non_200: int
    empty: int
    degraded: int
    shed: int
    timeouts: int
    duplicated: int
    p50: float
    p95: float
    p99: float
    minus_delay_p95: float
    rss_mb: dict[str, float] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.errors + self.non_200 + self.empty

    @property
    def clean(self) -> bool:
        bad = self.lost + self.degraded + self.shed + self.timeouts + self.duplicated
        return bad == 0 and self.p95 < 1.0


def summarise(
    rate: float, messages: list[Message], results: list[Result], wall: float, delay: float
) -> Summary:
    outcomes: dict[str, int] = {}
    for r in results:
        outcomes[r.outcome or (r.error or f"http_{r.status}")] = (
            outcomes.get(r.outcome or (r.error or f"http_{r.status}"), 0) + 1
        )
    duplicated = 0
    for m, r in zip(messages, results, strict=True):
        if m.redelivery_of >= 0 and r.status == 200:
            first = results[m.redelivery_of]
            if r.outcome != "duplicate" or (first.status == 200 and r.text != first.text):
                duplicated += 1
    latencies = [r.latency_s for r in results if not r.error]
    groq = [r.latency_s - delay for r in results if r.outcome == "groq"]
    return Summary(
        rate=rate,
        sent=len(messages),
        seconds=wall,
        outcomes=dict(sorted(outcomes.items(), key=lambda kv: -kv[1])),
        errors=sum(1 for r in results if r.error),
        non_200=sum(1 for r in results if not r.error and r.status != 200),
        empty=sum(1 for r in results if r.status == 200 and not r.text and r.outcome not in SILENT),
        degraded=sum(
            1 for r in results if r.outcome in DEGRADED or "can't reach the college" in r.text
        ),
        shed=outcomes.get("shed", 0),
        timeouts=outcomes.get("timeout", 0),
        duplicated=duplicated,
        p50=pct(latencies, 50),
        p95=pct(latencies, 95),
        p99=pct(latencies, 99),
        minus_delay_p95=pct(groq, 95) if groq else float("nan"),
    )


# --- the stack -------------------------------------------------------------------------------


def _standin(delay: float, ready) -> None:  # runs in its own process: its threads need a GIL
    from tests.llm.groq_standin import GroqStandIn, Scripted

    standin = GroqStandIn(
        [Scripted(content=STANDIN_ANSWER, delay_s=delay, json_content='{"intent": "other"}')]
    )
    standin.requests = _Discard()  # a long run would keep every request body
    ready.put(standin.url)
    signal.pause()


class _Discard(list):
    def append(self, item) -> None:  # keep the count the stand-in's script reads, not the body
        super().append(None) if len(self) < 1 else None


class Stack:
    def __init__(self, state: Path, base_port: int, llm_delay: float | None) -> None:
        self.state, self.port = state, base_port
        self.public = f"http://127.0.0.1:{base_port}"
        self.standin = None
        env = dict(
            os.environ,
            COLLEGEBOT_ENV="development",
            COLLEGEBOT_STATE_DIR=str(state),
            TWILIO_AUTH_TOKEN=TOKEN,
            PUBLIC_BASE_URL=self.public,
            GATEWAY_PORT=str(base_port),
            DASHBOARD_PORT=str(base_port + 1),
            RAG_PORT=str(base_port + 2),
            LLM_PORT=str(base_port + 3),
            RAG_METRICS_PORT=str(base_port + 4),
            LLM_METRICS_PORT=str(base_port + 5),
            LOG_LEVEL="WARNING",
            **HIGH_LIMITS,
        )
        for name in ("TWILIO_ACCOUNT_SID", "TWILIO_WHATSAPP_FROM", "GROQ_API_KEY", "REDIS_URL"):
            env.pop(name, None)  # late answers wait in the webhook; the llm as chosen below
        if llm_delay is not None:
            ready: multiprocessing.Queue = multiprocessing.Queue()
            self.standin = multiprocessing.Process(target=_standin, args=(llm_delay, ready))
            self.standin.start()
            env.update(GROQ_API_KEY="gsk_standin", GROQ_BASE_URL=ready.get(timeout=30))
        self.env = env
        began = time.perf_counter()
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/collegebot"), "up"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(state / "up.log", "w"),  # noqa: SIM115 (open while the stack runs)
            start_new_session=True,
        )
        import httpx

        while True:
            try:
                if httpx.get(f"{self.public}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                sys.exit(f"collegebot up exited; see {state / 'up.log'}")
            time.sleep(0.2)
        self.ready_s = time.perf_counter() - began

    def services(self) -> dict[str, int]:
        """PID of each service process (python -m services.<name>)."""
        out = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if b"-m" in argv and f"COLLEGEBOT_STATE_DIR={self.state}".encode() in environ:
                module = argv[argv.index(b"-m") + 1].decode()
                if module.startswith("services."):
                    out[module.removeprefix("services.")] = int(entry.name)
        return out

    def rss_mb(self) -> dict[str, float]:
        out = {}
        for name, pid in self.services().items():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[name] = int(line.split()[1]) / 1024
        return out

    def close(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(60)
        if self.standin is not None:
            self.standin.terminate()


async def run_step(
    stack: Stack, rate: float, seconds: float, args, seed: int, words: Wordings
) -> Summary:
    rng = random.Random(seed)
    messages = plan(rate, seconds, args, rng, words)
    requests = signed_requests(messages, stack.public)
    peak: dict[str, float] = {}
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            for name, mb in stack.rss_mb().items():
                peak[name] = max(peak.get(name, 0.0), mb)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 2.0)

    sampler = asyncio.create_task(sample())
    began = time.perf_counter()
    results = await fire(stack.public + WEBHOOK_PATH, messages, requests, args.timeout)
    wall = time.perf_counter() - began
    done.set()
    await sampler
    summary = summarise(rate, messages, results, wall, args.llm_delay or 0.0)
    summary.rss_mb = peak
    return summary


def report(s: Summary) -> None:
    total_rss = sum(s.rss_mb.values())
    print(
        f"rate {s.rate:g}/s: {s.sent} sent in {s.seconds:.1f} s "
        f"({s.sent / s.seconds:.1f}/s answered); latency from scheduled send p50 / p95 / p99 "
        f"{s.p50 * 1000:.0f} / {s.p95 * 1000:.0f} / {s.p99 * 1000:.0f} ms"
        + (
            f"; groq answers minus the stand-in's delay p95 {s.minus_delay_p95 * 1000:.0f} ms"
            if s.minus_delay_p95 == s.minus_delay_p95
            else ""
        )
    )
    print(
        f"  errors {s.errors}, non-200 {s.non_200}, empty {s.empty} (lost {s.lost}), degraded "
        f"{s.degraded}, shed {s.shed}, timed out {s.timeouts}, duplicated {s.duplicated}"
    )
    print(f"  outcomes: {json.dumps(s.outcomes)}")
    print(
        "  peak resident memory: "
        + ", ".join(f"{k} {v:.0f} MB" for k, v in sorted(s.rss_mb.items()))
        + f" (sum of peaks {total_rss:.0f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeat-share", type=float, default=0.5)
    parser.add_argument("--redelivery-share", type=float, default=0.02)
    parser.add_argument("--new-sender-share", type=float, default=0.3)
    parser.add_argument("--llm-delay", type=float, default=None, help="Groq stand-in delay (s)")
    parser.add_argument("--state", type=Path, default=None, help="reuse this state directory")
    parser.add_argument("--port", type=int, default=18300 + os.getpid() % 500)
    parser.add_argument("--timeout", type=float, default=20.0, help="client timeout (s)")
    parser.add_argument("--search", action="store_true", help="find the saturation rate")
    parser.add_argument("--step-seconds", type=float, default=15.0)
    parser.add_argument("--start-rate", type=float, default=50.0)
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds at 20/s first")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    state = args.state or Path(tempfile.mkdtemp(prefix="bench-load-"))
    state.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average {os.getloadavg()}"
    )
    print(
        f"stack: collegebot up on {state}, llm "
        + (f"Groq stand-in answering in {args.llm_delay} s" if args.llm_delay else "offline")
        + f"; rate limits raised for the run: {HIGH_LIMITS}"
    )
    print(
        f"messages: {args.repeat_share:.0%} exact repeats of 40 common questions, the rest new "
        f"wordings; {args.new_sender_share:.0%} from new senders, the rest from 500 returning; "
        f"{args.redelivery_share:.0%} redelivered with the same MessageSid"
    )
    words = Wordings(random.Random(42))
    stack = Stack(state, args.port, args.llm_delay)
    print(f"stack ready in {stack.ready_s:.1f} s")
    try:
        if args.warmup:
            asyncio.run(run_step(stack, 20, args.warmup, args, 0, words))
        if not args.search:
            report(asyncio.run(run_step(stack, args.rate, args.seconds, args, 1, words)))
            return
        rate, best, seed = args.start_rate, None, 1
        while True:
            summary = asyncio.run(run_step(stack, rate, args.step_seconds, args, seed, words))
            report(summary)
            seed += 1
            if not summary.clean:
                break
            best = rate
            rate = round(rate * 1.25)
        if best is not None:  # one step between the last clean rate and the first that failed
            middle = round((best + rate) / 2)
            if middle not in (best, rate):
                summary = asyncio.run(run_step(stack, middle, args.step_seconds, args, seed, words))
                report(summary)
                best = middle if summary.clean else best
        print(f"saturation: {best if best is not None else '< ' + str(args.start_rate)} msg/s")
    finally:
        stack.close()


if __name__ == "__main__":
    main()
