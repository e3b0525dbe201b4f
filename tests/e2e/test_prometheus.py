"""A real Prometheus scrapes the four services `collegebot up` starts, every second, with the
job names of deploy/prometheus/prometheus.yml: after a known mix of signed webhooks, each metric
family the alerts and the Grafana dashboard read has the value that traffic must give it, and
every expression of the dashboard and the alert rules parses and runs against it.

The traffic, and where each message goes:
- ANSWERED questions, each from its own student: the gateway's one Retrieve each (distinct
  texts, so none is a cached answer), then Respond; Groq (a stand-in) refuses the key, so every
  one is answered offline, and with GROQ_BREAKER_FAILURES=2 the breaker opens on the third.
- one EMERGENCY: the gateway skips Retrieve; the llm's contacts lookup is one Retrieve of its own.
- a student over the rate limit (3 a minute) sending "menu" (the help command) five times:
  three commands, then one throttled (told when to come back) and one silent; each held one is
  read by meaning first (one Sense each), never retrieved. ("help" itself, held, is read by
  meaning as an emergency.)
- one forged signature: 403, nothing else.
- a second gateway whose rag is stopped (its address has no listener; stopping the stack's rag
  would make honcho stop all four), asked one question: Retrieve UNAVAILABLE on its client side.
"""

import collections
import json
import sqlite3
import subprocess
from datetime import UTC, datetime

import httpx
import pytest
import yaml

from tests.conftest import DATA, ROOT, base_env, run_cli
from tests.servers import (
    GroqStandIn,
    Prometheus,
    ServiceProcess,
    free_port,
    require,
    send_webhook,
)

pytestmark = pytest.mark.e2e

ANSWERED = [
    "What is the hostel fee per semester?",
    "library timings on weekdays",
    "what is the wifi name for students?",
    "who won the football world cup in 1986?",  # not in data/: abstains
]
IN_DATA = 3  # the first three are in data/
EMERGENCY = "I want to kill myself tonight"
HELPS, LIMIT = 5, 3
DEPLOY = ROOT / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "collegebot.json"
# Grafana's variables, as a dashboard over a few minutes of data would fill them in.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "1m",
    "$__range": "5m",
    "${job}": "gateway",
    "$job": "gateway",
}


@pytest.fixture(scope="module")
def groq():
    standin = GroqStandIn()
    yield standin
    standin.close()


@pytest.fixture(scope="module")
def stack_settings(groq) -> dict[str, str]:
    return {
        "RATE_LIMIT_PER_SENDER": f"{LIMIT}/minute",
        "GROQ_API_KEY": "gsk_revoked",
        "GROQ_BASE_URL": groq.url,
        "GROQ_BREAKER_FAILURES": "2",
        "GROQ_BREAKER_RESET_S": "600",
    }


@pytest.fixture(scope="module")
def rag_down(stack, tmp_path_factory):
    """A gateway on its own store, its rag stopped (nothing listens there), the stack's llm."""
    state = tmp_path_factory.mktemp("rag-down")
    port = free_port()
    env = base_env(state)
    env.update(
        TWILIO_AUTH_TOKEN=stack.token,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        GATEWAY_PORT=str(port),
        RAG_ADDRESS=f"127.0.0.1:{free_port()}",
        LLM_ADDRESS=stack.env["LLM_ADDRESS"],
    )
    assert run_cli("migrate", env=env).returncode == 0
    gateway = ServiceProcess("gateway", env, state / "gateway.log")
    gateway.start()
    base = f"http://127.0.0.1:{port}"
    gateway.wait_http(base + "/healthz")
    yield base
    gateway.kill()


def scrape_configs(stack, rag_down: str) -> list[dict]:
    """deploy/prometheus/prometheus.yml's jobs, each pointed at the service it names as
    `collegebot up` exposes it (the second gateway beside the first, labelled)."""
    deploy = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    ours = stack.metrics_targets()
    configs = []
    for job in deploy["scrape_configs"]:
        (target,) = job["static_configs"][0]["targets"]
        service = target.split(":")[0]  # compose's service name
        groups = [{"targets": [ours[service]], "labels": {"stack": "up"}}]
        if service == "gateway":
            groups.append(
                {"targets": [rag_down.removeprefix("http://")], "labels": {"stack": "rag_down"}}
            )
        configs.append({"job_name": job["job_name"], "static_configs": groups})
    assert {c["job_name"] for c in configs} == set(ours), "a service no job scrapes"
    return configs


