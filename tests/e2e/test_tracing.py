"""One student message followed through every service: its MessageSid on the JSON log lines of
gateway, rag and llm, and one Sentry trace from the webhook into rag and llm; the student's
number and words in none of them. The services run as their containers run them (one process
each, LOG_FORMAT=json), Sentry is the real sentry_sdk sending to a stand-in of its envelope
endpoint."""

import json
import shutil
import time
from pathlib import Path

import httpx
import pytest

from collegebot.asker import Asker, reply_text
from collegebot.settings import StoreSettings
from tests.conftest import base_env
from tests.servers import SentryStandIn, ServiceProcess, free_port

pytestmark = pytest.mark.e2e
TOKEN = "tracing-token-0123456789abcdef"
STUDENT = "+919833300077"
ASKED = "What is the hostel fee per semester? I am Priya from room 214"
SERVICES = ("rag", "llm", "gateway")


@pytest.fixture(scope="module")
def sentry():
    standin = SentryStandIn()
    yield standin
    standin.close()


@pytest.fixture(scope="module")
def services(indexed_state, sentry, tmp_path_factory):
    """rag, llm and gateway as processes on a copy of the indexed state, logging JSON, every
    transaction sampled; yields (the gateway's URL, each service's log file)."""
    state = tmp_path_factory.mktemp("tracing") / "state"
    shutil.copytree(indexed_state, state)
    rag, llm, gateway = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{gateway}"
    env = base_env(state)
    env.update(
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        SENTRY_DSN=sentry.dsn,
        SENTRY_TRACES_SAMPLE_RATE="1.0",
        TWILIO_AUTH_TOKEN=TOKEN,
        PUBLIC_BASE_URL=base,
        GATEWAY_PORT=str(gateway),
        RAG_PORT=str(rag),
        LLM_PORT=str(llm),
        RAG_METRICS_PORT=str(free_port()),
        LLM_METRICS_PORT=str(free_port()),
        RAG_ADDRESS=f"127.0.0.1:{rag}",
        LLM_ADDRESS=f"127.0.0.1:{llm}",
    )
    logs = {name: state.parent / f"{name}.log" for name in SERVICES}
    processes = [ServiceProcess(name, env, logs[name]) for name in SERVICES]
    for process in processes:
        process.start()
    try:
        processes[-1].wait_http(base + "/readyz", timeout_s=120)  # ready: rag and llm serve
        yield base, logs
    finally:
        for process in processes:
            process.kill()


def lines_of(log: Path) -> list[dict]:
    """The JSON objects of a service's log (anything else a library printed is skipped)."""
    out = []
    for line in log.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def until(found, timeout_s: float = 60):
    """`found()` once it is truthy: the services write and send on their own time."""
    deadline = time.monotonic() + timeout_s
    while not (value := found()):
        assert time.monotonic() < deadline, "not seen in time"
        time.sleep(0.1)
    return value


@pytest.fixture(scope="module")
def asked(services):
    """One signed question, answered: its MessageSid."""
    base, _ = services
    asker = Asker(
        base + "/webhook/whatsapp", base + "/webhook/whatsapp", TOKEN, STUDENT, StoreSettings()
    )
    form = asker.form(ASKED)
    response = httpx.post(asker.post_url, data=form, headers=asker.headers(form), timeout=30)
    assert response.status_code == 200 and "42,000" in reply_text(response.text), response.text
    return form["MessageSid"]


def test_one_messages_lines_are_found_in_every_service_by_its_message_sid(services, asked):
    _, logs = services
    for name in SERVICES:
        mine = until(
            lambda name=name: [x for x in lines_of(logs[name]) if x.get("message_sid") == asked]
        )
        assert {x["service"] for x in mine} == {name}
        assert all({"time", "level", "logger", "event"} <= x.keys() for x in mine), mine
    # The gateway says how the message ended; rag and llm each handled its call.
    gateway = [x for x in lines_of(logs["gateway"]) if x.get("message_sid") == asked]
    assert any(x["event"] == "webhook answered" for x in gateway), gateway
    for name, method in (("rag", "Retrieve"), ("llm", "Respond")):
        calls = [x for x in lines_of(logs[name]) if x.get("message_sid") == asked]
        assert any(x.get("grpc_method") == method and x.get("grpc_code") == "OK" for x in calls)


def test_no_service_logs_the_students_number_or_words(services, asked):
    _, logs = services
    until(
        lambda: all(any(x.get("message_sid") == asked for x in lines_of(logs[n])) for n in SERVICES)
    )
    for name in SERVICES:
        text = logs[name].read_text()
        assert lines_of(logs[name]), f"{name} wrote no JSON line"
        for private in (STUDENT, STUDENT.lstrip("+"), STUDENT[-10:], "Priya", "room 214", ASKED):
            assert private not in text, (name, private)


def test_one_trace_runs_from_the_webhook_into_rag_and_llm(services, asked, sentry):
    def transactions() -> list[dict]:
        return [i for i in sentry.items() if i["type"] == "transaction"]

    def of_the_message() -> dict[str, dict]:
        # Each service tags its transaction with the MessageSid it handled (collegebot.correlation).
        by_service = {}
        for t in transactions():
            if t.get("tags", {}).get("message_sid") == asked:
                by_service[t.get("tags", {}).get("service")] = t
        return by_service if set(SERVICES) <= by_service.keys() else {}

    found = until(of_the_message, timeout_s=90)
    traces = {name: found[name]["contexts"]["trace"] for name in SERVICES}
    assert len({t["trace_id"] for t in traces.values()}) == 1, traces  # one trace, three services
    webhook = found["gateway"]
    assert webhook["contexts"]["trace"].get("parent_span_id") is None  # it starts at the webhook
    spans = {s["span_id"] for s in webhook.get("spans", [])} | {traces["gateway"]["span_id"]}
    for name in ("rag", "llm"):  # each continues from a span of the gateway's
        assert traces[name]["parent_span_id"] in spans, (name, traces[name])
    for name, t in found.items():
        assert t["release"].startswith("collegebot@") and t["environment"] == "development", name
    sent = "\n".join(sentry.envelopes)
    for private in (STUDENT, STUDENT.lstrip("+"), "Priya", "room 214", TOKEN):
        assert private not in sent, private
