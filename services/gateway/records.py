"""Records written after the reply: a bounded queue that waits out a store outage."""

from __future__ import annotations

import asyncio
import collections
import logging

from prometheus_client import Counter, Gauge
from sqlalchemy.exc import DataError, IntegrityError, ProgrammingError
from tenacity import AsyncRetrying, retry_if_exception, wait_exponential

from collegebot.store import Outcome, Store

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
LINGER_S = 0.25
MAX_BATCH = 200
RETRIES = Counter(
    "collegebot_gateway_record_write_retries_total", "Failed writes that will be tried again"
)


class RecordWriter:
    """One writer task drains the queue in order, retrying each record until the store takes it."""

    def __init__(self, store: Store, capacity: int) -> None:
        self.store = store
        self.queue: asyncio.Queue[Outcome] = asyncio.Queue(capacity)
        self.task: asyncio.Task | None = None
        self.waiting: collections.Counter[str] = collections.Counter()  # records per sender

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    def submit(self, outcome: Outcome) -> None:
        """Queue a record without waiting; when full, the oldest waiting record gives way."""
        if self.queue.full():
            dropped = self.queue.get_nowait()
            self._done(dropped)
            DROPPED.labels("queue_full").inc()
            log.error("record queue full: dropped the record of message %s", dropped.message_sid)
        self.queue.put_nowait(outcome)
        self.waiting[outcome.sender_hash] += 1
        PENDING.inc()

    def _done(self, outcome: Outcome) -> None:
        self.queue.task_done()
        self.waiting[outcome.sender_hash] -= 1
        if not self.waiting[outcome.sender_hash]:
            del self.waiting[outcome.sender_hash]
        PENDING.dec()

    async def written(self, sender_hash: str) -> None:
        """Return once no record of this sender waits to be written (erasing a student's data
        must come after their last records, or those would bring it back)."""
        while sender_hash in self.waiting:
            await asyncio.sleep(LINGER_S / 5)

    async def _run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            await asyncio.sleep(LINGER_S)  # a burst is written in one transaction
            while len(batch) < MAX_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                await self._write(batch)
            except Exception:  # a refusal (_write waits out anything else): one bad record,
                # so write the others one by one and drop only it
                for outcome in batch:
                    try:
                        await self._write([outcome])
                    except Exception as e:
                        DROPPED.labels("invalid").inc()
                        log.error(
                            "record of message %s dropped: %s",
                            outcome.message_sid,
                            type(e).__name__,
                        )
            finally:
                for outcome in batch:
                    self._done(outcome)

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
        """Give waiting records a chance to be written (at shutdown), then stop."""
        try:
            await asyncio.wait_for(self.queue.join(), timeout_s)
        except TimeoutError:
            log.error("stopping with %d records unwritten", self.queue.qsize())
        if self.task is not None:
            self.task.cancel()