@pytest.fixture(scope="module")
def prometheus(stack, rag_down):
    server = Prometheus(scrape_configs(stack, rag_down))
    server.wait_up(["gateway", "rag", "llm", "dashboard"])
    yield server
    server.close()


@pytest.fixture(scope="module")
def traffic(stack, rag_down, prometheus):
    """Sends the mix above once Prometheus scrapes every service (so rates see the counters
    move); returns each reply's outcome (X-Collegebot-Outcome) by stack."""
    # Nothing has retrieved yet: start-up and readiness checks do not call Retrieve.
    before = prometheus.value('sum(grpc_server_handled_total{grpc_method="Retrieve"}) or vector(0)')
    assert before == 0
    outcomes: dict[str, list[str]] = {"up": [], "rag_down": []}

    def send(base: str, body: str, sender: str, **kwargs) -> httpx.Response:
        response, _ = send_webhook(base, stack.token, body, sender=sender, **kwargs)
        outcomes["up" if base == stack.base else "rag_down"].append(
            response.headers["X-Collegebot-Outcome"]
        )
        return response

    for n, question in enumerate(ANSWERED):
        assert send(stack.base, question, f"+91980000010{n}").status_code == 200
    assert send(stack.base, EMERGENCY, "+919800000200").status_code == 200
    for _ in range(HELPS):
        assert send(stack.base, "menu", "+919800000300").status_code == 200
    assert send(stack.base, "hostel fee", "+919800000400", sign_with="forged").status_code == 403
    assert send(rag_down, ANSWERED[0], "+919800000500").status_code == 200
    done = run_cli("ingest", str(DATA / "library.md"), env=stack.env)  # the Ingest rpc
    assert done.returncode == 0 and "1 unchanged" in done.stdout, done.stdout + done.stderr
    for path in ("/healthz", "/healthz", "/healthz", "/login"):
        assert httpx.get(stack.dashboard + path, timeout=10).status_code == 200
    return outcomes


