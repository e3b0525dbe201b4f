"""The dashboard requires a login and shows the store's conversation counts and escalations."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from collegebot.store import Outcome, Store, TurnRecord, migrate, sync_engine
from collegebot.store.models import Conversation
from services.dashboard.app import create_app


@pytest.fixture
def dashboard(env, monkeypatch):
    monkeypatch.setenv("DASHBOARD_USERNAME", "warden")
    monkeypatch.setenv("DASHBOARD_PASSWORD", "correct horse")
    url = f"sqlite:///{env / 'collegebot.db'}"
    migrate(url)

    async def seed() -> None:
        store = Store(url)
        for i in range(4):
            turn = TurnRecord(f"SM{i:032d}", f"h{i}", "+91•••••0000", "q", "a")
            await store.record(Outcome(turn.message_sid, f"h{i}", "question", "replied", [], turn))
        # Two students waiting for a person: one asked, one was flagged urgent.
        await store.record(
            Outcome(
                "SMh" + "1" * 31,
                "h7",
                "human",
                "replied",
                ["ok"],
                None,
                "requested",
                "+91•••••3210",
            ),
            Outcome(
                "SMu" + "2" * 31, "h8", "message", "replied", ["ok"], None, "urgent", "+44•••••7788"
            ),
        )
        await store.close()

    asyncio.run(seed())
    with sync_engine(url).begin() as c:  # one of the four is three days old
        c.execute(
            update(Conversation)
            .where(Conversation.id == 1)
            .values(created_at=datetime.now(UTC) - timedelta(days=3))
        )
    return create_app().server.test_client()


def test_every_page_and_callback_needs_a_login(dashboard) -> None:
    page = dashboard.get("/")
    assert page.status_code == 302 and page.headers["Location"].endswith("/login")
    assert dashboard.get("/_dash-layout").status_code == 401
    assert dashboard.post("/_dash-update-component", json={}).status_code == 401
    assert dashboard.get("/healthz").status_code == 200


def test_wrong_password_is_refused(dashboard) -> None:
    response = dashboard.post("/login", data={"username": "warden", "password": "guess"})
    assert response.status_code == 401 and b"Wrong username or password" in response.data
    assert dashboard.get("/_dash-layout").status_code == 401


def test_after_login_the_layout_shows_recent_and_total_conversations(dashboard) -> None:
    login = dashboard.post("/login", data={"username": "warden", "password": "correct horse"})
    assert login.status_code == 302
    assert dashboard.get("/").status_code == 200
    layout = dashboard.get("/_dash-layout")
    assert layout.status_code == 200
    text = json.dumps(layout.get_json())
    assert '"children": "3", "id": "conversations-24h"' in text
    assert '"children": "4", "id": "conversations-total"' in text
    dashboard.get("/logout")
    assert dashboard.get("/_dash-layout").status_code == 401


def test_open_escalations_are_listed_with_masked_numbers(dashboard) -> None:
    dashboard.post("/login", data={"username": "warden", "password": "correct horse"})
    text = json.dumps(dashboard.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert "Open escalations: 2" in text
    assert "+91•••••3210" in text and "+44•••••7788" in text
    assert '"requested"' in text and '"urgent"' in text
