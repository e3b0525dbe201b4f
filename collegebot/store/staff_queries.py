"""Every query the staff dashboard runs, shared by its pages, its CSV export and the benchmark.

Reads go through the dashboard's database role (on PostgreSQL, row-level security lets it read
what the pages show and make only the few writes staff make: claiming, replying to and closing
cases, answering knowledge gaps).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import time as time_of_day
from typing import Any

from sqlalchemy import (
    BigInteger,
    Engine,
    Integer,
    case,
    cast,
    distinct,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from collegebot.store.models import (
    Conversation,
    Escalation,
    KnowledgeBaseDocument,
    PerformanceMetric,
    ResolvedGap,
    StaffAccount,
    StaffAnswer,
    StaffReply,
    SystemLog,
    utcnow,
)

# ── What the pages show ──────────────────────────────────────────────────────────────────────
# Every read is bounded: by the window's created_at range (an indexed column), by a LIMIT, or by
# a GROUP BY that returns a few hundred rows whatever the table holds. Times come back in UTC;
# the pages turn them into the college's time zone.

# What the tables show at most; the CSV export may ask for more (EXPORT_ROWS).
ROWS = 500
EXPORT_ROWS = 50_000
# Turns of one student the page shows as their thread (the newest, then oldest first); the CSV
# export has them all.
THREAD_TURNS = 200
# The generators that gave an emergency reply (the llm's and the gateway's own).
EMERGENCY_GENERATORS = ("emergency", "emergency_gateway")
# A turn that did not get an answer of the bot: overload, or the services unreachable.
ERROR_GENERATORS = ("timeout", "unavailable")


@dataclass(frozen=True)
class Window:
    """What the filter bar selects: [start, end) in UTC, and one intent (None: all)."""

    start: datetime
    end: datetime
    intent: str | None = None

    def where(self, created_at: Any = Conversation.created_at, intent: Any = None) -> list:
        clauses = [created_at >= _utc(self.start), created_at < _utc(self.end)]
        if self.intent and intent is not None:
            clauses.append(intent == self.intent)
        return clauses

    def turns(self) -> list:
        """The conversations this window selects."""
        return self.where(Conversation.created_at, Conversation.intent)


def _utc(moment: datetime) -> datetime:
    # SQLite keeps the wall time it is given: every bound value must be UTC.
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _as_utc(moment: datetime | None) -> datetime | None:
    """A time read back from the store, aware and in UTC (SQLite returns it naive)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _epoch(engine: Engine, column: Any) -> Any:
    """Seconds since 1970 of a timestamp column, in SQL."""
    if engine.dialect.name == "sqlite":
        # julianday() parses the stored text about twice as fast as strftime('%s'); counted in
        # whole milliseconds first, so float error never moves a row across a bucket's edge.
        ms = cast((func.julianday(column) - 2440587.5) * 86_400_000 + 0.5, BigInteger)
        return ms // 1000
    # floor(): CAST rounds on PostgreSQL, and a turn in an hour's last half second would move
    # to the next hour (SQLite's whole seconds above truncate).
    return cast(func.floor(func.extract("epoch", column)), BigInteger)


def _segments(window: Window, tz: tzinfo) -> list[tuple[datetime, datetime, int]]:
    """The window cut where the zone's UTC offset changes (daylight saving): (start, end,
    offset in seconds) with one offset each, so SQL can shift every row by a constant."""
    start, end = _utc(window.start), _utc(window.end)
    cuts, moment, step = [start], start, timedelta(hours=6)
    offset = _offset(start, tz)
    while moment < end:
        nxt = min(moment + step, end)
        if _offset(nxt, tz) != offset and nxt < end:
            lo, hi = moment, nxt  # the change is in (lo, hi]: find it to the minute
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (lo, mid) if _offset(mid, tz) != offset else (mid, hi)
            cuts.append(hi)
            offset = _offset(hi, tz)
        moment = nxt
    cuts.append(end)
    return [(a, b, _offset(a, tz)) for a, b in zip(cuts, cuts[1:], strict=False) if a < b]


def _offset(moment: datetime, tz: tzinfo) -> int:
    delta = moment.astimezone(tz).utcoffset()
    return int(delta.total_seconds()) if delta else 0


