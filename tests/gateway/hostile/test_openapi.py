"""The gateway against its own OpenAPI document: schemathesis generates requests from it (the
webhook's form, its signature header; health and readiness), the real gateway (real rag and llm
behind it) answers, and schemathesis checks each answer against the document: no 5xx, only
declared statuses, content types, headers and bodies."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from collegebot.settings import WEBHOOK_PATH
from tests.gateway.hostile.conftest import post_signed, twiml_messages

# Derandomized, no example database: the same small run every time (a few seconds).
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def client(gateway):
    return gateway(RATE_LIMIT_PER_SENDER="1000/minute", RATE_LIMIT_GLOBAL="1000/second")


@pytest.fixture
def schema(client):
    return schemathesis.openapi.from_dict(client.app.openapi())


def wire(case) -> tuple[str, str, dict[str, str], bytes]:
    """The request schemathesis would send for `case`, as bytes (encoded as requests encodes it),
    so it can go through the test's own client, whose app holds the real rag and llm."""
    prepared = requests.Request(**case.as_transport_kwargs(base_url="http://gateway")).prepare()
    body = prepared.body or b""
    body = body.encode() if isinstance(body, str) else body
    return prepared.method or "GET", prepared.path_url, dict(prepared.headers), body


def send(client, case, sign: bool):
    method, path, headers, body = wire(case)
    headers.pop("Content-Length", None)
    if sign and "X-Twilio-Signature" in headers:  # a case that drops the header stays unsigned
        headers.pop("X-Twilio-Signature")
        return post_signed(client, body, headers)
    return client.request(method, path, headers=headers, content=body)


def test_the_document_declares_the_form_twilio_posts(schema) -> None:
    operation = schema[WEBHOOK_PATH]["POST"]
    body = operation.definition.raw["requestBody"]["content"]
    form = body["application/x-www-form-urlencoded"]["schema"]
    assert {"MessageSid", "From", "Body", "NumMedia"} <= form["properties"].keys()
    assert set(operation.definition.raw["responses"]) == {"200", "400", "403", "413"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_signed_webhooks_conform_to_the_document(client, schema, mode) -> None:
    """Signed as Twilio signs, so every generated form reaches the parser and the message path:
    a form the document allows is answered 200 with TwiML; one it does not, with a 4xx."""
    operation = schema[WEBHOOK_PATH]["POST"]

    @SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case) -> None:
        response = send(client, case, sign=True)
        case.validate_response(response)
        if mode is GenerationMode.POSITIVE:
            twiml_messages(response)
        else:
            assert 400 <= response.status_code < 500

    check()


def test_unsigned_webhooks_are_refused_and_conform(client, schema) -> None:
    operation = schema[WEBHOOK_PATH]["POST"]

    @SETTINGS
    @given(case=operation.as_strategy())
    def check(case) -> None:
        response = send(client, case, sign=False)
        case.validate_response(response)
        assert response.status_code in {400, 403}, response.status_code

    check()


def test_health_and_readiness_conform(client, schema) -> None:
    @settings(SETTINGS, max_examples=10)
    @given(
        case=st.sampled_from(["/healthz", "/readyz"]).flatmap(
            lambda path: schema[path]["GET"].as_strategy()
        )
    )
    def check(case) -> None:
        response = send(client, case, sign=False)
        case.validate_response(response)
        assert response.status_code == 200  # rag and llm are up

    check()
