"""Records written after the reply: a bounded queue that waits out a store outage, and a local
journal of it that outlives the process."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import json
import logging
import os
import socket
import sqlite3
from pathlib import Path

import aiosqlite
from prometheus_client import Counter, Gauge
from sqlalchemy.exc import DataError, IntegrityError, ProgrammingError
from tenacity import AsyncRetrying, retry_if_exception, wait_exponential

from collegebot.store import Outcome, Store, TurnRecord

log = logging.getLogger("collegebot.gateway")

# A record the store refuses as such (a constraint, bad data, a missing grant) or that a bug
# broke will never be written: it is dropped, counted, so it cannot hold up the records behind
# it. Any other failure (refused or dropped connections, a database starting up or shutting
# down, whatever the driver calls it) is waited out.
RECORD_REFUSED = (
    IntegrityError,
    DataError,
    ProgrammingError,
    TypeError,
    ValueError,
    AttributeError,
    KeyError,
)


# SQLSTATE classes of a refusal: data (a value too long, a NUL in text), integrity, syntax or
# access. asyncpg's reach us as a bare DBAPIError, its code on `orig`.
REFUSED_SQLSTATES = ("22", "23", "42")


def refused(error: BaseException) -> bool:
    """Whether the store refused the record itself, so that it will never be written."""
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None) or ""
    return isinstance(error, RECORD_REFUSED) or sqlstate[:2] in REFUSED_SQLSTATES


# livesum: with several gateway worker processes, the records waiting in all of the live ones.
PENDING = Gauge(
    "collegebot_gateway_records_pending",
    "Records waiting to be written to the store",
    multiprocess_mode="livesum",
)
DROPPED = Counter(
    "collegebot_gateway_records_dropped_total", "Records never written to the store", ["reason"]
)
# Every reason exported at 0 from the start: increase() over a series that first appears at 1
# reads 0, so without them the first record dropped would never raise RecordsDropped.
for _reason in ("invalid", "queue_full"):
    DROPPED.labels(_reason)
LINGER_S = 0.25
MAX_BATCH = 200
RETRIES = Counter(
    "collegebot_gateway_record_write_retries_total", "Failed writes that will be tried again"
)


JOURNAL_FAILURES = Counter(
    "collegebot_gateway_record_journal_failures_total",
    "Records the local journal could not take (they wait in memory only)",
)


def _to_json(outcome: Outcome) -> str:
    return json.dumps(dataclasses.asdict(outcome), ensure_ascii=False)


def _known(cls: type, data: dict) -> dict:
    """Only the fields `cls` has: a journal written by another version still replays."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _from_json(text: str) -> Outcome:
    data = _known(Outcome, json.loads(text))
    if data.get("turn"):
        data["turn"] = TurnRecord(**_known(TurnRecord, data["turn"]))
    if data.get("event"):
        data["event"] = tuple(data["event"])
    return Outcome(**data)


class Journal:
    """The records not yet in the store, in a SQLite file of this replica's own under the state
    directory: appended before the webhook is answered, erased once the store has them, replayed
    at start. SQLite's own WAL commits survive the process being killed at any instant.

    The file holds students' questions, answers and pseudonyms: it is created 0600 (SQLite gives
    its -wal file the same mode) and held with an exclusive lock, so two gateways sharing a state
    directory (two on one laptop, replicas in one test) never take each other's records; the
    second takes the next free name. The OS drops the lock when a process dies, however it dies.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path: Path | None = None
        self.db: aiosqlite.Connection | None = None

    async def open(self) -> list[tuple[int, Outcome]]:
        """Take this replica's file; returns the records a previous run left unwritten."""
        self.folder.mkdir(parents=True, exist_ok=True)
        host = socket.gethostname() or "gateway"
        for n in range(1, 100):
            path = self.folder / (f"records-{host}.wal" if n == 1 else f"records-{host}-{n}.wal")
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
            os.chmod(path, 0o600)
            db = await aiosqlite.connect(path, timeout=0, isolation_level=None)
            try:
                # Exclusive locking before WAL mode: the lock is held from the first write to
                # close, and SQLite keeps the WAL index in memory (no -shm file).
                await db.execute("PRAGMA locking_mode=EXCLUSIVE")
                await db.execute("PRAGMA journal_mode=WAL")
                await db.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes
                await db.execute(
                    "CREATE TABLE IF NOT EXISTS records (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                    "sender_hash TEXT NOT NULL, outcome TEXT NOT NULL)"
                )
                await db.execute("BEGIN IMMEDIATE")  # takes the lock now, or fails at once
                await db.execute("COMMIT")
            except sqlite3.OperationalError:  # another live gateway holds this one
                await db.close()
                continue
            self.path, self.db = path, db
            break
        else:
            raise RuntimeError(f"no free record journal in {self.folder}")
        entries = []
        async with db.execute("SELECT id, outcome FROM records ORDER BY id") as rows:
            async for record_id, text in rows:
                try:
                    entries.append((record_id, _from_json(text)))
                except (TypeError, ValueError, KeyError):
                    DROPPED.labels("invalid").inc()
                    await self.forget([record_id])
        return entries

    async def append(self, outcome: Outcome) -> int | None:
        """Keep a record; None when the file cannot (the record then waits in memory only)."""
        assert self.db is not None
        try:
            cursor = await self.db.execute(
                "INSERT INTO records (sender_hash, outcome) VALUES (?, ?)",
                (outcome.sender_hash, _to_json(outcome)),
            )
        except (sqlite3.Error, ValueError) as e:  # a full disk, a lost file
            JOURNAL_FAILURES.inc()
            log.error("record of message %s not journaled: %s", outcome.message_sid, e)
            return None
        return cursor.lastrowid

    async def forget(self, ids: list[int | None]) -> None:
        """The store has these (or will never take them): they go from the file."""
        assert self.db is not None
        known = [(i,) for i in ids if i is not None]
        try:
            await self.db.executemany("DELETE FROM records WHERE id = ?", known)
        except sqlite3.Error as e:  # replayed later: the store writes nothing twice
            log.error("record journal: %s", e)

    async def count(self) -> int:
        assert self.db is not None
        async with self.db.execute("SELECT count(*) FROM records") as rows:
            row = await rows.fetchone()
        return row[0] if row else 0

    async def close(self) -> None:
        if self.db is not None:
            await self.db.close()
            self.db = None


