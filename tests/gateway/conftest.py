"""A gateway in front of real rag and llm servers whose calls are counted, in any configuration
a test needs."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from urllib.parse import urlencode

import grpc
import pytest
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from collegebot.settings import WEBHOOK_PATH
from collegebot.store import migrate
from services.gateway.app import create_app
from tests.conftest import ServerThread
from tests.servers import CallCounter

TOKEN = "gateway-test-token-0123456789abcdef"
PUBLIC = "https://bot.example.edu"  # what Twilio calls; the pod sees another host (a proxy)
PATH = WEBHOOK_PATH
ACCOUNT = "AC" + "1" * 32


def form(body: str, sender: str = "+919812345678", sid: str | None = None, **extra) -> dict:
    sid = sid or "SM" + os.urandom(16).hex()
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "AccountSid": ACCOUNT,
        "From": f"whatsapp:{sender}",
        "To": "whatsapp:+14155238886",
        "Body": body,
        "NumMedia": "0",
        "ProfileName": "Asha",
        "WaId": sender.lstrip("+"),
        **extra,
    }


def signature(params: dict, url: str = PUBLIC + PATH, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def send(client: TestClient, params: dict, headers: dict | None = None, signed: bool = True):
    extra = {"X-Twilio-Signature": signature(params)} if signed else {}
    return client.post(
        PATH,
        content=urlencode(params),
        headers={"Content-Type": "application/x-www-form-urlencoded", **extra, **(headers or {})},
    )


def answered_within(seconds: float, client: TestClient, params: dict):
    """`send`, failing the test (not hanging it) if no reply comes in time: for a stuck server."""
    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(send, client, params).result(timeout=seconds)
    finally:
        pool.shutdown(wait=False)  # a stuck request ends once the server is thawed


@contextmanager
def frozen(*pids: int) -> Iterator[None]:
    """Processes stopped (SIGSTOP): their sockets still accept but nothing ever answers, as a
    hung or overloaded server; they go on (SIGCONT) when the block ends."""
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def settle(client: TestClient) -> None:
    """Wait until the records queued after replying are in the store."""
    client.portal.call(client.app.state.gateway.records.queue.join)


def cluster_pids(server) -> list[int]:
    """The postmaster of a `Postgres` and its backends."""
    return server.pids()


@pytest.fixture(scope="session")
def counted(kb):
    """Real rag and llm gRPC servers with a call counter each (shared by this folder's tests)."""
    from collegebot.emergency import rag_lookup
    from collegebot.settings import InstitutionSettings
    from collegebot.v1 import rag_pb2_grpc
    from services.llm.responder import Responder
    from services.llm.server import SERVICE_NAME as LLM
    from services.llm.server import register as llm_register
    from services.rag.server import SERVICE_NAME as RAG
    from services.rag.server import register as rag_register

    counters = {"rag": CallCounter(), "llm": CallCounter()}
    kb.warm()  # as `python -m services.rag` does before it listens
    rag = ServerThread(rag_register(kb), [RAG], (counters["rag"],))

    def register_llm(server) -> None:  # in the server's loop, where its rag channel must live
        lookup = rag_lookup(rag_pb2_grpc.RagStub(grpc.aio.insecure_channel(rag.address)), 1.0)
        llm_register(Responder(InstitutionSettings(), None, emergency_lookup=lookup))(server)

    llm = ServerThread(register_llm, [LLM], (counters["llm"],))
    counters["addresses"] = {"rag": rag.address, "llm": llm.address}
    yield counters
    rag.stop()
    llm.stop()


@pytest.fixture
def gateway(env, monkeypatch, counted):
    """Opens gateways (replicas) on one store: `gateway(**settings)` returns a TestClient."""
    counted["rag"].reset()
    counted["llm"].reset()
    base = {
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": PUBLIC,
        "RAG_ADDRESS": counted["addresses"]["rag"],
        "LLM_ADDRESS": counted["addresses"]["llm"],
        "DATABASE_URL": f"sqlite:///{env / 'collegebot.db'}",
    }
    migrated: set[str] = set()
    with ExitStack() as stack:

        def open_gateway(peer: str = "10.0.0.1", **settings: str | None) -> TestClient:
            for name, value in {**base, **settings}.items():
                if value is None:
                    monkeypatch.delenv(name, raising=False)
                else:
                    monkeypatch.setenv(name, value)
            url = os.environ["DATABASE_URL"]
            if url not in migrated:
                migrate(url)
                migrated.add(url)
            app = create_app()
            return stack.enter_context(
                TestClient(app, base_url="http://10.0.0.7:8000", client=(peer, 50000))
            )

        yield open_gateway


class OwnKnowledgeBase:
    """A knowledge base of a test's own documents, in its own state directory, served by a real
    rag server; a gateway given `settings` reads the same store (so they share the version)."""

    def __init__(self, state, documents: dict[str, str]) -> None:
        from collegebot.settings import IndexSettings, StoreSettings
        from services.rag.knowledge_base import KnowledgeBase
        from services.rag.server import SERVICE_NAME, register

        self.state, self.data = state, state / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.write(documents)
        store = StoreSettings(collegebot_state_dir=state)
        migrate(store.url)
        self.kb = KnowledgeBase(IndexSettings(collegebot_state_dir=state), store, self.data)
        self.kb.ingest()
        self.kb.warm()  # as the rag service does before it reports ready: not in a reply's budget
        self.counter = CallCounter()
        self.server = ServerThread(register(self.kb), [SERVICE_NAME], (self.counter,))
        self.settings = {"RAG_ADDRESS": self.server.address, "DATABASE_URL": store.url}

    def write(self, documents: dict[str, str]) -> None:
        for name, text in documents.items():
            (self.data / name).write_text(text)

    def close(self) -> None:
        self.server.stop()


CANTEEN = {
    "canteen.md": "# Canteen\n\n## Timings\n\nThe college canteen opens at 8 am and closes at "
    "9 pm on all working days.\n\n## Menu\n\nThe canteen serves breakfast, lunch and snacks; a "
    "thali costs Rs. 60.\n",
    "library.md": "# Library\n\n## Hours\n\nThe central library is open from 8:00 am to 10:00 "
    "pm on weekdays and 9:00 am to 5:00 pm on Saturdays.\n",
}


@pytest.fixture(scope="module")
def canteen_kb(tmp_path_factory):
    """A small knowledge base (canteen and library) shared by a module's tests, never changed."""
    kb = OwnKnowledgeBase(tmp_path_factory.mktemp("canteen-kb"), CANTEEN)
    yield kb
    kb.close()


@pytest.fixture
def changing_kb(tmp_path_factory):
    """The same documents in a knowledge base of this test's own, which it may re-ingest."""
    kb = OwnKnowledgeBase(tmp_path_factory.mktemp("changing-kb"), CANTEEN)
    yield kb
    kb.close()
