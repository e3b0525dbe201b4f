"""The relational store: engines, migrations, and the writes the services make."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import (
    Engine,
    bindparam,
    create_engine,
    delete,
    event,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.engine import URL, CursorResult, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from collegebot.store.models import (
    Base,
    Conversation,
    Delivery,
    Escalation,
    KnowledgeBaseDocument,
    PerformanceMetric,
    ResolvedGap,
    StaffReply,
    SystemLog,
    utcnow,
)

MIGRATIONS = Path(__file__).parent / "migrations"
# aiosqlite logs every statement with its parameters (students' words) at DEBUG: never that low.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

# The database in DATABASE_URL -> (sync driver, async driver).
_DRIVERS = {
    "sqlite": ("sqlite", "sqlite+aiosqlite"),
    "postgresql": ("postgresql+psycopg", "postgresql+asyncpg"),
    "postgres": ("postgresql+psycopg", "postgresql+asyncpg"),
}


def _database(url: str) -> tuple[URL, str]:
    """DATABASE_URL parsed, and which database it names ("sqlite" or "postgresql"); a SQLite
    file's folder is made on the way."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError("DATABASE_URL: not a database URL") from None
    backend = parsed.get_backend_name()
    if backend not in _DRIVERS:
        raise ValueError(f"DATABASE_URL: unsupported database {backend!r} (sqlite or postgresql)")
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return parsed, "postgresql" if backend == "postgres" else backend


def _tuned(engine: Engine) -> Engine:
    """SQLite in WAL mode: readers (the dashboard) never wait for the gateway's writes."""
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


# Seconds psycopg may take to open a connection (without it, for ever): a hung database must not
# hold up rag's questions, which only ask it whether the knowledge base changed.
CONNECT_TIMEOUT = 5


def _connect_args(database: str, use_async: bool, statement_cache: bool) -> dict[str, Any]:
    """Driver options. A transaction-mode pooler (Supabase's, PgBouncer) hands each transaction to
    any server connection, so statements prepared on one are missing on the next: no caching."""
    if database != "postgresql" or (use_async and statement_cache):
        return {}
    if use_async:
        return {
            "statement_cache_size": 0,  # asyncpg's own cache
            "prepared_statement_cache_size": 0,  # SQLAlchemy's asyncpg adapter cache
            # Unnamed statements may still be prepared; unique names never collide across clients.
            "prepared_statement_name_func": lambda: f"__asyncpg_{uuid4()}__",
        }
    never_prepare = {} if statement_cache else {"prepare_threshold": None}
    return {"connect_timeout": CONNECT_TIMEOUT, **never_prepare}  # psycopg


def sync_engine(url: str, statement_cache: bool = True) -> Engine:
    parsed, database = _database(url)
    return _tuned(
        create_engine(
            parsed.set(drivername=_DRIVERS[database][0]),
            pool_pre_ping=database != "sqlite",  # a file cannot drop the connection
            connect_args=_connect_args(database, False, statement_cache),
            hide_parameters=True,  # an error's text never carries a student's words
        )
    )


def async_engine(url: str, statement_cache: bool = True) -> AsyncEngine:
    parsed, database = _database(url)
    sqlite = database == "sqlite"
    engine = create_async_engine(
        parsed.set(drivername=_DRIVERS[database][1]),
        pool_pre_ping=not sqlite,
        # Every connection goes back with its transaction ended (closing a Connection or Session
        # rolls it back); the pool's own rollback after that costs aiosqlite a thread hop.
        pool_reset_on_return=None if sqlite else "rollback",
        connect_args=_connect_args(database, True, statement_cache),
        hide_parameters=True,
    )
    _tuned(engine.sync_engine)
    return engine


def migrate(url: str, revision: str = "head", statement_cache: bool = True) -> None:
    """Bring the schema up to `revision` with Alembic."""
    # Imported here: only `collegebot migrate`/`up` and the tests migrate, and Alembic (with
    # Mako and Pygments) would cost every service its memory and start-up time.
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = sync_engine(url, statement_cache)
    try:
        command.upgrade(cfg, revision)
    finally:
        cfg.attributes["engine"].dispose()


