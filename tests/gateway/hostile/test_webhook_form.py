"""The webhook's form under hypothesis, through the real gateway (real rag and llm behind it):
a well-formed form signed as Twilio signs is answered with TwiML whatever its text; the same form
forged (another token, a field changed after signing, no signature) is a 403 that reaches neither
rag nor the llm; a signed form with a malformed field is a 400; a body that is no form is a 400
signed or not."""

from __future__ import annotations

import os
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.gateway.conftest import PATH, TOKEN, signature
from tests.gateway.hostile.conftest import FORM, twiml_messages

# Derandomized, no example database: the same small run every time.
QUICK = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
SIDS = st.from_regex(r"SM[0-9a-f]{32}", fullmatch=True)
SENDERS = st.from_regex(r"\+[1-9][0-9]{9,13}", fullmatch=True)
# Any text a phone can send (every plane, controls and NUL included), up to the length limit.
TEXT = st.text(st.characters(codec="utf-8"), max_size=300)
EXTRA = st.dictionaries(
    st.sampled_from(["To", "AccountSid", "ProfileName", "WaId", "MediaUrl0", "Latitude", "x"]),
    TEXT,
    max_size=4,
)


@st.composite
def forms(draw) -> dict[str, str]:
    sid = draw(SIDS)
    return {
        **draw(EXTRA),
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "From": "whatsapp:" + draw(SENDERS),
        "Body": draw(TEXT),
        "NumMedia": str(draw(st.integers(0, 10))),
    }


def post(client, params: dict[str, str], signed_with: str | None):
    headers = {"Content-Type": FORM}
    if signed_with is not None:
        headers["X-Twilio-Signature"] = signature(params, token=signed_with)
    return client.post(PATH, content=urlencode(params), headers=headers)


def unread(counted, check) -> None:
    """`check()`, with neither rag nor the llm asked anything meanwhile."""
    counted["rag"].reset()
    counted["llm"].reset()
    check()
    assert not counted["rag"].calls and not counted["llm"].calls, counted


@pytest.fixture
def client(gateway):
    return gateway(RATE_LIMIT_PER_SENDER="10000/minute", RATE_LIMIT_GLOBAL="10000/second")


def test_any_signed_form_is_answered_with_twiml(client) -> None:
    @QUICK
    @given(params=forms())
    def check(params: dict[str, str]) -> None:
        response = post(client, params, TOKEN)
        assert response.headers["X-Collegebot-Outcome"]
        assert all(len(text) <= 1600 for text in twiml_messages(response))

    check()


def test_a_forged_form_is_refused_before_anything_reads_it(client, counted) -> None:
    how = st.sampled_from(["other token", "changed after signing", "unsigned", "garbage"])

    @QUICK
    @given(params=forms(), forgery=how, changed=TEXT)
    def check(params: dict[str, str], forgery: str, changed: str) -> None:
        if forgery == "other token":
            response = post(client, params, "not-" + TOKEN)
        elif forgery == "changed after signing":
            headers = {"Content-Type": FORM, "X-Twilio-Signature": signature(params)}
            tampered = {**params, "Body": params["Body"] + (changed or "!")}
            response = client.post(PATH, content=urlencode(tampered), headers=headers)
        elif forgery == "unsigned":
            response = post(client, params, None)
        else:
            headers = {"Content-Type": FORM, "X-Twilio-Signature": os.urandom(20).hex()}
            response = client.post(PATH, content=urlencode(params), headers=headers)
        assert response.status_code == 403, (forgery, response.status_code)
        assert response.headers["X-Collegebot-Outcome"] == "forged"

    unread(counted, check)


def _sid(p: dict[str, str]) -> str:
    return p["MessageSid"]


def _number(p: dict[str, str]) -> str:
    return p["From"].removeprefix("whatsapp:")


# Each makes one field of a well-formed form malformed (by Twilio's formats, not the parser's).
MALFORMED = st.sampled_from(
    [
        lambda p: {"MessageSid": ""},
        lambda p: {"MessageSid": _sid(p) + "\n"},  # a line break into every log line
        lambda p: {"MessageSid": _sid(p)[:6]},
        lambda p: {"MessageSid": "sm" + _sid(p)[2:]},
        lambda p: {"MessageSid": _sid(p)[:10] + " " + _sid(p)[10:]},
        lambda p: {"MessageSid": _sid(p)[:10] + "é" + _sid(p)[10:]},
        lambda p: {"From": ""},
        lambda p: {"From": "whatsapp:" + _number(p).lstrip("+")},
        lambda p: {"From": "whatsapp:+0" + _number(p)[2:]},
        lambda p: {"From": "whatsapp:" + _number(p).replace("1", "\u0661").replace("2", "\u0662")},
        lambda p: {"From": p["From"] + "\n"},
        lambda p: {"From": "whatsapp:+91abcdefghij"},
        lambda p: {"From": "whatsapp:" + _number(p) + "0" * 16},
        lambda p: {"NumMedia": "11"},
        lambda p: {"NumMedia": "-1"},
        lambda p: {"NumMedia": "1.5"},
        lambda p: {"NumMedia": " 1"},
        lambda p: {"NumMedia": "\u0661"},
        lambda p: {"NumMedia": "9" * 40},
    ]
)


def test_a_signed_form_with_a_malformed_field_is_a_400(client, counted) -> None:
    @QUICK
    @given(params=forms(), malformed=MALFORMED)
    def check(params: dict[str, str], malformed) -> None:
        params = {**params, **malformed(params)}
        response = post(client, params, TOKEN)
        assert response.status_code == 400, (params, response.status_code)
        assert response.headers["X-Collegebot-Outcome"] == "malformed"

    unread(counted, check)


def test_a_body_that_is_no_form_is_a_400_signed_or_not(client) -> None:
    @QUICK
    @given(
        raw=st.one_of(
            st.binary(min_size=1, max_size=200).filter(lambda b: _not_utf8(b)),
            st.sampled_from([b"a=1&&b", b"MessageSid", b"&", b"Body=hi&From"]),
        ),
        content_type=st.sampled_from([FORM, FORM + "; charset=utf-8"]),
    )
    def check(raw: bytes, content_type: str) -> None:
        for headers in ({}, {"X-Twilio-Signature": signature({})}):
            response = client.post(
                PATH, content=raw, headers={"Content-Type": content_type, **headers}
            )
            assert response.status_code == 400, (raw, response.status_code)

    check()

    for content_type in ("application/json", "text/plain", "multipart/form-data", ""):
        response = client.post(
            PATH, content=b'{"Body": "hi"}', headers={"Content-Type": content_type}
        )
        assert response.status_code == 400, content_type


def _not_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
