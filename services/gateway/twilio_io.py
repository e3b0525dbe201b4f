"""What the gateway speaks with Twilio: the signed form it receives and the TwiML it returns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

MAX_FORM_BYTES = 64 * 1024  # a 4,096-character body, URL-encoded, plus Twilio's fields fits easily
MAX_BODY_CHARS = 4096
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
    profile_name: str


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
    return InboundMessage(
        sid, sender, form.get("Body", ""), num_media, form.get("ProfileName", "")[:128]
    )


class SignatureCheck:
    """Twilio's X-Twilio-Signature, computed over the public URL the operator configured.

    Without a token (development only) every request passes; the gateway says so at start.
    """

    def __init__(self, auth_token: str | None, url: str) -> None:
        self.validator = RequestValidator(auth_token) if auth_token else None
        self.url = url

    @property
    def enforced(self) -> bool:
        return self.validator is not None

    def valid(self, form: dict[str, str], signature: str | None) -> bool:
        if self.validator is None:
            return True
        return bool(signature) and self.validator.validate(self.url, form, signature)


def twiml(parts: list[str]) -> str:
    """A TwiML reply with one <Message> per part (none: an empty response, nothing sent)."""
    response = MessagingResponse()
    for part in parts:
        response.message(part)
    return str(response)
