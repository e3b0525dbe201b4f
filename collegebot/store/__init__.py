"""The relational store: engines, migrations, and the writes the services make."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from collegebot.store.models import Conversation, PerformanceMetric, SystemLog

MIGRATIONS = Path(__file__).parent / "migrations"

_DRIVERS = {
    # scheme in DATABASE_URL -> (sync driver, async driver)
    "sqlite": ("sqlite", "sqlite+aiosqlite"),
    "postgresql": ("postgresql+psycopg", "postgresql+asyncpg"),
    "postgres": ("postgresql+psycopg", "postgresql+asyncpg"),
}


def _with_driver(url: str, use_async: bool) -> str:
    scheme, sep, rest = url.partition("://")
    base = scheme.split("+", 1)[0]
    if base not in _DRIVERS or not sep:
        raise ValueError(f"DATABASE_URL: unsupported scheme {scheme!r} (use sqlite or postgresql)")
    return _DRIVERS[base][use_async] + "://" + rest


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def sync_engine(url: str) -> Engine:
    _ensure_sqlite_dir(url)
    return create_engine(_with_driver(url, use_async=False), pool_pre_ping=True)


def async_engine(url: str) -> AsyncEngine:
    _ensure_sqlite_dir(url)
    return create_async_engine(_with_driver(url, use_async=True), pool_pre_ping=True)


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision` with Alembic."""
    _ensure_sqlite_dir(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = _with_driver(url, use_async=False)
    command.upgrade(cfg, revision)


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


class Store:
    """Async access for the gateway's hot path."""

    def __init__(self, url: str) -> None:
        self.engine = async_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def record_turn(self, turn: TurnRecord) -> bool:
        """Write the turn and its stage timings; False if this MessageSid was already recorded."""
        stages = turn.stages_ms
        row = Conversation(
            message_sid=turn.message_sid,
            sender_hash=turn.sender_hash,
            sender_masked=turn.sender_masked,
            question=turn.question,
            answer=turn.answer,
            sources=turn.sources,
            intent=turn.intent,
            sentiment=turn.sentiment,
            sentiment_score=turn.sentiment_score,
            urgency=turn.urgency,
            confidence=turn.confidence,
            escalated=turn.escalated,
            abstained=turn.abstained,
            generator=turn.generator,
            status=turn.status,
            total_ms=stages.get("total", 0.0),
        )
        async with self.sessions() as session:
            session.add(row)
            try:
                await session.flush()
            except IntegrityError:
                await session.rollback()
                return False
            session.add_all(
                PerformanceMetric(
                    conversation_id=row.id, service="gateway", stage=stage, duration_ms=ms
                )
                for stage, ms in stages.items()
            )
            await session.commit()
        return True

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
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        return [(q, a) for q, a in reversed(rows)]

    async def log(self, service: str, level: str, event: str, detail: str = "") -> None:
        async with self.sessions() as session:
            session.add(SystemLog(service=service, level=level, event=event, detail=detail))
            await session.commit()

    async def close(self) -> None:
        await self.engine.dispose()
