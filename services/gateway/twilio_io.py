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
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SID = re.compile(r"^[A-Z]{2}[0-9a-zA-Z]{8,62}$")


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
    if not _SID.match(sid):
        raise BadRequest("MessageSid is missing or malformed")
    sender = form.get("From", "").removeprefix("whatsapp:")
    if not _E164.match(sender):
        raise BadRequest("From is missing or not a whatsapp:+E.164 number")
    try:
        num_media = int(form.get("NumMedia", "0") or 0)
    except ValueError:
        raise BadRequest("NumMedia is not a number") from None
    if not 0 <= num_media <= 10:
        raise BadRequest("NumMedia is out of range")
    # ProfileName (the student's WhatsApp display name) is personal data nothing needs: not read.
    return InboundMessage(sid, sender, form.get("Body", ""), num_media)


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
