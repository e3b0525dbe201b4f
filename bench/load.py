"""The bot under a fixed arrival rate: open-loop load on the whole stack as `collegebot up` runs it.

    .venv/bin/python bench/load.py --rate 100 --seconds 60 [--repeat-share 0.5]
        [--redelivery-share 0.02] [--new-sender-share 0.3] [--llm-delay 0.8] [--state DIR]
    .venv/bin/python bench/load.py --search [--step-seconds 15] [--repeat-share 0.5]
    .venv/bin/python bench/load.py --cold-start 3 [--state DIR] [--data-dir DIR]

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
degraded, shed, timed-out, lost or duplicated reply and p95 under 1 s. `--data-dir` points the
stack at other documents (a 10,000-chunk corpus built by bench/retrieve_latency.py, ingested
into the same `--state`). `--cold-start N` sends no load: it starts rag, llm and the gateway
alone, N times each, and reports the seconds to ready and the memory once ready.
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
# "Please send it again in a minute": a redelivery of such a message may be answered.
BUSY = {"shed", "timeout"}
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
    emergency_again: int
    retried_after_busy: int
    duplicated_pairs: dict[str, int]  # first delivery's outcome -> the redelivery's
    p50: float
    p95: float
    p99: float
    minus_delay_p95: float
    rss_mb: dict[str, float] = field(default_factory=dict)
    load: list[float] = field(default_factory=list)  # the machine's 1-minute load average
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per message sent, by service

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
    duplicated, again, retried, pairs = 0, 0, 0, {}
    for m, r in zip(messages, results, strict=True):
        if m.redelivery_of >= 0 and r.status == 200:
            first = results[m.redelivery_of]
            same = first.status != 200 or r.text == first.text
            if "duplicate" in (first.outcome, r.outcome) and same:
                pass  # one answer and its repeat (the two race: either may reach the gateway first)
            elif first.outcome == r.outcome == "emergency" and same:
                # By design: an emergency whose first reply is not known to have gone is
                # answered again (the same numbers), not silenced as a duplicate.
                again += 1
            elif BUSY & {first.outcome, r.outcome}:
                retried += 1  # one of the two asked the student to send it again: one answer
            else:
                duplicated += 1
                pair = f"{first.outcome or first.error or first.status}->{r.outcome}"
                pairs[pair] = pairs.get(pair, 0) + 1
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
        emergency_again=again,
        retried_after_busy=retried,
        duplicated_pairs=pairs,
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


def stack_env(state: Path, base_port: int, data_dir: Path | None) -> dict[str, str]:
    """The environment of every service of a run: ports of its own, signatures checked."""
    env = dict(
        os.environ,
        COLLEGEBOT_ENV="development",
        COLLEGEBOT_STATE_DIR=str(state),
        TWILIO_AUTH_TOKEN=TOKEN,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{base_port}",
        GATEWAY_PORT=str(base_port),
        DASHBOARD_PORT=str(base_port + 1),
        RAG_PORT=str(base_port + 2),
        LLM_PORT=str(base_port + 3),
        RAG_METRICS_PORT=str(base_port + 4),
        LLM_METRICS_PORT=str(base_port + 5),
        LOG_LEVEL="WARNING",
        **HIGH_LIMITS,
    )
    if data_dir is not None:
        env["COLLEGEBOT_DATA_DIR"] = str(data_dir)
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_WHATSAPP_FROM", "GROQ_API_KEY", "REDIS_URL"):
        env.pop(name, None)  # late answers wait in the webhook; the llm as chosen below
    return env


class Stack:
    def __init__(
        self, state: Path, base_port: int, llm_delay: float | None, data_dir: Path | None = None
    ) -> None:
        self.state, self.port = state, base_port
        self.public = f"http://127.0.0.1:{base_port}"
        self.standin = None
        env = stack_env(state, base_port, data_dir)
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

    def cpu_s(self) -> dict[str, float]:
        """CPU seconds (user + system) each service has used so far: what a message costs,
        whatever else the machine runs."""
        out = {}
        for name, pid in self.services().items():
            with contextlib.suppress(OSError):
                out[name] = _cpu_s(pid)
        return out

    def close(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(60)
        if self.standin is not None:
            self.standin.terminate()


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) / 1024 for line in status.splitlines() if "VmRSS" in line)


def _gateway_ready(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def cold_start(state: Path, base_port: int, data_dir: Path | None, rounds: int) -> None:
    """Each service started alone on an up-to-date store and index, timed from its process's
    start to ready (gRPC health SERVING; the gateway's /readyz 200 with rag and llm up), and for
    rag also to its first Retrieve answered (the first one builds the in-memory snapshot)."""
    import grpc

    from collegebot.cli import _rag_serving as serving  # any gRPC service's health: SERVING
    from collegebot.v1 import rag_pb2, rag_pb2_grpc

    env = stack_env(state, base_port, data_dir)
    for step in (["migrate"], ["ingest", "--local"]):  # untimed: the index up to date first
        subprocess.run([str(ROOT / ".venv/bin/collegebot"), *step], env=env, check=True)
    rag_address, llm_address = f"127.0.0.1:{base_port + 2}", f"127.0.0.1:{base_port + 3}"
    checks = {
        "rag": lambda: serving(rag_address),
        "llm": lambda: serving(llm_address),
        "gateway": lambda: _gateway_ready(f"http://127.0.0.1:{base_port}/readyz"),
    }
    times: dict[str, list[float]] = {"rag": [], "rag first Retrieve": [], "llm": [], "gateway": []}
    cpu: dict[str, list[float]] = {name: [] for name in times}  # its own CPU seconds by then
    idle: dict[str, float] = {}
    spent: dict[str, list[float]] = {"rag": [], "llm": [], "gateway": []}
    idle_s = 10.0
    for _ in range(rounds):
        running: list[subprocess.Popen] = []
        try:
            for name in ("rag", "llm", "gateway"):  # the gateway's readiness needs the other two
                began = time.perf_counter()
                process = subprocess.Popen(
                    [sys.executable, "-u", "-m", f"services.{name}"],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                running.append(process)
                while not checks[name]():
                    if process.poll() is not None:
                        sys.exit(f"services.{name} exited with {process.returncode}")
                    time.sleep(0.02)
                times[name].append(time.perf_counter() - began)
                cpu[name].append(_cpu_s(process.pid))
                if name == "rag":
                    with grpc.insecure_channel(rag_address) as channel:
                        rag_pb2_grpc.RagStub(channel).Retrieve(
                            rag_pb2.RetrieveRequest(query="library timings"), timeout=60
                        )
                    times["rag first Retrieve"].append(time.perf_counter() - began)
                    cpu["rag first Retrieve"].append(_cpu_s(process.pid))
                idle[name] = _rss(process.pid)
            # What each service costs doing nothing (its timers, pollers, metrics), which the
            # CPU per message of a slow step includes.
            before = {p.pid: _cpu_s(p.pid) for p in running}
            time.sleep(idle_s)
            for name, p in zip(("rag", "llm", "gateway"), running, strict=True):
                spent[name].append((_cpu_s(p.pid) - before[p.pid]) / idle_s * 100)
        finally:
            for process in reversed(running):
                process.send_signal(signal.SIGINT)
                process.wait(30)
    for name, values in times.items():
        print(
            f"  {name}: cold start to ready min / median / max "
            f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f} s "
            f"({rounds} starts); its own CPU by then "
            + " / ".join(f"{c:.2f}" for c in cpu[name])
            + " s, start by start "
            "(an idle machine starts in about this, less any work done on a second core)"
        )
    print("  resident memory once ready: " + ", ".join(f"{k} {v:.0f} MB" for k, v in idle.items()))
    print(
        f"  CPU when idle ({idle_s:g} s after ready, median of the starts): "
        + ", ".join(f"{k} {statistics.median(v):.1f} % of a core" for k, v in spent.items())
    )
    print(f"  machine load average now: {os.getloadavg()}")


async def run_step(
    stack: Stack, rate: float, seconds: float, args, seed: int, words: Wordings
) -> Summary:
    rng = random.Random(seed)
    messages = plan(rate, seconds, args, rng, words)
    requests = signed_requests(messages, stack.public)
    peak: dict[str, float] = {}
    load: list[float] = []
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            load.append(os.getloadavg()[0])
            for name, mb in stack.rss_mb().items():
                peak[name] = max(peak.get(name, 0.0), mb)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 2.0)

    sampler = asyncio.create_task(sample())
    cpu_before = stack.cpu_s()
    began = time.perf_counter()
    results = await fire(stack.public + WEBHOOK_PATH, messages, requests, args.timeout)
    wall = time.perf_counter() - began
    done.set()
    await sampler
    summary = summarise(rate, messages, results, wall, args.llm_delay or 0.0)
    summary.rss_mb, summary.load = peak, load
    cpu_after = stack.cpu_s()
    summary.cpu_ms = {
        name: (cpu_after[name] - cpu_before.get(name, 0.0)) * 1000 / len(messages)
        for name in sorted(cpu_after)
    }
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
        f"{s.degraded}, shed {s.shed}, timed out {s.timeouts}, duplicated {s.duplicated} "
        f"(and {s.emergency_again} emergencies redelivered before their first reply went, "
        f"answered again as designed; {s.retried_after_busy} redeliveries of a message told "
        "busy)"
    )
    print(f"  outcomes: {json.dumps(s.outcomes)}")
    if s.duplicated_pairs:
        print(f"  duplicated, first outcome -> redelivery's: {json.dumps(s.duplicated_pairs)}")
    print(
        "  peak resident memory: "
        + ", ".join(f"{k} {v:.0f} MB" for k, v in sorted(s.rss_mb.items()))
        + f" (sum of peaks {total_rss:.0f} MB)"
    )
    print(
        "  CPU per message sent: "
        + ", ".join(f"{k} {v:.2f} ms" for k, v in s.cpu_ms.items())
        + f" (sum {sum(s.cpu_ms.values()):.2f} ms)"
    )
    if s.load:
        print(
            f"  machine load average (1 min) during the step: {min(s.load):.1f}–{max(s.load):.1f}"
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
    parser.add_argument("--data-dir", type=Path, default=None, help="the documents (data/)")
    parser.add_argument(
        "--cold-start",
        type=int,
        default=0,
        metavar="N",
        help="instead of load: start each service alone N times, time to ready",
    )
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
    if args.cold_start:
        print(f"cold start on {state} ({args.data_dir or 'data/'})")
        cold_start(state, args.port, args.data_dir, args.cold_start)
        return
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
    stack = Stack(state, args.port, args.llm_delay, args.data_dir)
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
