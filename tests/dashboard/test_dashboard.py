"""The dashboard requires a login for every page, callback and export (Flask's test client)."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from collegebot.store import Outcome, Store, TurnRecord, migrate, sync_engine
from collegebot.store.models import Conversation
from services.dashboard.app import create_app
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


PAGES = ["/", "/conversations", "/topics", "/knowledge-base", "/system", "/escalations", "/gaps"]
EXPORTS = ["conversations", "thread", "negative", "documents", "logs"]


def test_every_page_callback_and_export_needs_a_login(dashboard) -> None:
    for path in PAGES:
        page = dashboard.get(path)
        assert page.status_code == 302 and page.headers["Location"].endswith("/login"), path
    assert dashboard.get("/_dash-layout").status_code == 401
    assert dashboard.get("/_dash-dependencies").status_code == 401
    assert dashboard.post("/_dash-update-component", json={}).status_code == 401
    for table in EXPORTS:
        assert dashboard.get(f"/export/{table}.csv").status_code == 401, table
    assert dashboard.get("/healthz").status_code == 200


def test_signed_in_every_page_and_export_answers_and_sign_out_ends_it(dashboard) -> None:
    login = dashboard.post("/login", data={"username": "warden", "password": "correct horse"})
    assert login.status_code == 302
    for path in ["/", "/conversations", "/topics", "/knowledge-base", "/system"]:
        assert dashboard.get(path).status_code == 200, path
    assert dashboard.get("/_dash-layout").status_code == 200
    conversations = dashboard.get("/export/conversations.csv")
    assert conversations.status_code == 200 and conversations.mimetype == "text/csv"
    assert conversations.data.decode().count("\n") == 1 + 4  # a header and the four turns
    dashboard.get("/logout")
    assert dashboard.get("/_dash-layout").status_code == 401
    assert dashboard.get("/export/conversations.csv").status_code == 401


def test_wrong_password_is_refused(dashboard) -> None:
    response = dashboard.post("/login", data={"username": "warden", "password": "guess"})
    assert response.status_code == 401 and b"Wrong username or password" in response.data
    assert dashboard.get("/_dash-layout").status_code == 401


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
    monkeypatch.setenv("NUMBER_ENCRYPTION_KEYS", "bXVzdC1iZS0zMi1ieXRlcy1vZi1mZXJuZXQta2V5IS0=")
    client = create_app().server.test_client()
    login = client.post("/login", data={"username": "warden", "password": "correct horse"})
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Expires=" in cookie  # not valid for ever once copied
    assert ("Secure" in cookie) == (mode == "production")  # plain http on a laptop still works


def test_an_unknown_college_timezone_stops_start_up_naming_the_variable(env, monkeypatch, capsys):
    from collegebot.settings import ConfigurationError, DashboardSettings, load

    monkeypatch.setenv("COLLEGE_TIMEZONE", "Asia/Atlantis")
    with pytest.raises(ConfigurationError):
        load(DashboardSettings)
    assert "COLLEGE_TIMEZONE" in capsys.readouterr().err
    monkeypatch.setenv("COLLEGE_TIMEZONE", "Asia/Kolkata")
    assert load(DashboardSettings).timezone.key == "Asia/Kolkata"
