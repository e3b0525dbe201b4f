"""With several gateway worker processes (GATEWAY_WORKERS), /metrics counts every worker's
messages, whichever worker serves the scrape: prometheus-client's multiprocess mode."""

import re
import time

import httpx
import pytest

from collegebot.asker import Asker
from collegebot.settings import StoreSettings
from tests.conftest import base_env
from tests.servers import ServiceProcess, free_port

pytestmark = pytest.mark.e2e
TOKEN = "workers-token-0123456789abcdef"
FORGED, SIGNED = 24, 6


def total(metrics: str, family: str, **labels: str) -> float:
    """The sum of a family's samples that carry `labels`, in Prometheus's text format."""
    found = 0.0
    for line in metrics.splitlines():
        name, _, rest = line.partition("{")
        if name != family:
            continue
        sample_labels = dict(re.findall(r'(\w+)="([^"]*)"', rest.rpartition("}")[0]))
        if all(sample_labels.get(k) == v for k, v in labels.items()):
            found += float(line.rsplit(" ", 1)[1])
    return found


def test_every_workers_messages_are_counted_on_one_scrape(tmp_path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    metrics_dir = tmp_path / "metrics"
    env = base_env(tmp_path / "state")
    env.update(
        GATEWAY_WORKERS="2",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        TWILIO_AUTH_TOKEN=TOKEN,
        PUBLIC_BASE_URL=base,
        GATEWAY_PORT=str(port),
        RAG_ADDRESS=f"127.0.0.1:{free_port()}",  # nothing there: answers are the degraded one
        LLM_ADDRESS=f"127.0.0.1:{free_port()}",
        RAG_DEADLINE_S="0.5",
        LLM_DEADLINE_S="0.5",
    )
    gateway = ServiceProcess("gateway", env, tmp_path / "gateway.log")
    gateway.start()
    try:
        gateway.wait_http(base + "/healthz")
        asker = Asker(
            base + "/webhook/whatsapp",
            base + "/webhook/whatsapp",
            TOKEN,
            "+919800011111",
            StoreSettings(),
        )
        # A new connection each: the kernel spreads them over the workers' shared socket.
        for i in range(FORGED):
            forged = httpx.post(
                asker.post_url, data=asker.form(f"q{i}"), headers={"X-Twilio-Signature": "x"}
            )
            assert forged.status_code == 403
        for i in range(SIGNED):
            form = asker.form(f"library timings {i}")
            assert (
                httpx.post(
                    asker.post_url, data=form, headers=asker.headers(form), timeout=30
                ).status_code
                == 200
            )

        # Each worker writes its own files; both must have counted something.
        deadline = time.monotonic() + 30
        while len({p.stem.rsplit("_", 1)[-1] for p in metrics_dir.glob("counter_*.db")}) < 2:
            assert time.monotonic() < deadline, sorted(p.name for p in metrics_dir.iterdir())
            time.sleep(0.1)
        for _ in range(4):  # whichever worker answers the scrape, the same totals
            scraped = httpx.get(base + "/metrics", follow_redirects=True).text
            assert total(scraped, "collegebot_gateway_webhooks_total", outcome="forged") == FORGED
            answered = total(scraped, "collegebot_gateway_webhooks_total") - FORGED
            assert answered == SIGNED, scraped
            statuses = {"status": "403", "handler": "/webhook/whatsapp"}
            assert total(scraped, "http_requests_total", **statuses) == FORGED
    finally:
        gateway.kill()
