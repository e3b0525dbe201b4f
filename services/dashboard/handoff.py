"""Staff's side of the hand-off: claim a case, reply to the student through Twilio's REST API
(free text inside WhatsApp's 24-hour window, the approved template outside it), mark it handled."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from cryptography.fernet import InvalidToken
from flask import Flask, current_app
from sqlalchemy import Engine

from collegebot.privacy import NumberCipher
from collegebot.settings import HandoffSettings, TwilioSettings
from collegebot.store import staff_queries
from collegebot.twilio_rest import RestSender

# One WhatsApp message (Twilio's limit): a staff reply is one message, not split.
MAX_REPLY_CHARS = 1600


@dataclass(frozen=True)
class Sent:
    """What became of a reply: `ok`, and what the page tells the staff member."""

    ok: bool
    message: str


KEY = "collegebot.handoff"


def attach(server: Flask, desk: HandoffDesk) -> None:
    server.extensions[KEY] = desk


def current() -> HandoffDesk:
    return current_app.extensions[KEY]


class HandoffDesk:
    def __init__(
        self,
        engine: Engine,
        numbers: NumberCipher,
        twilio: TwilioSettings,
        handoff: HandoffSettings,
    ) -> None:
        self.engine, self.numbers = engine, numbers
        self.twilio, self.handoff = twilio, handoff

    def claim(self, escalation_id: int, by: str) -> bool:
        return staff_queries.claim_case(self.engine, escalation_id, by)

    def handle(self, escalation_id: int, by: str) -> bool:
        return staff_queries.handle_case(self.engine, escalation_id, by)

    def reply(self, escalation_id: int, text: str, by: str, now: datetime | None = None) -> Sent:
        """Send `text` to the case's student (claiming the case if it is open): as free text
        inside the 24-hour window; outside it WhatsApp refuses free text, so the approved
        template goes instead, which invites the student to write back (and reopens the window)."""
        text = text.strip()
        case = staff_queries.handoff_case(self.engine, escalation_id)
        if case is None or case.escalation.status not in staff_queries.OPEN_CASES:
            return Sent(False, "This case is handled: the student's number has been erased.")
        if not case.escalation.number_encrypted:
            return Sent(False, "No number is kept for this case, so no reply can be sent.")
        if not self.twilio.rest_configured:
            return Sent(
                False,
                "Replies need Twilio's REST API: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
                "TWILIO_WHATSAPP_FROM.",
            )
        inside = case.in_window(now)
        if inside and not text:
            return Sent(False, "Type a reply first.")
        if len(text) > MAX_REPLY_CHARS:
            return Sent(False, f"A reply is one WhatsApp message: at most {MAX_REPLY_CHARS:,} "
                        "characters.")  # fmt: skip
        template = self.handoff.twilio_handoff_content_sid
        if not inside and not template:
            return Sent(False, self.outside_window(case) + " No approved template is set "
                        "(TWILIO_HANDOFF_CONTENT_SID), so nothing can be sent until the student "
                        "writes again.")  # fmt: skip
        try:
            number = self.numbers.decrypt(case.escalation.number_encrypted)
        except InvalidToken:
            return Sent(False, "The stored number cannot be decrypted with NUMBER_ENCRYPTION_KEYS.")
        if case.escalation.status == "open":
            self.claim(escalation_id, by)
        variables = {
            k: v.replace("{name}", by)
            for k, v in self.handoff.twilio_handoff_content_variables.items()
        }
        try:
            sid = asyncio.run(self._send(number, text if inside else None, template, variables))
        except Exception as e:  # Twilio refused or is unreachable: the page says so
            return Sent(False, f"Twilio did not take the reply ({type(e).__name__}). Try again.")
        if inside:
            staff_queries.record_staff_reply(
                self.engine, case.escalation, text, "free_text", by, sid
            )
            return Sent(True, "Sent.")
        staff_queries.record_staff_reply(
            self.engine, case.escalation, f"(template {template})", "template", by, sid
        )
        return Sent(True, self.outside_window(case) + " The approved template was sent instead; "
                    "once the student writes back you can reply in your own words.")  # fmt: skip

    @staticmethod
    def outside_window(case: staff_queries.Case) -> str:
        return (
            "WhatsApp allows free text only within 24 hours of the student's last message, and "
            "that window has closed."
        )

    async def _send(
        self, number: str, text: str | None, template: str | None, variables: dict[str, str]
    ) -> str:
        twilio = self.twilio
        assert (
            twilio.twilio_account_sid and twilio.twilio_auth_token and twilio.twilio_whatsapp_from
        )
        sender = RestSender(
            twilio.twilio_account_sid,
            twilio.twilio_auth_token.get_secret_value(),
            twilio.twilio_whatsapp_from,
            twilio.twilio_api_base_url,
        )
        try:
            if text is not None:
                return (await sender.send(number, [text]))[0]
            assert template is not None
            return await sender.send_template(number, template, variables)
        finally:
            await sender.close()