def _local_counts(
    engine: Engine, window: Window, tz: tzinfo, seconds: int, *columns: Any
) -> dict[tuple, int]:
    """Turns counted per local time bucket of `seconds` (3600: hours, 86400: days) and per the
    values of `columns`: {(naive local bucket start, *values): count}. Grouped in SQL."""
    counts: dict[tuple, int] = {}
    with engine.connect() as connection:
        for start, end, offset in _segments(window, tz):
            # Integer division (//): SQLAlchemy's `/` is true division, a fraction per row, and
            # grouping by it made a group of every row.
            bucket = ((_epoch(engine, Conversation.created_at) + offset) // seconds).label("bucket")
            query = (
                select(bucket, *columns, func.count())
                .where(*Window(start, end, window.intent).turns())
                .group_by(bucket, *columns)
            )
            for number, *values, count in connection.execute(query):
                key = (datetime(1970, 1, 1) + timedelta(seconds=int(number) * seconds), *values)
                counts[key] = counts.get(key, 0) + count
    return counts


def _per_local_day(engine: Engine, window: Window, tz: tzinfo, column: Any) -> dict[tuple, int]:
    """Turns per local day and per value of `column`: {(naive local midnight, value): count}.
    One indexed range query a day: no expression is computed per row, which (measured on
    SQLite) is four to five times faster than grouping by a computed day."""
    counts: dict[tuple, int] = {}
    start, end = _utc(window.start), _utc(window.end)
    day = start.astimezone(tz).date()
    with engine.connect() as connection:
        while (midnight := datetime.combine(day, time_of_day(), tz)) < end:
            next_midnight = datetime.combine(day + timedelta(days=1), time_of_day(), tz)
            piece = Window(max(midnight, start), min(next_midnight, end), window.intent)
            query = select(column, func.count()).where(*piece.turns()).group_by(column)
            for value, n in connection.execute(query):
                counts[(datetime.combine(day, time_of_day()), value)] = n
            day += timedelta(days=1)
    return counts


def messages_per(engine: Engine, window: Window, tz: tzinfo, seconds: int) -> list[tuple]:
    """(local bucket start, turns) for every hour or day of the window, oldest first: quiet
    buckets as 0, so a line does not bridge the night."""
    counts = {bucket: n for (bucket,), n in _local_counts(engine, window, tz, seconds).items()}
    # Hours still to come today are not quiet ones: the series stops at the current hour.
    now = datetime.now(UTC).astimezone(tz).replace(tzinfo=None)
    buckets = [b for b in local_buckets(window, tz, seconds) if b <= now]
    return [(bucket, counts.get(bucket, 0)) for bucket in buckets]


def messages_per_hour_and_day(
    engine: Engine, window: Window, tz: tzinfo
) -> tuple[list[tuple], list[tuple]]:
    """Both series of the overview from one pass over the rows: the days are sums of their
    local hours."""
    hours = messages_per(engine, window, tz, 3600)
    per_day: dict[datetime, int] = {}
    for hour, n in hours:
        day = hour.replace(hour=0)
        per_day[day] = per_day.get(day, 0) + n
    return hours, [(day, per_day.get(day, 0)) for day in local_buckets(window, tz, 86_400)]


def local_buckets(window: Window, tz: tzinfo, seconds: int) -> list[datetime]:
    """The naive local starts of the window's hours or days (as `_local_counts` keys them)."""

    def floor(moment: datetime) -> datetime:
        wall = moment.astimezone(tz).replace(tzinfo=None)
        since = (wall - datetime(1970, 1, 1)).total_seconds()
        return datetime(1970, 1, 1) + timedelta(seconds=since // seconds * seconds)

    first, last = floor(_utc(window.start)), floor(_utc(window.end) - timedelta(microseconds=1))
    step = timedelta(seconds=seconds)
    return [first + step * i for i in range(int((last - first) / step) + 1)]


def overview_counts(engine: Engine, window: Window) -> dict[str, int]:
    """The overview's numbers over the window, in one aggregate query."""

    def share(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = select(
        func.count().label("turns"),
        func.count(distinct(Conversation.sender_hash)).label("students"),
        share(
            (Conversation.status == "answered")
            & ~Conversation.abstained
            & Conversation.generator.not_in(EMERGENCY_GENERATORS + ERROR_GENERATORS)
        ).label("answered"),
        share(Conversation.abstained).label("abstained"),
        share(Conversation.status == "degraded").label("degraded"),
        share(Conversation.generator.in_(EMERGENCY_GENERATORS)).label("emergencies"),
        share(Conversation.generator.in_(ERROR_GENERATORS)).label("errors"),
        share(Conversation.escalated).label("escalated"),
        share(Conversation.feedback == "unhelpful").label("unhelpful"),
    ).where(*window.turns())
    with engine.connect() as connection:
        row = connection.execute(query).one()._asdict()
        row["open_escalations"] = connection.scalar(
            select(func.count()).select_from(Escalation).where(Escalation.status == "open")
        )
    return {k: int(v or 0) for k, v in row.items()}


# Reply times are counted in buckets of this many milliseconds: one pass over the rows instead of
# a sort for each percentile (SQLite has no percentile function); the figures are that precise.
REPLY_BUCKET_MS = 10


def reply_times(engine: Engine, window: Window) -> dict[str, float | None]:
    """Median and 95th percentile of the whole reply time (conversations.total_ms), to
    REPLY_BUCKET_MS: the upper edge of the bucket holding that rank."""
    scaled = Conversation.total_ms / REPLY_BUCKET_MS
    # CAST truncates on SQLite but rounds on PostgreSQL: floor() there, so both count alike.
    floored = func.floor(scaled) if engine.dialect.name == "postgresql" else scaled
    bucket = cast(floored, Integer).label("bucket")
    query = (
        select(bucket, func.count())
        .where(*window.turns(), Conversation.total_ms > 0)
        .group_by(bucket)
        .order_by(bucket)
    )
    with engine.connect() as connection:
        counts = [(int(b), n) for b, n in connection.execute(query)]
    timed = sum(n for _, n in counts)

    def at(share: float) -> float | None:
        rank, seen = share * timed, 0
        for b, n in counts:
            seen += n
            if seen >= rank:
                return float((b + 1) * REPLY_BUCKET_MS)
        return None

    return {"p50_ms": at(0.5), "p95_ms": at(0.95), "timed": timed}


def count_by(engine: Engine, window: Window, column: Any, limit: int = 50) -> list[tuple]:
    """(value, turns) of one column (generator, intent, sentiment) over the window, most first."""
    query = (
        select(column, func.count().label("n"))
        .where(*window.turns())
        .group_by(column)
        .order_by(func.count().desc(), column)
        .limit(limit)
    )
    with engine.connect() as connection:
        return [(value or "(none)", n) for value, n in connection.execute(query)]


def generators(engine: Engine, window: Window) -> list[tuple]:
    """Which generator answered (groq, offline, emergency…), most first."""
    return count_by(engine, window, Conversation.generator)


def intents(engine: Engine, window: Window) -> list[tuple]:
    """What students asked about, most first."""
    return count_by(engine, window, Conversation.intent)


def intents_per_day(engine: Engine, window: Window, tz: tzinfo) -> list[tuple]:
    """(local day, intent, turns), oldest first: the trend of each topic."""
    counts = _per_local_day(engine, window, tz, Conversation.intent)
    return sorted((day, intent or "(none)", n) for (day, intent), n in counts.items())


def sentiment_per_day(engine: Engine, window: Window, tz: tzinfo) -> list[tuple]:
    """(local day, sentiment, turns), oldest first."""
    counts = _per_local_day(engine, window, tz, Conversation.sentiment)
    return sorted((day, label or "(none)", n) for (day, label), n in counts.items())


CONVERSATION_COLUMNS = (
    Conversation.id,
    Conversation.created_at,
    Conversation.sender_hash,
    Conversation.sender_masked,
    Conversation.question,
    Conversation.answer,
    Conversation.sources,
    Conversation.intent,
    Conversation.sentiment,
    Conversation.sentiment_score,
    Conversation.urgency,
    Conversation.confidence,
    Conversation.abstained,
    Conversation.escalated,
    Conversation.generator,
    Conversation.status,
    Conversation.total_ms,
)


def _turn_rows(connection: Any, query: Any) -> list[dict]:
    """Turns as dicts, with their stage timings (retrieve, respond) from performance_metrics."""
    rows = [dict(r._mapping) for r in connection.execute(query)]
    ids = [r["id"] for r in rows]
    stages: dict[int, dict[str, float]] = {}
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        timed = select(
            PerformanceMetric.conversation_id,
            PerformanceMetric.stage,
            PerformanceMetric.duration_ms,
        ).where(
            PerformanceMetric.conversation_id.in_(chunk),
            PerformanceMetric.stage.in_(("retrieve", "respond")),
        )
        for conversation_id, stage, ms in connection.execute(timed):
            stages.setdefault(conversation_id, {})[stage] = ms
    for row in rows:
        row["created_at"] = _as_utc(row["created_at"])
        row["sources"] = ", ".join(_source(s) for s in row["sources"] or [])
        row["retrieve_ms"] = stages.get(row["id"], {}).get("retrieve")
        row["respond_ms"] = stages.get(row["id"], {}).get("respond")
    return rows


def _source(source: Any) -> str:
    if not isinstance(source, dict):
        return str(source)
    name = str(source.get("source", ""))
    page = source.get("page")
    return f"{name} p.{page}" if page else name


def conversations(
    engine: Engine, window: Window, search: str = "", limit: int = ROWS
) -> list[dict]:
    """The window's turns, newest first, whose question or answer contains `search`."""
    clauses = window.turns()
    if search.strip():
        # LIKE's own wildcards in what staff type are meant literally.
        needle = "%" + search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        needle += "%"
        clauses.append(
            or_(
                Conversation.question.ilike(needle, escape="\\"),
                Conversation.answer.ilike(needle, escape="\\"),
            )
        )
    query = (
        select(*CONVERSATION_COLUMNS)
        .where(*clauses)
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return _turn_rows(connection, query)


def sender_of(engine: Engine, turn_id: int) -> str | None:
    """The keyed hash of the student who sent one turn (the grid carries only the turn's id)."""
    with engine.connect() as connection:
        return connection.scalar(select(Conversation.sender_hash).where(Conversation.id == turn_id))


def thread_length(engine: Engine, sender_hash: str) -> int:
    """How many turns one student has in the store."""
    with engine.connect() as connection:
        query = select(func.count()).where(Conversation.sender_hash == sender_hash)
        return connection.scalar(query) or 0


def thread(engine: Engine, sender_hash: str, limit: int = THREAD_TURNS) -> list[dict]:
    """Every turn of one student (by their keyed hash), oldest first."""
    newest = (
        select(*CONVERSATION_COLUMNS)
        .where(Conversation.sender_hash == sender_hash)
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return _turn_rows(connection, newest)[::-1]


def most_negative(engine: Engine, window: Window, limit: int = 20) -> list[dict]:
    """The window's most negative messages (lowest sentiment score first), newest on a tie."""
    query = (
        select(*CONVERSATION_COLUMNS)
        .where(*window.turns(), Conversation.sentiment == "negative")
        .order_by(Conversation.sentiment_score, Conversation.created_at.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return _turn_rows(connection, query)


def documents(engine: Engine, limit: int = EXPORT_ROWS) -> list[dict]:
    """Every document of the knowledge base, failures first, then by path."""
    failed_first = case((KnowledgeBaseDocument.status == "failed", 0), else_=1)
    query = (
        select(
            KnowledgeBaseDocument.path,
            KnowledgeBaseDocument.title,
            KnowledgeBaseDocument.doc_type,
            KnowledgeBaseDocument.pages,
            KnowledgeBaseDocument.chunks,
            KnowledgeBaseDocument.status,
            KnowledgeBaseDocument.error,
            KnowledgeBaseDocument.ingested_at,
        )
        .order_by(failed_first, KnowledgeBaseDocument.path)
        .limit(limit)
    )
    return _dicts(engine, query, "ingested_at")


def system_logs(engine: Engine, window: Window, limit: int = ROWS) -> list[dict]:
    """Errors and warnings the services recorded in the window, newest first."""
    query = (
        select(
            SystemLog.created_at,
            SystemLog.service,
            SystemLog.level,
            SystemLog.event,
            SystemLog.detail,
        )
        .where(
            *window.where(SystemLog.created_at),
            func.lower(SystemLog.level).in_(("error", "warning", "critical")),
        )
        .order_by(SystemLog.created_at.desc(), SystemLog.id.desc())
        .limit(limit)
    )
    return _dicts(engine, query, "created_at")


def _dicts(engine: Engine, query: Any, time_field: str) -> list[dict]:
    """The rows of `query` as dicts, their `time_field` aware and in UTC."""
    with engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(query)]
    for row in rows:
        row[time_field] = _as_utc(row[time_field])
    return rows


def store_answers(engine: Engine) -> tuple[bool, float, str]:
    """Whether the store answers a query now: (ok, milliseconds, error class)."""
    started = time.perf_counter()
    try:
        with engine.connect() as connection:
            connection.execute(select(func.count()).select_from(KnowledgeBaseDocument))
    except SQLAlchemyError as e:
        return False, (time.perf_counter() - started) * 1000, type(e).__name__
    return True, (time.perf_counter() - started) * 1000, ""


# ── The writes staff make: accounts, hand-off, feedback, knowledge gaps ─────────────────────
# Also the reads of the escalations and knowledge-gaps pages, beside the writes they serve.

WHATSAPP_WINDOW = timedelta(hours=24)  # WhatsApp's customer-service window
OPEN_CASES = ("open", "claimed")


class AccountExists(ValueError):
    """A staff account of that username exists already."""


def add_staff_account(engine: Engine, username: str, display_name: str, password_hash: str) -> None:
    """A new staff account (the hash is argon2id, made by the caller); AccountExists if taken."""
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(StaffAccount).values(
                    username=username,
                    display_name=display_name,
                    password_hash=password_hash,
                    disabled=False,
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        raise AccountExists(username) from None


def disable_staff_account(engine: Engine, username: str, display_name: str = "") -> bool:
    """The account can no longer sign in, and its open sessions are refused. The first account
    (DASHBOARD_USERNAME) has no row of its own: disabling it writes one with no password."""
    with engine.begin() as connection:
        changed = connection.execute(
            update(StaffAccount).where(StaffAccount.username == username).values(disabled=True)
        ).rowcount
        if changed == 0 and display_name:
            connection.execute(
                insert(StaffAccount).values(
                    username=username,
                    display_name=display_name,
                    password_hash="",
                    disabled=True,
                    created_at=utcnow(),
                )
            )
            return True
        return changed == 1


def staff_accounts(engine: Engine) -> list[StaffAccount]:
    with Session(engine) as session:
        return list(session.scalars(select(StaffAccount).order_by(StaffAccount.username)))


def staff_account(engine: Engine, username: str) -> StaffAccount | None:
    with Session(engine) as session:
        return session.scalar(select(StaffAccount).where(StaffAccount.username == username))


def cases(engine: Engine, statuses: tuple[str, ...] = OPEN_CASES, limit: int = 200) -> list[Case]:
    """Escalations in `statuses`: urgent first, then the oldest waiting first (handled ones:
    the latest first); each with when its student last wrote (WhatsApp's 24-hour window runs
    from there)."""
    order = Escalation.created_at.asc() if "handled" not in statuses else Escalation.id.desc()
    query = (
        select(Escalation)
        .where(Escalation.status.in_(statuses))
        .order_by(case((Escalation.reason == "urgent", 0), else_=1), order)
        .limit(limit)
    )
    with Session(engine) as session:
        found = list(session.scalars(query))
        last = _last_messages(session, {e.sender_hash for e in found})
    return [Case(e, last.get(e.sender_hash) or _aware(e.created_at)) for e in found]


def handoff_case(engine: Engine, escalation_id: int) -> Case | None:
    with Session(engine) as session:
        found = session.get(Escalation, escalation_id)
        if found is None:
            return None
        last = _last_messages(session, {found.sender_hash})
    return Case(found, last.get(found.sender_hash) or _aware(found.created_at))


def _last_messages(session: Session, senders: set[str]) -> dict[str, datetime]:
    """When each of `senders` last wrote: their newest turn (paused ones too) or escalation.
    Read per sender through the sender_hash indexes, not over every turn."""
    if not senders:
        return {}
    last: dict[str, datetime] = {}
    for table in (Conversation, Escalation):
        rows = session.execute(
            select(table.sender_hash, func.max(table.created_at))
            .where(table.sender_hash.in_(senders))
            .group_by(table.sender_hash)
        )
        for sender, at in rows:
            at = _aware(at)
            if sender not in last or at > last[sender]:
                last[sender] = at
    return last


@dataclass
class Case:
    """An escalation as the escalations page shows it."""

    escalation: Escalation
    last_message_at: datetime

    @property
    def window_ends(self) -> datetime:
        return self.last_message_at + WHATSAPP_WINDOW

    def in_window(self, now: datetime | None = None) -> bool:
        """May free text be sent now (WhatsApp's 24 hours from the student's last message)?"""
        return (now or utcnow()) < self.window_ends


def claim_case(engine: Engine, escalation_id: int, by: str) -> bool:
    """A member of staff takes an open case: the bot stays quiet for that student (but for an
    emergency) until it is handled or HANDOFF_PAUSE_HOURS pass. False if it is not open."""
    with engine.begin() as connection:
        result = connection.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.status == "open")
            .values(status="claimed", claimed_by=by, claimed_at=utcnow())
        )
        return result.rowcount == 1


def handle_case(engine: Engine, escalation_id: int, by: str) -> bool:
    """The case is done: the bot answers the student again, and their number is erased. False
    if it was not open or claimed."""
    with engine.begin() as connection:
        result = connection.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.status.in_(OPEN_CASES))
            .values(status="handled", handled_by=by, handled_at=utcnow(), number_encrypted="")
        )
        return result.rowcount == 1


def record_staff_reply(
    engine: Engine, escalation: Escalation, body: str, kind: str, sent_by: str, twilio_sid: str
) -> None:
    """What staff sent the student (after Twilio took it), for the thread."""
    with engine.begin() as connection:
        connection.execute(
            insert(StaffReply).values(
                escalation_id=escalation.id,
                sender_hash=escalation.sender_hash,
                body=body,
                kind=kind,
                sent_by=sent_by,
                twilio_sid=twilio_sid,
                created_at=utcnow(),
            )
        )


@dataclass(frozen=True)
class ThreadEntry:
    at: datetime
    who: str  # student | bot | staff | case (an escalation raised)
    text: str
    detail: str = ""  # the staff member's name, or the turn's status (paused, abstained…)


def case_thread(engine: Engine, sender_hash: str, limit: int = 200) -> list[ThreadEntry]:
    """A student's whole thread, oldest first: each turn (question, then the bot's answer unless
    the bot kept quiet), each case they raised, and what staff sent them."""
    with Session(engine) as session:
        turns = session.execute(
            select(
                Conversation.created_at,
                Conversation.question,
                Conversation.answer,
                Conversation.status,
                Conversation.abstained,
            )  # fmt: skip
            .where(Conversation.sender_hash == sender_hash)
            .order_by(Conversation.id.desc())
            .limit(limit)
        ).all()
        replies = session.execute(
            select(StaffReply.created_at, StaffReply.body, StaffReply.sent_by, StaffReply.kind)
            .where(StaffReply.sender_hash == sender_hash)
            .order_by(StaffReply.id.desc())
            .limit(limit)
        ).all()
        raised = session.execute(
            select(Escalation.created_at, Escalation.reason, Escalation.status).where(
                Escalation.sender_hash == sender_hash
            )
        ).all()
    entries = [
        ThreadEntry(
            _aware(at),
            "case",
            "Asked for a person" if reason == "requested" else "Flagged urgent",
            status,
        )
        for at, reason, status in raised
    ]
    for at, question, answer, status, abstained in turns:
        entries.append(ThreadEntry(_aware(at), "student", question, status))
        if answer:
            entries.append(ThreadEntry(_aware(at), "bot", answer, "abstained" if abstained else ""))
    for at, body, by, kind in replies:
        entries.append(ThreadEntry(_aware(at), "staff", body, f"{by} ({kind.replace('_', ' ')})"))
    order = {"student": 0, "case": 1, "bot": 2, "staff": 3}
    return sorted(entries, key=lambda e: (e.at, order[e.who]))


def rotate_numbers(engine: Engine, rotate: Callable[[str], str]) -> int:
    """Every stored number re-encrypted under the first key (`NumberCipher.rotate`)."""
    with engine.begin() as connection:
        rows = connection.execute(
            select(Escalation.id, Escalation.number_encrypted).where(
                Escalation.number_encrypted != ""
            )
        ).all()
        for escalation_id, token in rows:
            connection.execute(
                update(Escalation)
                .where(Escalation.id == escalation_id)
                .values(number_encrypted=rotate(token))
            )
    return len(rows)


def feedback_count(engine: Engine, since: datetime | None = None) -> int:
    """Answers students marked unhelpful (since `since`)."""
    query = select(func.count()).where(Conversation.feedback == "unhelpful")
    if since is not None:
        query = query.where(Conversation.feedback_at >= since)
    with engine.connect() as connection:
        return connection.execute(query).scalar() or 0


@dataclass(frozen=True)
class GapTurn:
    conversation_id: int
    question: str
    reason: str  # abstained | low confidence | unhelpful
    at: datetime


@dataclass
class Gap:
    """Questions of one meaning the bot could not answer well, most recent first."""

    turns: list[GapTurn]

    @property
    def key(self) -> int:
        """Stable while the group stands: its oldest turn."""
        return min(t.conversation_id for t in self.turns)

    @property
    def count(self) -> int:
        return len(self.turns)

    @property
    def question(self) -> str:
        """The group's most common wording, the latest on a tie."""
        seen = Counter(t.question.strip() for t in self.turns)
        return max(self.turns, key=lambda t: seen[t.question.strip()]).question.strip()

    def examples(self, n: int = 5) -> list[str]:
        return list(dict.fromkeys(t.question.strip() for t in self.turns))[:n]

    @property
    def reasons(self) -> dict[str, int]:
        return dict(Counter(t.reason for t in self.turns))

    @property
    def last_asked(self) -> datetime:
        return max(t.at for t in self.turns)


def gap_turns(
    engine: Engine, confidence_below: float, limit: int, since: datetime | None = None
) -> list[GapTurn]:
    """Answered turns the bot abstained on, answered with confidence below `confidence_below`,
    or that the student marked unhelpful, not yet resolved by a staff answer; newest first.
    Emergencies and the fixed replies (greetings, a request for a person) are not gaps."""
    weak = or_(
        Conversation.abstained.is_(True),
        Conversation.confidence < confidence_below,
        Conversation.feedback == "unhelpful",
    )
    query = (
        select(
            Conversation.id,
            Conversation.question,
            Conversation.abstained,
            Conversation.feedback,
            Conversation.created_at,
        )
        .where(
            Conversation.status == "answered",
            Conversation.urgency != "critical",
            Conversation.generator.not_in(("canned", "emergency_gateway", "cached")),
            weak,
            ~exists().where(ResolvedGap.conversation_id == Conversation.id),
        )
        .order_by(Conversation.id.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(Conversation.created_at >= _utc(since))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        GapTurn(
            cid,
            question,
            "unhelpful" if feedback else "abstained" if abstained else "low confidence",
            _aware(at),
        )
        for cid, question, abstained, feedback, at in rows
    ]


def knowledge_gaps(turns: list[GapTurn], groups: list[int]) -> list[Gap]:
    """`turns` gathered by `groups` (a group number per turn, by meaning: rag's Group), the most
    frequent first, then the most recently asked."""
    gathered: dict[int, list[GapTurn]] = {}
    for turn, group in zip(turns, groups, strict=True):
        gathered.setdefault(group, []).append(turn)
    return sorted(
        (Gap(ts) for ts in gathered.values()), key=lambda g: (-g.count, -g.last_asked.timestamp())
    )


def resolve_gap(
    engine: Engine,
    conversation_ids: list[int],
    question: str,
    answer: str,
    path: str,
    by: str,
    at: datetime | None = None,
) -> int:
    """Record a staff answer (already a document of the knowledge base at `path`, written `at`:
    the row rebuilds that document) and mark the group's turns resolved; returns its id."""
    with engine.begin() as connection:
        answer_id = connection.execute(
            insert(StaffAnswer)
            .values(
                question=question,
                answer=answer,
                path=path,
                written_by=by,
                created_at=at or utcnow(),
            )
            .returning(StaffAnswer.id)
        ).scalar_one()
        already = set(
            connection.execute(
                select(ResolvedGap.conversation_id).where(
                    ResolvedGap.conversation_id.in_(conversation_ids)
                )
            ).scalars()
        )
        rows = [
            {"conversation_id": c, "staff_answer_id": answer_id, "created_at": utcnow()}
            for c in dict.fromkeys(conversation_ids)
            if c not in already
        ]
        if rows:
            connection.execute(insert(ResolvedGap), rows)
    return answer_id


def staff_answers(engine: Engine, limit: int = 50) -> list[StaffAnswer]:
    with Session(engine) as session:
        query = select(StaffAnswer).order_by(StaffAnswer.id.desc()).limit(limit)
        return list(session.scalars(query))


def _aware(at: datetime | str) -> datetime:
    """SQLite hands back naive datetimes (the store writes UTC)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)
