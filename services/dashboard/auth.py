"""Staff login in front of every dashboard page and callback (a session cookie, one account)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from flask import Flask, Response, redirect, request, session
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

OPEN_PATHS = {"/login", "/healthz", "/metrics"}  # /metrics: request counts, no staff data
# Failed sign-ins a client may make in a minute; then even the right password waits, so the
# password cannot be guessed at speed (per replica: the dashboard runs one or a few).
LOGIN_ATTEMPTS = 10

LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Sign in · {college}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto}}
label,input,button{{display:block;width:100%;margin:.4rem 0}}input{{padding:.4rem}}
.error{{color:#b00020}}</style></head><body>
<h1>Student services dashboard</h1><p>{college}</p>{error}
<form method="post" action="/login">
<label for="username">Username</label><input id="username" name="username" autocomplete="username">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit">Sign in</button></form></body></html>"""


def install_login(server: Flask, check: Callable[[str, str], str | None], college: str) -> None:
    """Require a signed-in session for everything but the login page and the health check.
    `check(username, password)`: the staff member's display name, or None (accounts.py)."""

    failures = MovingWindowRateLimiter(MemoryStorage())
    allowed = RateLimitItemPerMinute(LOGIN_ATTEMPTS)

    def page(error: str = "") -> str:
        message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
        return LOGIN_PAGE.format(college=escape(college), error=message)

    @server.before_request
    def require_login():
        if request.path in OPEN_PATHS or session.get("user"):
            return None
        # Dash's own API and the CSV exports: no redirects, just refuse.
        if request.path.startswith(("/_dash-", "/export/")):
            return Response("sign in first", status=401)
        return redirect("/login")

    @server.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "GET":
            return page()
        client = request.remote_addr or "unknown"
        if not failures.test(allowed, client):
            return page("Too many failed attempts. Please wait a minute and try again."), 429
        given_user = request.form.get("username", "")
        name = check(given_user, request.form.get("password", ""))
        if name is None:
            failures.hit(allowed, client)
            return page("Wrong username or password."), 401
        session.clear()
        session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME, even if copied
        session["user"], session["name"] = given_user, name
        return redirect("/")

    @server.route("/logout")
    def logout():
        session.clear()
        return redirect("/login")

    @server.route("/healthz")
    def healthz():
        return {"status": "ok"}
