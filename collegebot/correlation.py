"""The correlation id of the message being handled: its Twilio MessageSid.

The gateway sets it once it has checked the webhook; the gRPC client interceptor sends it in
metadata, the server interceptor sets it on the rag and llm side, and a logging filter writes it
on every line, so one message's lines can be found in all three services. It is a contextvar, so
tasks started while handling a message (asyncio copies the context) carry it too. A MessageSid
is Twilio's identifier of the message, never anything the student wrote.
"""

from __future__ import annotations

import re
from contextvars import ContextVar, Token

import sentry_sdk

METADATA_KEY = "x-collegebot-message-sid"  # gRPC metadata keys are lower case
SENTRY_TAG = "message_sid"
# Twilio's SIDs: two letters and 32 hex digits. Anything else arriving in metadata is not logged.
_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")

_current: ContextVar[str] = ContextVar("collegebot_message_sid", default="")


def current() -> str:
    """The MessageSid being handled here, or "" outside any message."""
    return _current.get()


def bind(message_sid: str) -> Token[str] | None:
    """Make `message_sid` the correlation id of this context (and its Sentry scope).

    A value that is not shaped like a Twilio SID is ignored: metadata comes from the network."""
    if not _SID.fullmatch(message_sid):
        return None
    sentry_sdk.set_tag(SENTRY_TAG, message_sid)
    return _current.set(message_sid)


def unbind(token: Token[str] | None) -> None:
    if token is not None:
        _current.reset(token)
