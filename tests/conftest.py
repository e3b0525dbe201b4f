"""Fixtures shared by every test: a throwaway state directory, an index of data/ built once,
and the real rag and llm gRPC servers on loopback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SHARED_EVAL = ROOT.parent / "shared" / "eval"

# Variables a developer's shell or .env could set that would change what the tests exercise.
_ISOLATE = (
    "TWILIO_AUTH_TOKEN",
    "TWILIO_ACCOUNT_SID",
    "PUBLIC_BASE_URL",
    "GROQ_API_KEY",
    "GROQ_BASE_URL",
    "LLM_PROVIDER",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "OPENAI_API_KEY",
    "DATABASE_URL",
    "CHROMA_HOST",
    "CHROMA_PORT",
    "REDIS_URL",
    "SENTRY_DSN",
    "SENDER_HASH_KEY",
    "NUMBER_ENCRYPTION_KEYS",
    "TWILIO_HANDOFF_CONTENT_SID",
    "DASHBOARD_PASSWORD",
    "DASHBOARD_SECRET_KEY",
)


def base_env(state: Path) -> dict[str, str]:
    """An environment for a service process: development mode on its own state directory."""
    env = {k: v for k, v in os.environ.items() if k not in _ISOLATE}
    env.update(
        COLLEGEBOT_ENV="development", COLLEGEBOT_STATE_DIR=str(state), COLLEGEBOT_DATA_DIR=str(DATA)
    )
    return env


def run_cli(*args: str, env: dict[str, str], timeout: float = 120, stdin: str | None = None):
    """Run the installed `collegebot` command as a user would (`stdin` typed into it),
    capturing its output."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "collegebot"), *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """This test's own development environment; returns its state directory."""
    for name in _ISOLATE:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLLEGEBOT_ENV", "development")
    monkeypatch.setenv("COLLEGEBOT_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("COLLEGEBOT_DATA_DIR", str(DATA))
    return tmp_path


@pytest.fixture(scope="session")
def indexed_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state directory whose store is migrated and whose index holds data/ (built once)."""
    from collegebot.settings import StoreSettings
    from collegebot.store import migrate

    state = tmp_path_factory.mktemp("indexed-state")
    migrate(StoreSettings(collegebot_state_dir=state).url)
    kb = knowledge_base(state)
    outcomes = kb.ingest()
    assert all(o.status == "added" for o in outcomes), outcomes
    return state


def knowledge_base(state: Path):
    from collegebot.settings import IndexSettings, StoreSettings
    from services.rag.knowledge_base import KnowledgeBase

    return KnowledgeBase(
        IndexSettings(collegebot_state_dir=state), StoreSettings(collegebot_state_dir=state), DATA
    )


@pytest.fixture(scope="session")
def kb(indexed_state: Path):
    return knowledge_base(indexed_state)


@pytest.fixture(scope="session")
def sense_kb(tmp_path_factory: pytest.TempPathFactory):
    """A knowledge base with nothing indexed: enough for its sense of meaning (emergencies)."""
    from collegebot.settings import StoreSettings
    from collegebot.store import migrate

    state = tmp_path_factory.mktemp("sense-state")
    migrate(StoreSettings(collegebot_state_dir=state).url)
    return knowledge_base(state)


class ServerThread:
    """A grpc.aio server running on its own event loop in a thread, so sync tests can use it."""

    def __init__(
        self,
        register: Callable[[grpc.aio.Server], None],
        names: list[str],
        interceptors: tuple = (),
    ) -> None:
        from collegebot.grpc_server import start_server

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        future = asyncio.run_coroutine_threadsafe(
            start_server("127.0.0.1:0", register, names, interceptors), self.loop
        )
        self.server, self.port, self.health = future.result(timeout=30)
        self.address = f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(0), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def rag_server(kb) -> Iterator[ServerThread]:
    from services.rag.server import SERVICE_NAME, register

    kb.warm()  # as `python -m services.rag` does before it listens
    server = ServerThread(register(kb), [SERVICE_NAME])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def llm_server() -> Iterator[ServerThread]:
    from collegebot.settings import InstitutionSettings
    from services.llm.responder import Responder
    from services.llm.server import SERVICE_NAME, register

    server = ServerThread(register(Responder(InstitutionSettings(), None)), [SERVICE_NAME])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL 15 cluster for the whole session (each test makes a database)."""
    from tests.servers import Postgres

    server = Postgres()
    yield server
    server.close()


@pytest.fixture
def database():
    """A PostgreSQL cluster of the test's own: stopping or freezing it disturbs no other test."""
    from tests.servers import Postgres

    server = Postgres()
    yield server
    server.close()


@pytest.fixture(scope="module")
def chromium():
    """Debian's headless chromium under Playwright, for one test module: Playwright's sync API
    keeps an event loop running in this thread while it is open, and asyncio.run() in the tests
    of other modules must not find one."""
    from playwright.sync_api import sync_playwright

    from tests.servers import CHROMIUM, CHROMIUM_ARGS, require

    executable = require(CHROMIUM)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def demo_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state directory whose SQLite store holds three weeks of `collegebot demo-data`."""
    state = tmp_path_factory.mktemp("demo-state")
    done = run_cli(
        "demo-data", "--weeks", "3", "--seed", "5", "--per-day", "120",
        "--database-url", f"sqlite:///{state / 'collegebot.db'}",
        env={**base_env(state), "COLLEGE_TIMEZONE": "Asia/Kolkata"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return state


@pytest.fixture(scope="session")
def demo_dashboard(demo_state: Path, rag_server, llm_server):
    """The dashboard as a process over the demo store, in Kolkata's time, with rag and llm up."""
    from tests.servers import DashboardProcess

    dashboard = DashboardProcess(
        demo_state,
        f"sqlite:///{demo_state / 'collegebot.db'}",
        COLLEGE_TIMEZONE="Asia/Kolkata",
        RAG_ADDRESS=rag_server.address,
        LLM_ADDRESS=llm_server.address,
    )
    yield dashboard
    dashboard.kill()


@pytest.fixture
def browser_page(chromium):
    """A fresh browser context (no cookies) at a laptop's width, and its console errors."""
    from tests.servers import BrowserErrors

    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.errors = BrowserErrors(page)  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture(scope="session")
def redis_server():
    from tests.servers import Redis

    server = Redis()
    yield server
    server.close()
