"""The staff loops in real headless Chromium, through the four running services (`collegebot up`):
the whole hand-off (an escalation, a claim, a reply that reaches the Twilio stand-in as free text
inside the window and as the template outside it, a paused bot, "handled", the number gone) and
the whole knowledge-gap loop (an abstained question, a staff answer, the same question answered
from the new document). The escalations and gaps pages are screenshotted for the README."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from collegebot.asker import reply_text
from collegebot.store import sync_engine
from collegebot.store.models import utcnow
from collegebot.store.staff_queries import add_staff_account
from tests.conftest import DATA, ROOT
from tests.servers import (
    CollegebotUp,
    TwilioMessagesStandIn,
    send_webhook,
    settle,
    sign_in,
    until,
)

SHOTS = ROOT / "docs" / "screenshots"
TOKEN = "handoff-browser-token-0123456789"
ACCOUNT = "AC" + "3" * 32
TEMPLATE = "HX" + "b" * 32
STUDENT = "+919812377001"
ASHA = ("asha", "a long passphrase")
POOL = "Is there a swimming pool on campus?"


@pytest.fixture(scope="module")
def twilio():
    standin = TwilioMessagesStandIn(ACCOUNT, TOKEN)
    yield standin
    standin.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, indexed_state, twilio):
    """The four services on a copy of data/ (staff answers are written into it)."""
    state = tmp_path_factory.mktemp("handoff-stack")
    data = state / "documents"
    shutil.copytree(DATA, data)
    up = CollegebotUp(
        state,
        TOKEN,
        {
            "COLLEGEBOT_DATA_DIR": str(data),
            "DASHBOARD_USERNAME": "staff",
            "DASHBOARD_PASSWORD": "a-test-password",
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_WHATSAPP_FROM": "+14155238886",
            "TWILIO_API_BASE_URL": twilio.url,
            "TWILIO_HANDOFF_CONTENT_SID": TEMPLATE,
            "LOG_FORMAT": "text",
        },
        seed=indexed_state,
    )
    up.data = data  # type: ignore[attr-defined]
    engine = sync_engine(f"sqlite:///{state / 'collegebot.db'}")
    add_staff_account(engine, ASHA[0], "Asha Rao", PasswordHasher().hash(ASHA[1]))
    engine.dispose()
    yield up
    up.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def db(stack) -> sqlite3.Connection:
    return sqlite3.connect(stack.state / "collegebot.db")


def recorded(stack, sql: str):
    """The row `sql` selects once the gateway has written it (records go after the reply)."""

    def row():
        with db(stack) as c:
            return c.execute(sql).fetchone()

    return until(row, sql)


def ask(stack, text: str, sender: str = STUDENT):
    response, _ = send_webhook(stack.base, TOKEN, text, sender=sender)
    assert response.status_code == 200
    return response


def open_case(page, base: str) -> None:
    page.goto(f"{base}/escalations")
    settle(page)
    page.locator("#esc-grid .ag-center-cols-container .ag-row[row-index='0']").click()
    page.wait_for_selector("#esc-thread")
    settle(page)


def test_the_whole_hand_off(browser_page, stack, twilio) -> None:
    page, base = browser_page, stack.dashboard
    assert "member of staff" in reply_text(ask(stack, "talk to a human").text)
    (number,) = recorded(stack, "SELECT number_encrypted FROM escalations")
    assert number and STUDENT[1:] not in number  # kept, encrypted

    sign_in(page, base, *ASHA)
    open_case(page, base)
    assert "Asked for a person" in page.inner_text("#esc-thread")
    assert "Inside WhatsApp's 24-hour window" in page.inner_text("#esc-window")
    page.get_by_role("button", name="Claim").click()
    page.wait_for_selector("#esc-outcome :text('Claimed')")
    settle(page)
    assert "Claimed by Asha Rao" in page.inner_text("#esc-status")
    page.fill("#esc-reply", "Hello, this is Asha from student services. How can I help?")
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_selector("#esc-outcome :text('Sent.')")
    (free,) = twilio.sent
    assert free["To"] == f"whatsapp:{STUDENT}" and free["Body"].startswith("Hello, this is Asha")

    # The bot keeps quiet for this student; the message lands in the thread.
    quiet = ask(stack, "What is the hostel fee per semester?")
    assert reply_text(quiet.text) == "" and quiet.headers["X-Collegebot-Outcome"] == "paused"
    recorded(stack, "SELECT id FROM conversations WHERE status = 'paused'")
    open_case(page, base)
    thread = page.inner_text("#esc-thread")
    assert "What is the hostel fee per semester?" in thread and "Hello, this is Asha" in thread
    shot(page, "escalations")

    # A day later WhatsApp refuses free text: only the template goes, and the page says why.
    past = (utcnow() - timedelta(hours=25)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with db(stack) as c:
        c.execute("UPDATE conversations SET created_at = ?", (past,))
        c.execute("UPDATE escalations SET created_at = ?", (past,))
    open_case(page, base)
    assert "refuses free text" in page.inner_text("#esc-window")
    assert page.locator("#esc-reply").is_disabled()
    page.get_by_role("button", name="Send the approved template").click()
    page.wait_for_selector("#esc-outcome :text('template was sent instead')")
    template = twilio.sent[-1]
    assert template["ContentSid"] == TEMPLATE and "Body" not in template
    assert "Asha Rao" in template["ContentVariables"]
    shot(page, "escalations-template")

    page.get_by_role("button", name="Mark handled").click()
    page.wait_for_selector("#esc-outcome :text('Handled')")
    assert "42,000" in reply_text(ask(stack, "What is the hostel fee per semester?").text)
    with db(stack) as c:
        row = c.execute("SELECT status, handled_by, number_encrypted FROM escalations").fetchone()
    assert row == ("handled", "Asha Rao", "")
    assert page.errors.messages == []


def test_the_whole_gap_loop(browser_page, stack) -> None:
    page, base = browser_page, stack.dashboard
    first = reply_text(ask(stack, POOL, sender="+919812377002").text)
    assert "don't know" in first.lower(), first
    ask(stack, "does the college have a swimming pool", sender="+919812377003")
    recorded(stack, "SELECT count(*) FROM conversations WHERE abstained HAVING count(*) = 2")

    sign_in(page, base)
    page.goto(f"{base}/gaps")
    settle(page)
    row = page.locator("#gap-grid .ag-center-cols-container .ag-row", has_text="swimming pool")
    row.first.click()
    page.wait_for_selector("#gap-answer")
    page.fill(
        "#gap-answer",
        "Yes. The college swimming pool is in the sports complex behind Block C. Students may "
        "swim free from 6 am to 9 am on weekdays with their student ID card.",
    )
    shot(page, "gaps")
    page.get_by_role("button", name="Save and add to the knowledge base").click()
    page.wait_for_selector("#gap-outcome :text('added to the knowledge base')", timeout=120_000)
    settle(page)
    written = list((stack.data / "staff-answers").glob("*.md"))
    assert len(written) == 1 and "Written by" not in written[0].read_text().split("\n")[0]
    assert "staff" in written[0].read_text()
    assert "swimming pool" not in page.inner_text("#gap-grid")  # resolved
    assert "staff-answers/" in page.inner_text("#gap-answers")
    shot(page, "gaps-answered")

    again = reply_text(ask(stack, POOL, sender="+919812377004").text)
    assert "sports complex" in again and "6 am" in again, again
    (sources,) = recorded(
        stack, "SELECT sources FROM conversations WHERE sources LIKE '%staff-answers/%'"
    )
    assert "sports complex" not in sources
    assert page.errors.messages == []
