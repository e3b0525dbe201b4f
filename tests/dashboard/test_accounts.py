"""Signing in to the dashboard with a named staff account: the session remembers who, and an
account disabled meanwhile has its session refused at the next request."""

import pytest
from argon2 import PasswordHasher

from collegebot.store import migrate, sync_engine
from collegebot.store.staff_queries import add_staff_account, disable_staff_account
from services.dashboard.app import create_app


@pytest.fixture
def signed(env, monkeypatch):
    monkeypatch.setenv("DASHBOARD_USERNAME", "warden")
    monkeypatch.setenv("DASHBOARD_PASSWORD", "first-account-pw")
    url = f"sqlite:///{env / 'collegebot.db'}"
    migrate(url)
    engine = sync_engine(url)
    add_staff_account(engine, "asha", "Asha Rao", PasswordHasher().hash("a long passphrase"))
    yield create_app().server, engine
    engine.dispose()


def test_a_named_account_signs_in_and_its_session_knows_the_name(signed) -> None:
    server, _ = signed
    client = server.test_client()
    login = client.post("/login", data={"username": "asha", "password": "a long passphrase"})
    assert login.status_code == 302
    with client.session_transaction() as session:
        assert session["user"] == "asha" and session["name"] == "Asha Rao"
    assert client.get("/_dash-layout").status_code == 200
    wrong = client.post("/login", data={"username": "asha", "password": "first-account-pw"})
    assert wrong.status_code == 401
    first = server.test_client()
    assert first.post(
        "/login", data={"username": "warden", "password": "first-account-pw"}
    ).status_code == 302  # fmt: skip


def test_a_disabled_account_cannot_sign_in_and_its_session_is_refused(signed) -> None:
    server, engine = signed
    client = server.test_client()
    assert client.post(
        "/login", data={"username": "asha", "password": "a long passphrase"}
    ).status_code == 302  # fmt: skip
    assert client.get("/_dash-layout").status_code == 200
    assert disable_staff_account(engine, "asha")
    assert client.get("/_dash-layout").status_code == 401  # the open session, refused
    assert client.get("/").headers["Location"].endswith("/login")
    again = server.test_client().post(
        "/login", data={"username": "asha", "password": "a long passphrase"}
    )
    assert again.status_code == 401
