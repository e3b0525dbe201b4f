"""What the gateway speaks with Twilio: the signed form it receives and the TwiML it returns."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.requests import Request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

MAX_BODY_CHARS = 4096
# Every text WhatsApp lets a student send is read whole, so a long one gets the polite "too long"
# reply rather than a 413: up to 65,536 characters of up to 4 UTF-8 bytes, each byte "%XX" in
# the form, plus room for Twilio's other fields.
WHATSAPP_MAX_CHARS = 65_536
MAX_FORM_BYTES = WHATSAPP_MAX_CHARS * 4 * 3 + 64 * 1024
# ASCII digits only, matched whole (re.fullmatch): Python's \d takes any script's digits and
# its $ a trailing newline, so "+91…\n" would pass as a number and a MessageSid carry a line break
# into every log line. The same patterns describe the form in the OpenAPI document.
_E164 = r"\+[1-9][0-9]{6,14}"
_SID = r"[A-Z]{2}[0-9a-zA-Z]{8,62}"
_NUM_MEDIA = r"(10|[0-9])?"  # Twilio sends 0 to 10; missing or empty is 0


class BadRequest(Exception):
    """The request cannot be a Twilio webhook; the message is safe to return (no input echoed)."""


@dataclass(frozen=True)
class InboundMessage:
    sid: str
    sender: str  # E.164, without the "whatsapp:" prefix
    body: str
    num_media: int


def parse_form(raw: bytes, content_type: str) -> dict[str, str]:
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise BadRequest("expected application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the form cannot be parsed") from None
    return dict(pairs)


def parse_message(form: dict[str, str]) -> InboundMessage:
    sid = form.get("MessageSid", "")
    if not re.fullmatch(_SID, sid):
        raise BadRequest("MessageSid is missing or malformed")
    sender = form.get("From", "").removeprefix("whatsapp:")
    if not re.fullmatch(_E164, sender):
        raise BadRequest("From is missing or not a whatsapp:+E.164 number")
    num_media = form.get("NumMedia", "")
    if not re.fullmatch(_NUM_MEDIA, num_media):
        raise BadRequest("NumMedia is not a number from 0 to 10")
    # ProfileName (the student's WhatsApp display name) is personal data nothing needs: not read.
    return InboundMessage(sid, sender, form.get("Body", ""), int(num_media or 0))


def _string(description: str, pattern: str | None = None) -> dict:
    schema = {"type": "string", "description": description}
    return schema | ({"pattern": f"^{pattern}$"} if pattern else {})


_TEXT = {"text/plain": {"schema": {"type": "string"}}}
_OUTCOME = {
    "X-Collegebot-Outcome": {
        "description": "what became of the message (a metric label; no student data)",
        "schema": {"type": "string"},
    }
}
# What /openapi.json says of the webhook: the form Twilio posts (the fields the gateway reads,
# with the patterns parse_message checks, and the usual others; Twilio adds fields at will, so
# any other is allowed), its signature header, and the four answers it can get.
WEBHOOK_OPENAPI: dict = {
    "parameters": [
        {
            "name": "X-Twilio-Signature",
            "in": "header",
            "required": True,
            "description": "HMAC-SHA1 of PUBLIC_BASE_URL + path + the sorted form, by the token",
            "schema": {"type": "string"},
        }
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["MessageSid", "From"],
                    "properties": {
                        "MessageSid": _string("the message's id: one reply per id", _SID),
                        "SmsMessageSid": _string("the same id, under its older name"),
                        "AccountSid": _string("the Twilio account"),
                        "From": _string("the student", f"(whatsapp:)?{_E164}"),
                        "To": _string("the college's WhatsApp number"),
                        "Body": _string("the message's text (may be empty)"),
                        "NumMedia": _string("attachments, 0 to 10", _NUM_MEDIA),
                        "MediaUrl0": _string("the first attachment (not read)"),
                        "MediaContentType0": _string("its type (not read)"),
                        "ProfileName": _string("the student's display name (not read)"),
                        "WaId": _string("the student's WhatsApp id (not read)"),
                    },
                }
            }
        },
    },
}
WEBHOOK_RESPONSES: dict = {
    200: {
        "description": "TwiML: one <Message> per part of the reply, or none",
        "content": {"application/xml": {"schema": {"type": "string"}}},
        "headers": _OUTCOME,
    },
    400: {"description": "not a Twilio webhook form", "content": _TEXT, "headers": _OUTCOME},
    403: {"description": "the signature does not match", "content": _TEXT, "headers": _OUTCOME},
    413: {"description": "the body is too large", "content": _TEXT, "headers": _OUTCOME},
}


class SignatureCheck:
    """Twilio's X-Twilio-Signature, computed over the URL Twilio called.

    That URL is PUBLIC_BASE_URL + the path when configured: what the pod sees behind a proxy or
    load balancer (another scheme, host and port) never matters. Without it, the scheme and host
    come from X-Forwarded-Proto/Host only when the request comes from a trusted proxy; anyone
    else could forge those headers. Without a token (development only) every request passes.
    """

    def __init__(
        self,
        auth_token: str | None,
        public_base_url: str | None,
        trusted_proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network] = (),
    ) -> None:
        self.validator = RequestValidator(auth_token) if auth_token else None
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.trusted_proxies = tuple(trusted_proxies)

    @property
    def enforced(self) -> bool:
        return self.validator is not None

    def url(self, request: Request) -> str:
        """The URL Twilio signed: base, path and query string."""
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if self.public_base_url:
            return self.public_base_url + path
        scheme, host = request.url.scheme, request.headers.get("host", "")
        if self._from_trusted_proxy(request):
            # A chain of proxies appends; the first value is what the client (Twilio) used.
            scheme = _first(request.headers.get("x-forwarded-proto")) or scheme
            host = _first(request.headers.get("x-forwarded-host")) or host
        return f"{scheme}://{host}{path}"

    def _from_trusted_proxy(self, request: Request) -> bool:
        try:
            peer = ipaddress.ip_address(request.client.host if request.client else "")
        except ValueError:
            return False
        return any(peer in network for network in self.trusted_proxies)

    def valid(self, request: Request, form: dict[str, str], signature: str | None) -> bool:
        if self.validator is None:
            return True
        return bool(signature) and self.validator.validate(self.url(request), form, signature)


def _first(header: str | None) -> str:
    return (header or "").split(",")[0].strip()


def twiml(parts: list[str]) -> str:
    """A TwiML reply with one <Message> per part (none: an empty response, nothing sent)."""
    response = MessagingResponse()
    for part in parts:
        response.message(part)
    return str(response)
