"""Signatures behind proxies, and a clear 4xx (never a 500) for anything else."""

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collegebot.settings import ConfigurationError, TwilioSettings, load
from tests.gateway.conftest import PATH, form, send, signature


def test_the_public_base_url_is_signed_whatever_host_the_pod_sees(gateway) -> None:
    client = gateway()  # the pod is reached as http://10.0.0.7:8000; Twilio called PUBLIC
    params = form("library timings")
    assert send(client, params).status_code == 200
    pod_url = "http://10.0.0.7:8000" + PATH
    forged = {"X-Twilio-Signature": signature(params, url=pod_url)}
    assert send(client, params, forged, signed=False).status_code == 403


def test_forwarded_headers_are_believed_only_from_trusted_proxies(gateway) -> None:
    public = "https://chat.kvc.edu.in" + PATH  # one of several hostnames the college serves
    behind = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.kvc.edu.in, lb.internal"}
    params = form("library timings")
    headers = {**behind, "X-Twilio-Signature": signature(params, url=public)}

    trusted = gateway(peer="10.1.2.3", PUBLIC_BASE_URL=None, TRUSTED_PROXIES="10.0.0.0/8")
    assert send(trusted, params, headers, signed=False).status_code == 200
    params = form("library timings")
    headers = {**behind, "X-Twilio-Signature": signature(params, url=public)}

    # The same request from an address outside TRUSTED_PROXIES: its headers are not believed.
    untrusted = gateway(peer="203.0.113.9", PUBLIC_BASE_URL=None, TRUSTED_PROXIES="10.0.0.0/8")
    assert send(untrusted, params, headers, signed=False).status_code == 403


def test_a_query_string_is_part_of_what_twilio_signs(gateway) -> None:
    client = gateway()
    params = form("library timings")
    url = "https://bot.example.edu" + PATH + "?college=kvc"
    response = client.post(
        PATH + "?college=kvc",
        content=urlencode(params),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature(params, url=url),
        },
    )
    assert response.status_code == 200


FIELDS = st.sampled_from(["MessageSid", "From", "Body", "NumMedia", "To", "WaId", "x", ""])
BODIES = st.one_of(
    st.binary(max_size=300),
    st.dictionaries(FIELDS, st.text(max_size=40), max_size=6).map(lambda d: urlencode(d).encode()),
)
CONTENT_TYPES = st.sampled_from(
    ["application/x-www-form-urlencoded", "application/json", "text/plain", ""]
)


def test_no_input_gets_a_500(gateway) -> None:
    client = gateway()

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(raw=BODIES, content_type=CONTENT_TYPES, sign=st.booleans())
    def check(raw: bytes, content_type: str, sign: bool) -> None:
        headers = {"Content-Type": content_type}
        if sign:  # signed correctly, so the request reaches parsing and the message path
            try:
                headers["X-Twilio-Signature"] = signature(
                    dict(parse_qsl(raw.decode(), keep_blank_values=True))
                )
            except UnicodeDecodeError:
                headers["X-Twilio-Signature"] = "x"
        status = client.post(PATH, content=raw, headers=headers).status_code
        assert status in {200, 400, 403, 413}, (raw, content_type, status)

    check()


def test_a_bad_trusted_proxy_names_the_variable(env, monkeypatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")
    with pytest.raises(ConfigurationError) as caught:
        load(TwilioSettings)
    assert "TRUSTED_PROXIES" in caught.value.message and "proxy.internal" in caught.value.message
