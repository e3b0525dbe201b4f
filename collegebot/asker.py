"""Playing the student: a webhook signed exactly as Twilio signs it, posted to the gateway."""

from __future__ import annotations

import html
import re
import secrets
import time
from dataclasses import dataclass

import httpx
from twilio.request_validator import RequestValidator

from collegebot.settings import WEBHOOK_PATH, ServiceAddresses, StoreSettings, TwilioSettings, load


def reply_text(twiml: str) -> str:
    """The text of every <Message> in a TwiML reply."""
    parts = re.findall(r"<Message[^>]*>(.*?)</Message>", twiml, re.S)
    return "\n".join(html.unescape(p).strip() for p in parts)


@dataclass
class Asker:
    post_url: str
    signed_url: str
    token: str | None
    sender: str
    store: StoreSettings

    @classmethod
    def from_settings(cls, gateway: str | None, sender: str) -> Asker:
        twilio, addresses = load(TwilioSettings), load(ServiceAddresses)
        base = (gateway or f"http://127.0.0.1:{addresses.gateway_port}").rstrip("/")
        public = str(twilio.public_base_url or base).rstrip("/")
        signed = public + WEBHOOK_PATH  # the URL Twilio would have called, which it signs
        token = twilio.twilio_auth_token.get_secret_value() if twilio.twilio_auth_token else None
        return cls(base + WEBHOOK_PATH, signed, token, sender, load(StoreSettings))

    def form(self, body: str) -> dict[str, str]:
        sid = "SM" + secrets.token_hex(16)
        return {
            "MessageSid": sid,
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "MessagingServiceSid": "",
            "From": f"whatsapp:{self.sender}",
            "To": "whatsapp:+14155238886",
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ProfileName": "collegebot cli",
            "WaId": self.sender.lstrip("+"),
            "ApiVersion": "2010-04-01",
        }

    def headers(self, form: dict[str, str]) -> dict[str, str]:
        """The signature Twilio sends with this form (none without a token)."""
        if not self.token:
            return {}
        signature = RequestValidator(self.token).compute_signature(self.signed_url, form)
        return {"X-Twilio-Signature": signature}

    def ask(self, question: str, details: bool = False) -> dict:
        form = self.form(question)
        headers = self.headers(form)
        started = time.perf_counter()
        try:
            response = httpx.post(self.post_url, data=form, headers=headers, timeout=20)
        except httpx.HTTPError as e:
            return {"status": 0, "reply": "", "error": f"cannot reach {self.post_url}: {e}"}
        elapsed = (time.perf_counter() - started) * 1000
        ok = response.status_code == 200
        answer = {
            "status": response.status_code,
            "reply": reply_text(response.text) if ok else "",
            "error": "" if ok else response.text[:200],
            "message_sid": form["MessageSid"],
            "round_trip_ms": round(elapsed, 1),
        }
        if details and ok:
            answer.update(self._recorded(form["MessageSid"]))
        return answer

    def _recorded(self, sid: str, wait_s: float = 5.0) -> dict:
        """What the gateway recorded for this message: sources, labels and stage timings."""
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        from collegebot.store import sync_engine
        from collegebot.store.models import Conversation, PerformanceMetric

        engine = sync_engine(self.store.url, self.store.database_statement_cache)
        deadline = time.monotonic() + wait_s
        try:
            with Session(engine) as session:
                while True:
                    turn = session.scalar(
                        select(Conversation).where(Conversation.message_sid == sid)
                    )
                    if turn is not None or time.monotonic() > deadline:
                        break
                    time.sleep(0.1)
                if turn is None:
                    return {
                        "sources": None,
                        "timings_ms": None,
                        "note": "the turn was not found in the store",
                    }
                stages = session.scalars(
                    select(PerformanceMetric).where(PerformanceMetric.conversation_id == turn.id)
                )
                return {
                    "sources": turn.sources,
                    "intent": turn.intent,
                    "urgency": turn.urgency,
                    "sentiment": turn.sentiment,
                    "abstained": turn.abstained,
                    "generator": turn.generator,
                    "timings_ms": {m.stage: round(m.duration_ms, 1) for m in stages},
                }
        finally:
            engine.dispose()
