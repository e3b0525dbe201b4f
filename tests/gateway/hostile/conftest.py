"""Hostile input against the gateway fixture of tests/gateway (real rag and llm servers behind
it), and what every hostile test checks of a reply: a status Twilio accepts, TwiML that
parses, nothing private in the logs or on /metrics."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl

from fastapi.testclient import TestClient

from collegebot.settings import WEBHOOK_PATH
from tests.gateway.conftest import signature

FORM = "application/x-www-form-urlencoded"


def post_signed(client: TestClient, raw: bytes, headers: dict | None = None):
    """POST `raw` as a form, signed over exactly what the gateway will parse of it (as Twilio
    signs what it sends), so the body gets past the signature check to the parser."""
    form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    signed = {"Content-Type": FORM, "X-Twilio-Signature": signature(form), **(headers or {})}
    return client.post(WEBHOOK_PATH, content=raw, headers=signed)


def twiml_messages(response) -> list[str]:
    """The texts of a 200's TwiML, parsed as XML (a reply that does not parse fails here)."""
    assert response.status_code == 200, (response.status_code, response.text[:200])
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "Response", response.text[:200]
    return [m.text or "" for m in root.iter("Message")]


def assert_absent(text: str, secrets: list[str]) -> None:
    """None of `secrets` (numbers, message texts) appears in `text` (logs, a metrics page)."""
    for secret in secrets:
        assert secret not in text, secret
