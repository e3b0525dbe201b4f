"""The gateway with the real rag and llm servers on loopback: the whole message path."""

import re
import sqlite3
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from collegebot.asker import reply_text
from collegebot.store import migrate
from services.gateway.app import create_app
from tests.gateway.conftest import PATH, PUBLIC, TOKEN, form, settle


def signed(params: dict, token: str = TOKEN) -> dict:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(PUBLIC + PATH, params)}


@pytest.fixture
def client(env, monkeypatch, rag_server, llm_server):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("RAG_ADDRESS", rag_server.address)
    monkeypatch.setenv("LLM_ADDRESS", llm_server.address)
    monkeypatch.setenv("RATE_LIMIT_PER_SENDER", "5/minute")
    migrate(f"sqlite:///{env / 'collegebot.db'}")
    with TestClient(create_app(), base_url="http://gateway.internal:8000") as c:
        c.db = env / "collegebot.db"
        yield c


def rows(client, sql: str) -> list:
    settle(client)
    with sqlite3.connect(client.db) as db:
        return db.execute(sql).fetchall()


def post(client, params: dict, headers: dict | None = None):
    return client.post(
        PATH,
        content=urlencode(params),
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
    )


def test_a_signed_question_gets_a_sourced_answer_and_the_turn_is_recorded(client) -> None:
    params = form("wifi name?")
    response = post(client, params, signed(params))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    text = reply_text(response.text)
    assert "KVC-Students" in text and "it_services_and_wifi.md" in text
    recorded = rows(
        client,
        "SELECT message_sid, question, answer, sources, sender_hash, "
        "sender_masked FROM conversations",
    )
    assert len(recorded) == 1
    sid, question, answer, sources, sender_hash, masked = recorded[0]
    assert (sid, question) == (params["MessageSid"], "wifi name?") and "KVC-Students" in answer
    assert "it_services_and_wifi.md" in sources
    assert "9812345678" not in sender_hash and masked == "+91•••••5678"
    stages = {s for (s,) in rows(client, "SELECT stage FROM performance_metrics")}
    assert stages == {"retrieve", "respond", "total"}


def test_each_webhook_is_timed_in_the_stage_metric_and_a_server_timing_header(client) -> None:
    params = form("wifi name?")
    response = post(client, params, signed(params))
    timing = re.fullmatch(r"gateway;dur=(\d+\.\d{3})", response.headers["server-timing"])
    ((total_ms,),) = rows(client, "SELECT total_ms FROM conversations")
    assert timing and float(timing.group(1)) >= total_ms > 0  # the handler runs inside it
    assert "server-timing" not in client.get("/healthz").headers
    metrics = client.get("/metrics/").text
    assert 'collegebot_gateway_stage_duration_seconds_count{stage="request"}' in metrics


def test_forged_or_missing_signatures_are_refused_and_nothing_is_stored(client) -> None:
    params = form("hostel fee")
    assert post(client, params, signed(params, token="not-the-token")).status_code == 403
    assert post(client, params).status_code == 403
    tampered = dict(params, Body="something else")
    assert post(client, tampered, signed(params)).status_code == 403
    assert rows(client, "SELECT count(*) FROM conversations") == [(0,)]


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda p: p.pop("From"), 400),
        (lambda p: p.update(From="whatsapp:12345abc"), 400),
        (lambda p: p.pop("MessageSid"), 400),
        (lambda p: p.update(NumMedia="lots"), 400),
    ],
)
def test_malformed_webhooks_are_400(client, mutate, status) -> None:
    params = form("hi")
    mutate(params)
    assert post(client, params, signed(params)).status_code == status


def test_wrong_content_type_and_oversize_bodies_are_refused(client) -> None:
    as_json = client.post(PATH, json={"Body": "hi"}, headers={"X-Twilio-Signature": "x"})
    assert as_json.status_code == 400
    params = form("a" * 2_000_000)  # no WhatsApp text is this long
    assert post(client, params, signed(params)).status_code == 413


@pytest.mark.parametrize("body", ["a" * 5000, "क" * 7500, "🎓" * 5600, "🎓" * 65_536])
def test_a_long_message_in_any_script_gets_the_polite_too_long_reply(client, body) -> None:
    # Hindi is 3 bytes a character in UTF-8 and an emoji 4, each byte "%XX" in the form.
    params = form(body)
    response = post(client, params, signed(params))
    assert response.status_code == 200, response.status_code
    assert "too long" in reply_text(response.text)


def test_media_only_messages_get_a_text_only_reply(client) -> None:
    params = form("", NumMedia="1", MediaContentType0="image/jpeg")
    response = post(client, params, signed(params))
    assert response.status_code == 200 and "text" in reply_text(response.text).lower()


def test_a_burst_from_one_sender_is_told_once_then_ignored(client) -> None:
    replies = []
    for i in range(8):
        params = form(f"question {i} about the library", sender="+919800000001")
        replies.append(reply_text(post(client, params, signed(params)).text))
    assert all("try again" not in r for r in replies[:5])
    # Told once, politely, when: the oldest of the five leaves the minute's window in <= 60 s.
    told = re.fullmatch(
        r"You're sending messages faster than I can answer\. Please try again in about "
        r"(\d+) seconds?\.",
        replies[5],
    )
    assert told and 1 <= int(told.group(1)) <= 60, replies[5]
    assert replies[6:] == ["", ""]
    other = form("library timings", sender="+919800000002")
    assert "try again" not in reply_text(post(client, other, signed(other)).text)


def test_readiness_follows_rag_and_llm(client, monkeypatch) -> None:
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"rag": "serving", "llm": "serving"}
    metrics = client.get("/metrics/")
    assert metrics.status_code == 200 and "collegebot_gateway_webhooks_total" in metrics.text


def test_readiness_fails_and_students_get_a_polite_reply_when_rag_is_down(
    env, monkeypatch, llm_server
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("RAG_ADDRESS", "127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("LLM_ADDRESS", llm_server.address)
    migrate(f"sqlite:///{env / 'collegebot.db'}")
    with TestClient(create_app()) as c:
        assert c.get("/readyz").status_code == 503
        params = form("hostel fee")
        response = post(c, params, signed(params))
        assert response.status_code == 200
        assert "can't reach" in reply_text(response.text)
    with sqlite3.connect(env / "collegebot.db") as db:
        events = db.execute("SELECT service, event, detail FROM system_logs").fetchall()
        status = db.execute("SELECT status, question FROM conversations").fetchall()
    assert events == [("gateway", "dependency_unavailable", "UNAVAILABLE")]
    assert status == [("degraded", "hostel fee")]
