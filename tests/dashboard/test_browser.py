"""The dashboard in real headless Chromium (Debian's, driven by Playwright) over demo data: the
login in front of everything, every page's figures and tables, the thread, the CSV export and the
college's time zone. Each page is screenshotted into docs/screenshots/ for the README."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from collegebot.store import staff_queries, sync_engine
from collegebot.store.models import Conversation
from tests.conftest import ROOT
from tests.servers import settle, sign_in

SHOTS = ROOT / "docs" / "screenshots"
KOLKATA = ZoneInfo("Asia/Kolkata")
PAGES = ["/", "/conversations", "/topics", "/knowledge-base", "/system", "/escalations", "/gaps"]
EXPORTS = ["conversations", "thread", "negative", "documents", "logs"]
# A tick label with seconds or fractions of a second: what plotly shows for one day of dates
# when left to itself.
SUB_MINUTE = re.compile(r"\d:\d\d:\d\d|\.\d{3}")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def figure_points(page, graph_id: str) -> int:
    """How many points the plotly figure in `graph_id` draws (all its traces)."""
    return page.eval_on_selector(
        f"#{graph_id} .js-plotly-plot",
        "el => el.data.reduce((n, t) => n + (t.x || []).length, 0)",
    )


def tick_labels(page, graph_id: str) -> list[str]:
    return page.eval_on_selector_all(
        f"#{graph_id} .xtick text", "els => els.map(e => e.textContent)"
    )


def grid_rows(page, grid_id: str) -> int:
    return page.locator(f"#{grid_id} .ag-center-cols-container .ag-row").count()


def test_signed_out_every_page_callback_and_export_is_refused(browser_page, demo_dashboard):
    page, base = browser_page, demo_dashboard.url
    for path in PAGES:
        page.goto(base + path)
        assert page.url == f"{base}/login", path
        assert page.locator("#username").is_visible()
    assert page.request.get(f"{base}/_dash-layout").status == 401
    assert page.request.get(f"{base}/_dash-dependencies").status == 401
    callback = page.request.post(
        f"{base}/_dash-update-component", data={"output": "ov-turns.children"}
    )
    assert callback.status == 401
    for table in EXPORTS:
        assert page.request.get(f"{base}/export/{table}.csv").status == 401, table
    assert page.errors.messages == []


def test_login_refuses_a_wrong_password_and_sign_out_ends_the_session(browser_page, demo_dashboard):
    page, base = browser_page, demo_dashboard.url
    page.goto(f"{base}/login")
    page.fill("#username", "staff")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "Wrong username or password."
    sign_in(page, base)
    settle(page)
    assert page.request.get(f"{base}/_dash-layout").status == 200
    page.get_by_role("link", name="Sign out").click()
    page.wait_for_url(f"{base}/login")
    page.goto(f"{base}/conversations")
    assert page.url == f"{base}/login"
    assert page.request.get(f"{base}/export/conversations.csv").status == 401


def test_every_page_renders_its_figures_from_demo_data(browser_page, demo_dashboard):
    page, base = browser_page, demo_dashboard.url
    sign_in(page, base)
    settle(page)
    assert int(page.inner_text("#ov-turns").replace(",", "")) > 500
    assert page.inner_text("#ov-p95").endswith(" s")
    for graph in ("ov-per-hour", "ov-per-day", "ov-generators"):
        assert figure_points(page, graph) > 0, graph
    for graph in ("ov-per-hour", "ov-per-day"):
        labels = tick_labels(page, graph)
        assert labels and not any(SUB_MINUTE.search(t) for t in labels), labels
    shot(page, "overview")

    page.get_by_role("link", name="Topics & sentiment").click()
    settle(page)
    for graph in ("tp-intents", "tp-trend", "tp-sentiment"):
        assert figure_points(page, graph) > 0, graph
    assert grid_rows(page, "tp-negative") > 0
    shot(page, "topics")

    page.get_by_role("link", name="Knowledge base").click()
    settle(page)
    first = page.locator("#kb-grid .ag-center-cols-container .ag-row[row-index='0']")
    assert "failed" in first.inner_text()  # failures first
    page.get_by_role("button", name="Re-ingest the knowledge base").click()
    page.wait_for_selector("#kb-reingest-result :text('Re-ingested')", timeout=120_000)
    settle(page)
    shot(page, "knowledge-base")

    page.get_by_role("link", name="System").click()
    settle(page)
    for service in ("rag", "llm", "store"):
        assert page.inner_text(f"#sy-{service}") == "answering", service
    assert grid_rows(page, "sy-logs") > 0
    shot(page, "system")
    assert page.errors.messages == []


def test_a_row_opens_that_student_s_whole_thread_oldest_first(
    browser_page, demo_dashboard, demo_state
):
    page, base = browser_page, demo_dashboard.url
    sign_in(page, base)
    page.get_by_role("link", name="Conversations").click()
    settle(page)
    assert grid_rows(page, "cv-grid") > 10
    shot(page, "conversations")
    first = page.locator("#cv-grid .ag-center-cols-container .ag-row[row-index='0']")
    masked = first.locator("[col-id=student]").inner_text()
    question = first.locator("[col-id=question]").inner_text()
    first.locator("[col-id=question]").click()
    page.wait_for_selector("#cv-thread-panel.show")
    settle(page)
    assert page.inner_text(".offcanvas-title") == f"Thread of {masked}"

    engine = sync_engine(f"sqlite:///{demo_state / 'collegebot.db'}")
    with engine.connect() as c:
        mine = (Conversation.question == question, Conversation.sender_masked == masked)
        sender = c.scalar(select(Conversation.sender_hash).where(*mine))
        expected = c.scalar(select(func.count()).where(Conversation.sender_hash == sender))
    engine.dispose()
    shown = page.eval_on_selector_all(
        "#cv-thread .thread-turn time", "els => els.map(e => e.textContent)"
    )
    assert page.inner_text("#cv-thread-about").startswith(f"{expected:,} turns from {masked}")
    assert len(shown) == min(expected, staff_queries.THREAD_TURNS) and expected > 1
    assert shown == sorted(shown)  # oldest first
    shot(page, "thread")
    assert page.errors.messages == []


def test_the_csv_export_holds_what_the_store_holds(browser_page, demo_dashboard, demo_state):
    page, base = browser_page, demo_dashboard.url
    sign_in(page, base)
    page.get_by_role("link", name="Conversations").click()
    settle(page)
    with page.expect_download() as download:
        page.click("#cv-export")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))

    today = datetime.now(KOLKATA).date()
    start = datetime.combine(today - timedelta(days=13), datetime.min.time(), KOLKATA)
    engine = sync_engine(f"sqlite:///{demo_state / 'collegebot.db'}")
    with engine.connect() as c:
        stored = c.execute(
            select(Conversation.created_at, Conversation.sender_masked, Conversation.question,
                   Conversation.intent, Conversation.total_ms)
            .where(Conversation.created_at >= start.astimezone(UTC))
            .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        ).all()  # fmt: skip
    engine.dispose()
    assert len(rows) == len(stored) > 500  # all of them, not the 500 the grid shows
    for row, turn in zip(rows, stored, strict=True):
        when = turn.created_at.replace(tzinfo=UTC).astimezone(KOLKATA)
        assert row["created_at"] == when.isoformat()
        assert (row["sender_masked"], row["question"], row["intent"]) == (
            turn.sender_masked, turn.question, turn.intent
        )  # fmt: skip
        assert float(row["total_ms"]) == pytest.approx(turn.total_ms)
    assert page.errors.messages == []


def test_times_are_shown_in_the_college_s_time_zone(browser_page, demo_dashboard, demo_state):
    moment = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    engine = sync_engine(f"sqlite:///{demo_state / 'collegebot.db'}")
    with engine.begin() as c:
        c.execute(insert(Conversation).values(
            message_sid="SMzone" + "0" * 26, sender_hash="zone", sender_masked="+91•••••0530",
            question="what time is it in Pune?", answer="a", created_at=moment))  # fmt: skip
    engine.dispose()
    page, base = browser_page, demo_dashboard.url
    sign_in(page, base)
    assert page.inner_text("#filter-bar").count("times in Asia/Kolkata") == 1
    page.get_by_role("link", name="Conversations").click()
    page.fill("#cv-search", "time is it in Pune")
    page.press("#cv-search", "Enter")
    settle(page)
    page.wait_for_function(
        "() => document.querySelectorAll('#cv-grid .ag-center-cols-container .ag-row').length === 1"
    )
    when = page.inner_text("#cv-grid .ag-center-cols-container .ag-row [col-id=when]")
    local = moment + timedelta(hours=5, minutes=30)
    assert when == local.strftime("%Y-%m-%d %H:%M") != moment.strftime("%Y-%m-%d %H:%M")
    export = page.request.get(base + page.get_attribute("#cv-export", "href"))
    (row,) = csv.DictReader(io.StringIO(export.text()))
    assert row["created_at"] == local.replace(tzinfo=None).isoformat() + "+05:30"
    assert page.errors.messages == []


def test_on_a_phone_the_navbar_folds_into_a_menu(chromium, demo_dashboard):
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2
    )
    page = context.new_page()
    base = demo_dashboard.url
    sign_in(page, base)
    settle(page)
    assert not page.get_by_role("link", name="Conversations").is_visible()
    shot(page, "overview-phone")
    page.click(".navbar-toggler")
    page.get_by_role("link", name="Conversations").wait_for(state="visible")
    context.close()
