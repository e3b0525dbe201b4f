"""End to end: `collegebot up` starts the four services as processes, as `make up` does, and a
signed webhook is answered from data/ with its source and recorded; a forged one is refused."""

import json
import os
import signal
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from pypdf import PdfReader

from collegebot.asker import reply_text
from tests.conftest import DATA, run_cli
from tests.servers import send_webhook

pytestmark = pytest.mark.e2e


def send(stack, body: str, token: str | None = None) -> tuple[int, str, str]:
    response, sid = send_webhook(stack.base, stack.token, body, sign_with=token)
    return response.status_code, response.text, sid


def conversations(stack, sid: str | None = None) -> list:
    with sqlite3.connect(stack.state / "collegebot.db") as db:
        if sid is None:
            return db.execute("SELECT message_sid FROM conversations").fetchall()
        return db.execute(
            "SELECT question, answer, sources FROM conversations WHERE message_sid = ?", (sid,)
        ).fetchall()


def wait_for_turn(stack, sid: str) -> list:
    for _ in range(50):
        if rows := conversations(stack, sid):
            return rows
        time.sleep(0.1)
    return []


def documents_stating(fact: str) -> set[str]:
    """The files of data/ whose text contains `fact` (read independently of the bot's code)."""
    found = set()
    for path in DATA.iterdir():
        if path.suffix == ".pdf":
            text = " ".join(page.extract_text() for page in PdfReader(path).pages)
        else:
            text = path.read_text()
        if fact in text:
            found.add(path.name)
    return found


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("What is the hostel fee per semester?", "42,000"),
        ("how much is a double AC room in the hostel", "64,000"),  # only the hostel PDF says this
    ],
)
def test_signed_question_is_answered_from_data_with_its_source_and_recorded(
    stack, question, fact
) -> None:
    sources = documents_stating(fact)
    assert sources, f"{fact} is not in data/"
    status, twiml, sid = send(stack, question)
    assert status == 200
    text = reply_text(twiml)
    assert fact in text and "Source:" in text
    assert any(name in text.split("Source:")[1] for name in sources), (text, sources)
    rows = wait_for_turn(stack, sid)
    assert rows and rows[0][0] == question and fact in rows[0][1]


def test_forged_signature_gets_403_and_nothing_is_stored_or_answered(stack) -> None:
    before = conversations(stack)
    status, body, sid = send(stack, "hostel fee", token="forged-token")
    assert status == 403 and "<Message>" not in body
    time.sleep(0.5)
    assert conversations(stack) == before and not conversations(stack, sid)


def test_an_oversized_body_over_a_real_socket_gets_its_413(stack) -> None:
    """Sent whole before the reply is read (as urllib, and many proxies, do): a server that
    answers without reading the body resets the connection and the sender sees no status."""
    request = urllib.request.Request(
        stack.base + "/webhook/whatsapp",
        data=urlencode({"Body": "a" * 2_000_000, "From": "whatsapp:+919876501234"}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    for _ in range(5):  # the reset is a race: it showed up on about one send in three
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 413


def test_cli_ask_json_reports_sources_and_timings(stack) -> None:
    done = run_cli("ask", "library timings on weekdays", "--json", env=stack.env)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert "8:00 am" in answer["reply"]
    assert any(s["source"] == "library.md" for s in answer["sources"])
    assert set(answer["timings_ms"]) == {"retrieve", "respond", "total"}


def test_every_service_answers_its_health_check(stack) -> None:
    assert httpx.get(stack.dashboard + "/healthz", timeout=5).status_code == 200
    assert httpx.get(stack.base + "/healthz", timeout=5).status_code == 200
    assert (
        "collegebot_rag_retrieve_duration_seconds"
        in httpx.get(f"http://127.0.0.1:{stack.env['RAG_METRICS_PORT']}/metrics", timeout=5).text
    )


def test_cli_ingest_asks_the_running_rag_service(stack) -> None:
    done = run_cli("ingest", str(DATA / "library.md"), env=stack.env)
    assert done.returncode == 0, done.stderr
    assert "asking the rag service" in done.stdout
    assert "unchanged library.md" in done.stdout and "1 unchanged" in done.stdout


def test_interrupt_stops_all_four_services(stack) -> None:
    process = stack.process
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(process.pid)], capture_output=True, text=True
    ).stdout.split()
    assert len(children) == 4
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    process.wait(timeout=30)
    time.sleep(0.5)
    alive = [
        pid
        for pid in children
        if Path(f"/proc/{pid}").exists()
        and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    ]
    assert alive == []
