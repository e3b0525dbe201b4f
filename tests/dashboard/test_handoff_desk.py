"""Staff's reply to a student goes through Twilio's REST API (the real twilio client against the
Messages stand-in): free text inside WhatsApp's 24-hour window, the approved template outside it,
nothing once the case is handled."""

import asyncio
import json
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import update

from collegebot.privacy import NumberCipher
from collegebot.settings import Env, HandoffSettings, TwilioSettings
from collegebot.store import Outcome, Store, TurnRecord, migrate, sync_engine
from collegebot.store.models import Conversation, Escalation, utcnow
from collegebot.store.staff_queries import case_thread, cases, handle_case, handoff_case
from services.dashboard.handoff import HandoffDesk
from tests.servers import TwilioMessagesStandIn

ACCOUNT, TOKEN = "AC" + "2" * 32, "handoff-test-token"
NUMBER = "+919812300001"


@pytest.fixture
def desk(env):
    url = f"sqlite:///{env / 'collegebot.db'}"
    migrate(url)
    cipher = NumberCipher([Fernet.generate_key().decode()])

    async def seed() -> None:
        store = Store(url)
        question = TurnRecord("SM" + "1" * 32, "h1", "+91•••••0001", "my fee receipt is wrong", "…")
        await store.record(
            Outcome(question.message_sid, "h1", "question", "replied", ["…"], question,
                    "requested", "+91•••••0001", number_encrypted=cipher.encrypt(NUMBER))
        )  # fmt: skip
        await store.close()

    asyncio.run(seed())
    twilio = TwilioMessagesStandIn(ACCOUNT, TOKEN, fail_first=1)  # one hiccup, retried
    engine = sync_engine(url)
    settings = TwilioSettings(
        collegebot_env=Env.development,
        twilio_account_sid=ACCOUNT,
        twilio_auth_token=TOKEN,
        twilio_whatsapp_from="+14155238886",
        twilio_api_base_url=twilio.url,
    )

    def make(template: str | None = "HX" + "a" * 32) -> HandoffDesk:
        return HandoffDesk(
            engine, cipher, settings, HandoffSettings(twilio_handoff_content_sid=template)
        )

    yield make, twilio, engine
    twilio.close()
    engine.dispose()


def the_case(engine):
    (case,) = cases(engine)
    return case


def test_inside_the_window_the_reply_goes_as_free_text(desk) -> None:
    make, twilio, engine = desk
    case = the_case(engine)
    assert case.in_window()
    sent = make().reply(case.escalation.id, "Hello, I'm looking at your receipt now.", "Asha Rao")
    assert sent.ok, sent.message
    (message,) = twilio.sent
    assert message["To"] == f"whatsapp:{NUMBER}" and message["From"] == "whatsapp:+14155238886"
    assert message["Body"] == "Hello, I'm looking at your receipt now."
    after = handoff_case(engine, case.escalation.id).escalation
    assert (after.status, after.claimed_by) == ("claimed", "Asha Rao")  # replying claims it
    thread = case_thread(engine, "h1")
    assert [(e.who, e.detail) for e in thread][-1] == ("staff", "Asha Rao (free text)")


def test_outside_the_window_only_the_template_goes(desk) -> None:
    make, twilio, engine = desk
    with engine.begin() as c:  # the student last wrote 25 hours ago
        for table in (Conversation, Escalation):
            c.execute(update(table).values(created_at=utcnow() - timedelta(hours=25)))
    case = the_case(engine)
    assert not case.in_window()

    refused = make(template=None).reply(case.escalation.id, "Hello again", "Asha Rao")
    assert not refused.ok and "24 hours" in refused.message and twilio.sent == []

    sent = make().reply(case.escalation.id, "Hello again", "Asha Rao")
    assert sent.ok and "template was sent instead" in sent.message
    (message,) = twilio.sent
    assert "Body" not in message and message["ContentSid"] == "HX" + "a" * 32
    assert json.loads(message["ContentVariables"]) == {"1": "Asha Rao"}
    assert case_thread(engine, "h1")[-1].detail == "Asha Rao (template)"


def test_a_handled_case_sends_nothing(desk) -> None:
    make, twilio, engine = desk
    case = the_case(engine)
    assert handle_case(engine, case.escalation.id, "Asha Rao")
    sent = make().reply(case.escalation.id, "One more thing", "Asha Rao")
    assert not sent.ok and "erased" in sent.message and twilio.sent == []