@dataclasses.dataclass(eq=False)
class _Entry:
    outcome: Outcome
    journal_id: int | None = None


class RecordWriter:
    """One writer task drains the queue in order, retrying each record until the store takes it.
    Each record is in the journal before `submit` returns, and leaves it once it is stored."""

    def __init__(self, store: Store, capacity: int, journal: Journal) -> None:
        self.store = store
        self.journal = journal
        self.queue: asyncio.Queue[_Entry] = asyncio.Queue(capacity)
        self.task: asyncio.Task | None = None
        self.waiting: collections.Counter[str] = collections.Counter()  # records per sender
        self.unwritten: dict[str, Outcome] = {}  # by MessageSid: the replies not yet stored

    async def start(self) -> None:
        """Queue what a previous run left in the journal (oldest first), then start writing."""
        replayed = await self.journal.open()
        if replayed:
            log.warning("replaying %d records a previous run left unwritten", len(replayed))
        for journal_id, outcome in replayed:
            self._hold(outcome)
            await self._enqueue(_Entry(outcome, journal_id))
        self.task = asyncio.create_task(self._run())

    def queued_reply(self, message_sid: str) -> list[str] | None:
        """The reply a message got, while its record waits (a repeat while the store is down)."""
        outcome = self.unwritten.get(message_sid)
        if outcome is None:
            return None
        return outcome.reply if outcome.status == "replied" else []

    def _hold(self, outcome: Outcome) -> None:
        self.waiting[outcome.sender_hash] += 1
        self.unwritten[outcome.message_sid] = outcome
        PENDING.inc()

    async def submit(self, outcome: Outcome) -> None:
        """Journal a record and queue it; when full, the oldest waiting record gives way."""
        self._hold(outcome)  # before any wait: a repeat arriving meanwhile finds its reply
        await self._enqueue(_Entry(outcome, await self.journal.append(outcome)))

    async def _enqueue(self, entry: _Entry) -> None:
        dropped = None
        if self.queue.full():
            dropped = self.queue.get_nowait()
            DROPPED.labels("queue_full").inc()
            log.error(
                "record queue full: dropped the record of message %s", dropped.outcome.message_sid
            )
        self.queue.put_nowait(entry)
        if dropped is not None:
            await self.journal.forget([dropped.journal_id])
            self._done(dropped)

    def _done(self, entry: _Entry) -> None:
        outcome = entry.outcome
        self.queue.task_done()
        self.waiting[outcome.sender_hash] -= 1
        if not self.waiting[outcome.sender_hash]:
            del self.waiting[outcome.sender_hash]
        if self.unwritten.get(outcome.message_sid) is outcome:
            del self.unwritten[outcome.message_sid]
        PENDING.dec()

    async def written(self, sender_hash: str) -> None:
        """Return once no record of this sender waits to be written, in memory or in the journal
        (erasing a student's data must come after their last records, or those would bring it
        back)."""
        while sender_hash in self.waiting:
            await asyncio.sleep(LINGER_S / 5)

    async def _run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            await asyncio.sleep(LINGER_S)  # a burst is written in one transaction
            while len(batch) < MAX_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            outcomes = [e.outcome for e in batch]
            try:
                await self._write(outcomes)
            except Exception:  # a refusal (_write waits out anything else): one bad record,
                # so write the others one by one and drop only it
                for outcome in outcomes:
                    try:
                        await self._write([outcome])
                    except Exception as e:
                        DROPPED.labels("invalid").inc()
                        log.error(
                            "record of message %s dropped: %s",
                            outcome.message_sid,
                            type(e).__name__,
                        )
            # Stored (or refused for good): out of the journal, then no longer waiting. Stopped
            # before that (cancelled, killed), they stay and are replayed: the store writes
            # nothing twice.
            await self.journal.forget([e.journal_id for e in batch])
            for entry in batch:
                self._done(entry)

    async def _write(self, batch: list[Outcome]) -> None:
        """Write, waiting out an unavailable store for as long as it takes."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(lambda e: not refused(e)),
            wait=wait_exponential(multiplier=0.1, max=2),
            before_sleep=lambda _: RETRIES.inc(),
        ):
            with attempt:
                await self.store.record(*batch)

    async def drain(self, timeout_s: float) -> None:
        """Give waiting records a chance to be written (at shutdown), then stop; what the store
        has not taken by then stays in the journal for the next start."""
        try:
            await asyncio.wait_for(self.queue.join(), timeout_s)
        except TimeoutError:
            log.error(
                "stopping with %d records unwritten; kept in %s for the next start",
                self.queue.qsize(),
                self.journal.path,
            )
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.journal.close()
