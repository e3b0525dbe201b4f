"""Sentry gets the gateway's errors and traces, and nothing of the student in them: the real
sentry_sdk, sending to a stand-in of Sentry's envelope endpoint."""

import pytest
import sentry_sdk

from collegebot.settings import SentrySettings
from collegebot.telemetry import setup_sentry
from services.gateway import webhook
from tests.gateway.conftest import TOKEN, form, send, settle, signature
from tests.servers import SentryStandIn

STUDENT = "+919845012345"
ASKED = "my roll no 21CE777 marks are wrong, rahul sharma"


@pytest.fixture
def sentry():
    standin = SentryStandIn()
    setup_sentry("gateway", SentrySettings(sentry_dsn=standin.dsn, sentry_traces_sample_rate=1.0))
    yield standin
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: the other tests run without Sentry
    standin.close()


def test_an_error_reaches_sentry_without_the_students_number_text_or_secrets(
    gateway, sentry, monkeypatch
) -> None:
    # A bug whose message carries what it was handling, as careless code would.
    def broken(outcome, message, question, answer):
        raise RuntimeError(f"could not finish {message.sender}: {question}")

    monkeypatch.setattr(webhook, "_fill", broken)
    client = gateway()
    message = form(ASKED, sender=STUDENT)
    response = send(client, message)
    assert response.status_code == 200  # the student still gets a reply
    settle(client)
    sentry_sdk.flush(timeout=10)

    items = sentry.items()
    assert {i["environment"] for i in items if "environment" in i} == {"development"}  # the mode
    errors = [i["exception"]["values"][-1] for i in items if "exception" in i]
    assert [(e["type"], e["stacktrace"]["frames"][-1]["function"]) for e in errors] == [
        ("RuntimeError", "broken")  # what failed and where, for whoever fixes it
    ]
    assert any(i["type"] == "transaction" for i in items)  # traces are scrubbed too
    sent = "\n".join(sentry.envelopes)
    for private in (STUDENT, STUDENT[3:], "21CE777", "rahul", TOKEN, signature(message)):
        assert private not in sent, private