@dataclass
class TurnRecord:
    """Everything the gateway keeps about one answered message."""

    message_sid: str
    sender_hash: str
    sender_masked: str
    question: str
    answer: str
    sources: list[dict] = field(default_factory=list)
    intent: str = ""
    sentiment: str = ""
    sentiment_score: float = 0.0
    urgency: str = ""
    confidence: float = 0.0
    escalated: bool = False
    abstained: bool = False
    generator: str = ""
    status: str = "answered"
    stages_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class Outcome:
    """What became of one inbound message: written after the student has their reply."""

    message_sid: str
    sender_hash: str  # "" when the message erased its sender's data
    kind: str
    status: str  # replied | sent_later | unsent
    reply: list[str]
    turn: TurnRecord | None = None
    escalation: str | None = None  # the reason staff should contact the student
    sender_masked: str = ""
    event: tuple[str, str] | None = None  # (event, detail) for system_logs; never student text
    number_encrypted: str = ""  # the number under NUMBER_ENCRYPTION_KEYS, kept on an escalation
    feedback: bool = False  # the student said their previous answer did not help


class Store:
    """Async access for the gateway's hot path."""

    def __init__(self, url: str, statement_cache: bool = True) -> None:
        self.engine = async_engine(url, statement_cache)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite lets one writer in at a time and makes the others sleep and poll; queueing our
        # own writes here instead hands the file over the moment the previous write commits.
        sqlite = self.engine.dialect.name == "sqlite"
        self._writing = asyncio.Lock() if sqlite else contextlib.nullcontext()
        # The two statements every message costs (`claim`, `paused`) on SQLite: aiosqlite hops to
        # its thread for each step of a statement (connect, begin, execute, commit, close);
        # the sync engine in one hop to a thread of our own takes half the CPU (bench/RESULTS.md).
        self._hot = sync_engine(url, statement_cache) if sqlite else None
        self._hot_threads = ThreadPoolExecutor(2, "store") if sqlite else None

    async def _hot_path(self, statement: Any, write: bool) -> Any:
        """`statement`'s scalar (a read) or None (a write, committed), on SQLite in one hop."""
        if self._hot is None:
            async with self.engine.begin() if write else self.engine.connect() as connection:
                result = await connection.execute(statement)
                return None if write else result.scalar()
        hot = self._hot

        def run() -> Any:
            with hot.begin() if write else hot.connect() as connection:
                result = connection.execute(statement)
                return None if write else result.scalar()

        loop = asyncio.get_running_loop()
        async with self._writing if write else contextlib.nullcontext():
            return await loop.run_in_executor(self._hot_threads, run)

    async def claim(self, message_sid: str, sender_hash: str, kind: str) -> bool:
        """Mark this MessageSid as being answered; False if it was claimed before."""
        # A Core statement: the ORM's unit of work costs more than the INSERT on the hot path.
        statement = insert(Delivery).values(
            message_sid=message_sid, sender_hash=sender_hash, kind=kind
        )
        try:
            await self._hot_path(statement, write=True)
        except IntegrityError:
            return False
        return True

    async def delivery(self, message_sid: str) -> Delivery | None:
        async with self.sessions() as session:
            return await session.get(Delivery, message_sid)

    async def record(self, *outcomes: Outcome) -> None:
        """Write outcomes in one transaction, each once: repeating them (a retry after an outage)
        changes nothing. Core statements, batched: this runs beside the requests."""
        async with self._writing, self.engine.begin() as connection:
            status = dict(
                (
                    await connection.execute(
                        select(Delivery.message_sid, Delivery.status).where(
                            Delivery.message_sid.in_([o.message_sid for o in outcomes])
                        )
                    )
                ).all()
            )
            # A claimed delivery leaves "pending" in the same transaction that writes the rest.
            # One answered twice while the store was down is written once (the first).
            first = {o.message_sid: o for o in reversed(outcomes)}
            todo = [
                o
                for o in outcomes
                if first[o.message_sid] is o and status.get(o.message_sid, "pending") == "pending"
            ]
            if not todo:
                return
            claimed = [o for o in todo if o.message_sid in status]
            if claimed:
                await connection.execute(
                    update(Delivery)
                    .where(Delivery.message_sid == bindparam("sid"))
                    .values(status=bindparam("s"), reply=bindparam("r"), kind=bindparam("k")),
                    [
                        {"sid": o.message_sid, "s": o.status, "r": o.reply, "k": o.kind}
                        for o in claimed
                    ],
                )
            unclaimed = [o for o in todo if o.message_sid not in status]  # the store was down
            await _insert(
                connection,
                Delivery,
                [
                    {
                        "message_sid": o.message_sid,
                        "sender_hash": o.sender_hash,
                        "kind": o.kind,
                        "status": o.status,
                        "reply": o.reply,
                    }
                    for o in unclaimed
                ],
            )
            await _insert_turns(connection, [o.turn for o in todo if o.turn is not None])
            await _insert(
                connection,
                Escalation,
                [
                    {
                        "message_sid": o.message_sid,
                        "sender_hash": o.sender_hash,
                        "sender_masked": o.sender_masked,
                        "reason": o.escalation,
                        "number_encrypted": o.number_encrypted,
                    }
                    for o in todo
                    if o.escalation
                ],
            )
            for o in todo:
                if o.feedback:
                    await _mark_unhelpful(connection, o.sender_hash)
            await _insert(
                connection,
                SystemLog,
                [
                    {"service": "gateway", "level": "warning", "event": e, "detail": d}
                    for e, d in (o.event for o in todo if o.event is not None)
                ],
            )

    async def recent_turns(self, sender_hash: str, n: int) -> list[tuple[str, str]]:
        """The sender's last `n` (question, answer) pairs, oldest first."""
        if n <= 0:
            return []
        query = (
            select(Conversation.question, Conversation.answer)
            .where(Conversation.sender_hash == sender_hash)
            .order_by(Conversation.id.desc())
            .limit(n)
        )
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [(q, a) for q, a in reversed(rows)]

    async def knowledge_base_version(self) -> str:
        """`knowledge_base_version`, from the gateway's async engine."""
        async with self.engine.connect() as connection:
            return _version_of(await connection.execute(_KNOWLEDGE_BASE_STATE))

    async def paused(self, sender_hash: str, pause_for: timedelta) -> bool:
        """Has a member of staff taken this student's case within `pause_for` and not yet marked
        it handled (the bot keeps quiet meanwhile)?"""
        claimed = exists().where(
            Escalation.sender_hash == sender_hash,
            Escalation.status == "claimed",
            Escalation.claimed_at >= utcnow() - pause_for,
        )
        return bool(await self._hot_path(select(claimed), write=False))

    async def deletion_requested(self, sender_hash: str, within: timedelta) -> bool:
        """Did this sender ask to delete their data recently (the confirmation's precondition)?"""
        async with self.sessions() as session:
            return await _exists(
                session,
                Delivery.sender_hash == sender_hash,
                Delivery.kind == "delete_request",
                Delivery.created_at >= utcnow() - within,
            )

    async def erase_sender(self, sender_hash: str) -> int:
        """Delete every record of one student; returns how many rows went."""
        conversations = select(Conversation.id).where(Conversation.sender_hash == sender_hash)
        statements = [
            delete(PerformanceMetric).where(PerformanceMetric.conversation_id.in_(conversations)),
            delete(ResolvedGap).where(ResolvedGap.conversation_id.in_(conversations)),
            delete(StaffReply).where(StaffReply.sender_hash == sender_hash),
            delete(Conversation).where(Conversation.sender_hash == sender_hash),
            delete(Escalation).where(Escalation.sender_hash == sender_hash),
            delete(Delivery).where(Delivery.sender_hash == sender_hash),
        ]
        return await self._delete(statements)

    async def purge(self, older_than: timedelta) -> int:
        """Delete every record older than `older_than`; returns how many rows went."""
        cutoff = utcnow() - older_than
        old = select(Conversation.id).where(Conversation.created_at < cutoff)
        statements = [
            delete(PerformanceMetric).where(
                (PerformanceMetric.created_at < cutoff) | PerformanceMetric.conversation_id.in_(old)
            ),
            delete(ResolvedGap).where(ResolvedGap.conversation_id.in_(old)),
            delete(StaffReply).where(
                (StaffReply.created_at < cutoff)
                | StaffReply.escalation_id.in_(
                    select(Escalation.id).where(Escalation.created_at < cutoff)
                )
            ),
            *(
                delete(table).where(table.created_at < cutoff)
                for table in (Conversation, Escalation, Delivery, SystemLog)
            ),
            # A number outlives no case: none is left on one that is no longer open or claimed.
            update(Escalation)
            .where(Escalation.status.not_in(("open", "claimed")), Escalation.number_encrypted != "")
            .values(number_encrypted=""),
        ]
        return await self._delete(statements)

    async def _delete(self, statements: list) -> int:
        async with self._writing, self.sessions() as session, session.begin():
            results: list[CursorResult] = [await session.execute(s) for s in statements]  # type: ignore[misc]
            return sum(r.rowcount for r in results)

    async def close(self) -> None:
        await self.engine.dispose()
        if self._hot is not None and self._hot_threads is not None:
            self._hot_threads.shutdown(wait=False)
            self._hot.dispose()


