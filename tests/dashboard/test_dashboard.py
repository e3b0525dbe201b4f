"""The dashboard requires a login and shows the store's conversation counts and escalations."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from collegebot.store import Outcome, Store, TurnRecord, escalations, migrate, sync_engine
from collegebot.store.models import Conversation
from services.dashboard.app import CLOSE, create_app
from services.dashboard.auth import LOGIN_ATTEMPTS


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


def test_failed_sign_ins_are_throttled_then_even_the_right_password_waits(dashboard) -> None:
    for _ in range(LOGIN_ATTEMPTS):
        wrong = dashboard.post("/login", data={"username": "warden", "password": "guess"})
        assert wrong.status_code == 401
    right = dashboard.post("/login", data={"username": "warden", "password": "correct horse"})
    assert right.status_code == 429 and b"Too many" in right.data
    assert dashboard.get("/_dash-layout").status_code == 401


@pytest.mark.parametrize("mode", ["production", "development"])
def test_the_session_cookie_expires_and_is_secure_in_production(
    dashboard, monkeypatch, mode
) -> None:
    monkeypatch.setenv("COLLEGEBOT_ENV", mode)
    monkeypatch.setenv("DASHBOARD_SECRET_KEY", "a-long-random-secret-for-this-test")
    client = create_app().server.test_client()
    login = client.post("/login", data={"username": "warden", "password": "correct horse"})
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Expires=" in cookie  # not valid for ever once copied
    assert ("Secure" in cookie) == (mode == "production")  # plain http on a laptop still works


def test_the_count_of_open_escalations_is_all_of_them_not_the_rows_shown(dashboard, env) -> None:
    async def more() -> None:
        store = Store(f"sqlite:///{env / 'collegebot.db'}")
        await store.record(
            *(
                Outcome(f"SMx{i:031d}", f"x{i}", "human", "replied", [], None, "requested", "+91")
                for i in range(120)
            )
        )
        await store.close()

    asyncio.run(more())
    dashboard.post("/login", data={"username": "warden", "password": "correct horse"})
    text = json.dumps(dashboard.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert "Open escalations: 122" in text


def mark_handled(client, clicked: int, shown: list[int], clicks: int | None = 1):
    """The POST Dash's renderer makes when staff click one row's "Mark handled" button."""
    buttons = [{"type": CLOSE, "index": i} for i in shown]
    clicked_id = json.dumps(
        {"type": CLOSE, "index": clicked}, sort_keys=True, separators=(",", ":")
    )
    body = {
        "output": "open-escalations.children",
        "outputs": {"id": "open-escalations", "property": "children"},
        "inputs": [
            [
                {
                    "id": b,
                    "property": "n_clicks",
                    "value": clicks if b["index"] == clicked else None,
                }
                for b in buttons
            ]
        ],
        "changedPropIds": [f"{clicked_id}.n_clicks"],
        "state": [],
    }
    return client.post("/_dash-update-component", json=body)


def waiting(env) -> dict[int, str]:
    engine = sync_engine(f"sqlite:///{env / 'collegebot.db'}")
    listed = {e.id: e.sender_masked for e in escalations(engine)}
    engine.dispose()
    return listed


def test_marking_an_escalation_handled_removes_it_and_lowers_the_count(dashboard, env) -> None:
    before = waiting(env)
    assert sorted(before.values()) == ["+44•••••7788", "+91•••••3210"]
    handled = next(i for i, masked in before.items() if masked == "+91•••••3210")
    dashboard.post("/login", data={"username": "warden", "password": "correct horse"})
    response = mark_handled(dashboard, handled, list(before))
    assert response.status_code == 200
    text = json.dumps(response.get_json(), ensure_ascii=False)
    assert "Open escalations: 1" in text
    assert "+91•••••3210" not in text and "+44•••••7788" in text
    assert list(waiting(env).values()) == ["+44•••••7788"]
    page = json.dumps(dashboard.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert "Open escalations: 1" in page and "+91•••••3210" not in page


def test_buttons_that_were_only_redrawn_close_nothing(dashboard, env) -> None:
    before = waiting(env)
    dashboard.post("/login", data={"username": "warden", "password": "correct horse"})
    response = mark_handled(dashboard, next(iter(before)), list(before), clicks=None)
    assert response.status_code == 200
    assert "Open escalations: 2" in json.dumps(response.get_json())
    assert waiting(env) == before


def test_signed_out_the_same_click_is_refused_and_closes_nothing(dashboard, env) -> None:
    before = waiting(env)
    assert mark_handled(dashboard, next(iter(before)), list(before)).status_code == 401
    assert waiting(env) == before
