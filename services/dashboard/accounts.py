"""Named staff accounts: who may sign in, under which name, and whether they still may."""

from __future__ import annotations

import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Response, redirect, request, session
from sqlalchemy import Engine

from collegebot.store.staff_queries import staff_account

_HASHER = PasswordHasher()
# Verified when the username is unknown, so a wrong username costs what a wrong password does.
_DUMMY = _HASHER.hash("no such account")


class Accounts:
    """The first account from DASHBOARD_USERNAME/DASHBOARD_PASSWORD, the others from the store
    (`collegebot staff add`); a disabled one signs in no more."""

    def __init__(self, engine: Engine, first_username: str, first_password: str) -> None:
        self.engine = engine
        self.first_username, self.first_password = first_username, first_password

    def check(self, username: str, password: str) -> str | None:
        """The display name of the account these credentials open, or None."""
        row = staff_account(self.engine, username)
        if username == self.first_username and row is None:
            ok = hmac.compare_digest(password.encode(), self.first_password.encode())
            return username if ok else None
        try:
            ok = _HASHER.verify(row.password_hash if row else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            ok = False
        return row.display_name if ok and row is not None and not row.disabled else None

    def active(self, username: str) -> bool:
        row = staff_account(self.engine, username)
        if row is None:
            return username == self.first_username
        return not row.disabled


def refuse_disabled_sessions(server: Flask, accounts: Accounts) -> None:
    """A signed-in session of an account disabled since is ended at its next request."""

    @server.before_request
    def still_active():
        user = session.get("user")
        if not user or accounts.active(user):
            return None
        session.clear()
        if request.path.startswith("/_dash-"):
            return Response("sign in first", status=401)
        return redirect("/login")
