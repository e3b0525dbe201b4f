"""The schema comes from migrations, matches the models, and records turns once per MessageSid."""

import asyncio
import socket
import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError

from collegebot.privacy import Pseudonymiser
from collegebot.store import (
    CONNECT_TIMEOUT,
    Outcome,
    Store,
    TurnRecord,
    migrate,
    sync_engine,
)
from collegebot.store.models import Base


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def test_migrations_create_the_tables_the_models_describe(tmp_path: Path) -> None:
    migrate(_url(tmp_path))
    engine = sync_engine(_url(tmp_path))
    tables = set(inspect(engine).get_table_names())
    assert {
        "conversations",
        "performance_metrics",
        "system_logs",
        "knowledge_base_documents",
    } <= tables
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == [], f"models and migrations disagree; add a migration: {diff}"


async def test_a_turn_is_recorded_once_with_its_stage_timings(tmp_path: Path) -> None:
    migrate(_url(tmp_path))
    store = Store(_url(tmp_path))
    turn = TurnRecord(
        message_sid="SM" + "1" * 32,
        sender_hash="h1",
        sender_masked="+91•••••0001",
        question="hostel fee?",
        answer="Rs. 1",
        sources=[{"source": "a.md"}],
        stages_ms={"retrieve": 5.0, "respond": 2.0, "total": 9.0},
    )
    outcome = Outcome(turn.message_sid, "h1", "question", "replied", ["Rs. 1"], turn)
    await store.record(outcome)
    await store.record(outcome)  # the same MessageSid again: a retry after an outage
    with sync_engine(_url(tmp_path)).connect() as c:
        rows = c.exec_driver_sql("SELECT question, total_ms, sources FROM conversations").all()
        stages = dict(c.exec_driver_sql("SELECT stage, duration_ms FROM performance_metrics").all())
    assert len(rows) == 1 and rows[0][0] == "hostel fee?" and rows[0][1] == 9.0
    assert "a.md" in rows[0][2]
    assert stages == {"retrieve": 5.0, "respond": 2.0, "total": 9.0}
    await store.close()


async def test_recent_turns_are_this_senders_latest_oldest_first(tmp_path: Path) -> None:
    migrate(_url(tmp_path))
    store = Store(_url(tmp_path))
    for i, sender in enumerate(["a", "b", "a", "a", "a"]):
        turn = TurnRecord(f"SM{i:032d}", sender, "", f"q{i}", f"a{i}")
        await store.record(Outcome(turn.message_sid, sender, "question", "replied", [], turn))
    assert await store.recent_turns("a", 2) == [("q3", "a3"), ("q4", "a4")]
    assert await store.recent_turns("a", 0) == []
    await store.close()


def test_pseudonyms_are_keyed_stable_and_masked() -> None:
    one, other = Pseudonymiser("key-one"), Pseudonymiser("key-two")
    number = "+919812343210"
    assert one.hash(number) == one.hash(number)
    assert one.hash(number) != other.hash(number)
    assert number not in one.hash(number) and "9812343210" not in one.hash(number)
    assert Pseudonymiser.mask(number) == "+91•••••3210"


def test_an_unsupported_database_url_is_named_without_its_password(tmp_path: Path) -> None:
    for url, named in (("mysql://bot:s3cret@db/college", "'mysql'"), ("no-url", "not a database")):
        with pytest.raises(ValueError, match="DATABASE_URL") as caught:
            Store(url)
        assert named in str(caught.value) and "s3cret" not in str(caught.value)
    sync_engine(f"sqlite:///{tmp_path / 'new' / 'folder' / 'bot.db'}").dispose()
    assert (tmp_path / "new" / "folder").is_dir()  # a SQLite file's folder is made for it


def test_a_hung_postgresql_fails_the_connection_instead_of_holding_it() -> None:
    """A database that accepts connections and never answers (a hung host, a full pooler): the
    synchronous engine (rag's) gives up after CONNECT_TIMEOUT instead of waiting for ever."""
    with socket.create_server(("127.0.0.1", 0)) as hung:  # never accepts: the kernel queues us
        engine = sync_engine(f"postgresql://u:p@127.0.0.1:{hung.getsockname()[1]}/x")
        errors: list[str] = []

        def connect() -> None:
            try:
                engine.connect().close()
            except OperationalError as e:
                errors.append(str(e.orig))

        attempt = threading.Thread(target=connect, daemon=True)
        attempt.start()
        attempt.join(CONNECT_TIMEOUT * 10)  # only so a regression fails instead of hanging
        assert errors and "timeout" in errors[0]


def test_a_database_error_does_not_carry_the_students_words(tmp_path: Path) -> None:
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from collegebot.store.models import Conversation

    migrate(_url(tmp_path))
    row = {"message_sid": "SM1", "sender_hash": "h", "sender_masked": "+91", "answer": "a"}
    row["question"] = "my roll no 21CE777 marks are wrong"
    with sync_engine(_url(tmp_path)).begin() as c:
        c.execute(insert(Conversation), [row])
        with pytest.raises(IntegrityError) as caught:
            c.execute(insert(Conversation), [row])  # the same MessageSid again
    assert "21CE777" not in str(caught.value)


def test_no_service_loads_alembic_to_run() -> None:
    """Only migrating needs Alembic (with Mako: ~10 MB a process, measured on the gateway): a
    service that imports the store must not pay for it."""
    import subprocess
    import sys

    services = "services.gateway.app", "services.rag.server", "services.dashboard.app"
    code = (
        f"import sys, {', '.join(services)}; "
        "print(sorted(m for m in ('alembic', 'mako') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    ).stdout.strip()
    assert loaded == "[]"


async def test_a_message_sid_is_claimed_once_on_sqlite_however_many_ask_at_once(
    tmp_path: Path,
) -> None:
    # SQLite's claims run on the store's own threads (one hop each): the primary key still
    # decides, between simultaneous claims and against a claim made earlier.
    migrate(_url(tmp_path))
    store = Store(_url(tmp_path))
    sid = "SM" + "c" * 32
    claims = await asyncio.gather(*(store.claim(sid, "h1", "question") for _ in range(8)))
    assert sorted(claims) == [False] * 7 + [True]
    assert await store.claim(sid, "h1", "question") is False
    assert await store.claim("SM" + "d" * 32, "h1", "question") is True
    await store.close()