def test_promtool_accepts_the_generated_and_the_compose_config(stack, rag_down, tmp_path):
    promtool = require("promtool")
    generated = tmp_path / "prometheus.yml"
    generated.write_text(json.dumps({"scrape_configs": scrape_configs(stack, rag_down)}))
    for config in (generated, DEPLOY / "prometheus" / "prometheus.yml"):
        done = subprocess.run(
            [promtool, "check", "config", str(config)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_outcomes_are_the_ones_this_traffic_must_get(traffic):
    """What the replies said, before the metrics are read against it."""
    up = traffic["up"]
    assert up[: len(ANSWERED)] == ["offline"] * len(ANSWERED)  # Groq refused every time
    assert up[len(ANSWERED) + 1 :] == ["command_help"] * LIMIT + [
        "throttled",
        "throttled_silent",
    ] + ["forged"]
    assert traffic["rag_down"] == ["unavailable"]


def test_grpc_server_families_count_every_call_by_method_and_code(prometheus, traffic):
    answered = len(ANSWERED)
    # The gateway retrieves once per answered question; the llm once per emergency (contacts).
    by_gateway = prometheus.wait_value(
        'sum(grpc_client_handled_total{job="gateway",stack="up",grpc_method="Retrieve",grpc_code="OK"})',
        lambda v: v == answered,
    )
    by_llm = prometheus.wait_value(
        'sum(grpc_client_handled_total{job="llm",grpc_method="Retrieve"})', lambda v: v == 1
    )
    prometheus.wait_value(
        'sum(grpc_server_handled_total{job="rag",grpc_method="Retrieve",grpc_code="OK"})',
        lambda v: v == by_gateway + by_llm,
    )
    prometheus.wait_value(
        'sum(grpc_server_handling_seconds_count{job="rag",grpc_method="Retrieve"})',
        lambda v: v == by_gateway + by_llm,
    )
    prometheus.wait_value(
        'sum(grpc_server_started_total{job="rag",grpc_method="Retrieve"})',
        lambda v: v == by_gateway + by_llm,
    )
    # The two held "menu"s were read by meaning; nothing else asks Sense.
    prometheus.wait_value(
        'sum(grpc_server_handled_total{job="rag",grpc_method="Sense",grpc_code="OK"})',
        lambda v: v == HELPS - LIMIT,
    )
    prometheus.wait_value(
        'sum(grpc_server_handled_total{job="rag",grpc_method="Ingest",grpc_code="OK"})',
        lambda v: v == 1,
    )
    # Respond: each answered question, the emergency, and the rag-down gateway's question.
    prometheus.wait_value(
        'sum(grpc_server_handled_total{job="llm",grpc_method="Respond",grpc_code="OK"})',
        lambda v: v == answered + 2,
    )
    prometheus.wait_value(
        'sum(grpc_server_handling_seconds_bucket{job="llm",grpc_method="Respond",le="+Inf"})',
        lambda v: v == answered + 2,
    )


def test_grpc_client_sees_unavailable_while_rag_is_stopped(prometheus, traffic):
    prometheus.wait_value(
        'sum(grpc_client_handled_total{job="gateway",stack="rag_down",grpc_method="Retrieve",'
        'grpc_code="UNAVAILABLE"})',
        lambda v: v == 1,
    )
    prometheus.wait_value(
        'sum(grpc_client_handled_total{job="gateway",stack="rag_down",grpc_method="Respond",'
        'grpc_code="OK"})',
        lambda v: v == 1,
    )
    prometheus.wait_value(
        'sum(collegebot_gateway_webhooks_total{stack="rag_down",outcome="unavailable"})',
        lambda v: v == 1,
    )


def test_http_requests_by_route_template_and_status(prometheus, traffic):
    webhooks = len(ANSWERED) + 1 + HELPS
    prometheus.wait_value(
        'sum(http_requests_total{job="gateway",stack="up",handler="/webhook/whatsapp",'
        'method="POST",status="200"})',
        lambda v: v == webhooks,
    )
    prometheus.wait_value(
        'sum(http_requests_total{job="gateway",handler="/webhook/whatsapp",status="403"})',
        lambda v: v == 1,
    )
    prometheus.wait_value(
        'sum(http_request_duration_seconds_count{job="gateway",stack="up",handler="/webhook/whatsapp"})',
        lambda v: v == webhooks + 1,
    )
    prometheus.wait_value(
        'sum(flask_http_request_duration_seconds_count{job="dashboard",url_rule="/healthz",status="200"})',
        lambda v: v == 3,
    )
    prometheus.wait_value(
        'sum(flask_http_request_duration_seconds_count{job="dashboard",url_rule="/login",'
        'method="GET",status="200"})',
        lambda v: v == 1,
    )


def test_messages_by_outcome_and_reply_time_by_stage(prometheus, traffic):
    seen = traffic["up"]
    for outcome, count in collections.Counter(seen).items():
        prometheus.wait_value(
            f'sum(collegebot_gateway_webhooks_total{{stack="up",outcome="{outcome}"}})',
            lambda v, n=count: v == n,
        )
    # Every webhook is timed whole; only the gateway's own retrievals time a retrieve stage.
    prometheus.wait_value(
        'sum(collegebot_gateway_stage_duration_seconds_count{stack="up",stage="request"})',
        lambda v: v == len(seen),
    )
    prometheus.wait_value(
        'sum(collegebot_gateway_stage_duration_seconds_count{stack="up",stage="retrieve"})',
        lambda v: v == len(ANSWERED),
    )
    prometheus.wait_value(
        'sum(collegebot_gateway_stage_duration_seconds_count{stack="up",stage="respond"})',
        lambda v: v == len(ANSWERED) + 1,
    )


def test_retrieval_scores_abstentions_and_emergencies(prometheus, traffic):
    retrieves = prometheus.wait_value(
        'sum(grpc_server_handled_total{job="rag",grpc_method="Retrieve",grpc_code="OK"})',
        lambda v: v == len(ANSWERED) + 1,
    )
    prometheus.wait_value("sum(collegebot_rag_top_score_count)", lambda v: v == retrieves)
    prometheus.wait_value(
        "sum(collegebot_rag_top_score_sum) / sum(collegebot_rag_top_score_count)",
        lambda v: 0 < v <= 1,
    )
    prometheus.wait_value('sum(collegebot_llm_replies_total{abstained="true"})', lambda v: v >= 1)
    prometheus.wait_value(
        'sum(collegebot_llm_replies_total{abstained="false",urgency!="critical"})',
        lambda v: v >= IN_DATA,
    )
    prometheus.wait_value('sum(collegebot_llm_replies_total{urgency="critical"})', lambda v: v == 1)


def test_llm_provider_time_fallbacks_and_breaker(prometheus, traffic, groq):
    generations = prometheus.wait_value(
        'sum(collegebot_llm_request_duration_seconds_count{provider="groq"})',
        lambda v: v >= IN_DATA,
    )
    # Each generation either failed at Groq (the key refused) or was skipped by the breaker.
    prometheus.wait_value(
        'sum(collegebot_llm_groq_fallbacks_total{provider="groq"})', lambda v: v == generations
    )
    prometheus.wait_value(
        'sum(collegebot_llm_groq_fallbacks_total{provider="groq",reason="rejected"})',
        lambda v: v == groq.requests == 2,
    )
    prometheus.wait_value(
        'sum(collegebot_llm_groq_fallbacks_total{provider="groq",reason="breaker_open"})',
        lambda v: v == generations - 2,
    )
    prometheus.wait_value('max(collegebot_llm_breaker_open{provider="groq"})', lambda v: v == 1)


def test_records_ingestion_and_knowledge_base_version(prometheus, traffic, stack):
    prometheus.wait_value('sum(collegebot_gateway_records_pending{stack="up"})', lambda v: v == 0)
    # Exported at 0 before any drop, so the alert's increase() sees the first one.
    prometheus.wait_value(
        'sum(collegebot_gateway_records_dropped_total{stack="up",reason="queue_full"})',
        lambda v: v == 0,
    )
    documents = sum(1 for path in DATA.iterdir() if path.is_file())
    prometheus.wait_value("sum(collegebot_rag_documents)", lambda v: v == documents)
    prometheus.wait_value(
        'max(collegebot_rag_documents{status="failed"}) or vector(0)', lambda v: v == 0
    )
    prometheus.wait_value(
        'sum(collegebot_rag_ingested_documents_total{status="unchanged"})', lambda v: v == 1
    )
    prometheus.wait_value("min(collegebot_rag_index_chunks)", lambda v: v >= documents)
    # The version rag answers from: when the store's newest document was ingested.
    with sqlite3.connect(stack.state / "collegebot.db") as db:
        (newest,) = db.execute("SELECT max(ingested_at) FROM knowledge_base_documents").fetchone()
    expected = datetime.fromisoformat(newest).replace(tzinfo=UTC).timestamp()
    prometheus.wait_value(
        "max(collegebot_rag_knowledge_base_version_seconds)", lambda v: abs(v - expected) < 1
    )


def _grafana_exprs(panels: list[dict]) -> list[str]:
    found = []
    for panel in panels:
        found += [t["expr"] for t in panel.get("targets", []) if t.get("expr")]
        found += _grafana_exprs(panel.get("panels", []))  # panels inside a row
    return found


def test_every_dashboard_and_alert_expression_runs(prometheus, traffic):
    exprs = _grafana_exprs(json.loads(DASHBOARD.read_text())["panels"])
    for name, value in GRAFANA_VARIABLES.items():
        exprs = [e.replace(name, value) for e in exprs]
    rules = [r for group in yaml.safe_load(RULES.read_text())["groups"] for r in group["rules"]]
    assert len(exprs) >= 10 and len(rules) >= 10, (len(exprs), len(rules))
    for expr in exprs + [rule["expr"] for rule in rules]:
        answer = prometheus.query(expr)
        assert answer["status"] == "success", (expr, answer)
    # The series they read are there: the panels' families all answer now.
    assert "$" not in "".join(exprs), exprs


def test_the_alerts_read_this_traffic_as_they_should(prometheus, traffic):
    """Each rule's condition against the stack's own series: the breaker's alert fires (Groq's
    key is refused on purpose), the ones about an outage this traffic did not cause do not."""
    rules = {
        r["alert"]: r["expr"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for r in group["rules"]
    }
    prometheus.wait_value(rules["CollegebotLlmBreakerOpen"], lambda v: v == 1)
    quiet = [
        "CollegebotServiceDown",
        "CollegebotKnowledgeBaseEmpty",
        "CollegebotRecordsDropped",
        "CollegebotRecordsBacklog",
        "CollegebotIngestionFailures",
        "CollegebotMessageErrors",
        "CollegebotLateRepliesUnsent",
        "CollegebotWebhooksForged",  # one forged of twelve
    ]
    for name in quiet:
        answer = prometheus.query(rules[name])
        assert answer["status"] == "success" and answer["data"]["result"] == [], (name, answer)