async def _exists(session: AsyncSession, *where) -> bool:
    return bool(await session.scalar(select(exists().where(*where))))


async def _insert(connection: AsyncConnection, model: type[Base], rows: list[dict]) -> None:
    if rows:
        await connection.execute(insert(model), rows)


async def _mark_unhelpful(connection: AsyncConnection, sender_hash: str) -> None:
    """The student's previous answered turn is marked unhelpful (a knowledge gap)."""
    previous = (
        select(Conversation.id)
        .where(
            Conversation.sender_hash == sender_hash,
            Conversation.status == "answered",
            Conversation.answer != "",
        )
        .order_by(Conversation.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    await connection.execute(
        update(Conversation)
        .where(Conversation.id == previous, Conversation.feedback == "")
        .values(feedback="unhelpful", feedback_at=utcnow())
    )


async def _insert_turns(connection: AsyncConnection, turns: list[TurnRecord]) -> None:
    """Conversations in one batched INSERT, then their stage timings (which need their ids).

    The ids are read back by MessageSid: an INSERT … RETURNING in parameter order is executed row
    by row on SQLite, a driver round trip each, all while holding the write lock claims wait for.
    """
    if not turns:
        return
    await _insert(
        connection,
        Conversation,
        [
            {
                "message_sid": t.message_sid,
                "sender_hash": t.sender_hash,
                "sender_masked": t.sender_masked,
                # PostgreSQL's text cannot hold a NUL, which a phone can send: it goes.
                "question": t.question.replace("\x00", ""),
                "answer": t.answer.replace("\x00", ""),
                "sources": t.sources,
                "intent": t.intent,
                "sentiment": t.sentiment,
                "sentiment_score": t.sentiment_score,
                "urgency": t.urgency,
                "confidence": t.confidence,
                "escalated": t.escalated,
                "abstained": t.abstained,
                "generator": t.generator,
                "status": t.status,
                "total_ms": t.stages_ms.get("total", 0.0),
            }
            for t in turns
        ],
    )
    ids = dict(
        (
            await connection.execute(
                select(Conversation.message_sid, Conversation.id).where(
                    Conversation.message_sid.in_([t.message_sid for t in turns])
                )
            )
        ).all()
    )
    await _insert(
        connection,
        PerformanceMetric,
        [
            {
                "conversation_id": ids[t.message_sid],
                "service": "gateway",
                "stage": stage,
                "duration_ms": ms,
            }
            for t in turns
            for stage, ms in t.stages_ms.items()
        ],
    )


# What the knowledge base holds, document by document: every ingestion that adds, changes, fails
# or removes a document changes it. Strings and integers only, so every driver reads it alike.
_KNOWLEDGE_BASE_STATE = select(
    KnowledgeBaseDocument.path,
    KnowledgeBaseDocument.content_hash,
    KnowledgeBaseDocument.status,
    KnowledgeBaseDocument.chunks,
).order_by(KnowledgeBaseDocument.path)


def _version_of(rows: Any) -> str:
    digest = hashlib.blake2b(digest_size=12)
    for row in rows:
        digest.update("\x1f".join(map(str, row)).encode() + b"\x1e")
    return digest.hexdigest()


def knowledge_base_version(engine: Engine) -> str:
    """The knowledge base's version as the store records it: rag's snapshots and the gateway's
    answer cache are keyed by it (`Store.knowledge_base_version` reads the same)."""
    with engine.connect() as connection:
        return _version_of(connection.execute(_KNOWLEDGE_BASE_STATE))


def escalations(engine: Engine, limit: int = 100, status: str = "open") -> list[Escalation]:
    """The students waiting for staff, newest first (what the dashboard lists)."""
    with Session(engine) as session:
        query = (
            select(Escalation)
            .where(Escalation.status == status)
            .order_by(Escalation.created_at.desc())
            .limit(limit)
        )
        return list(session.scalars(query))
