"""Records written after the reply: a bounded queue that waits out a store outage."""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import Counter, Gauge
from sqlalchemy.exc import DBAPIError, OperationalError
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from collegebot.store import Outcome, Store

log = logging.getLogger("collegebot.gateway")

# What an unreachable or restarting store raises: worth waiting for. Anything else is a bug in
# the record and is dropped (counted) so it cannot hold up the records behind it.
STORE_UNAVAILABLE = (OperationalError, DBAPIError, OSError, asyncio.TimeoutError)

PENDING = Gauge("collegebot_gateway_records_pending", "Records waiting to be written to the store")
DROPPED = Counter(
    "collegebot_gateway_records_dropped_total", "Records never written to the store", ["reason"]
)
RETRIES = Counter(
    "collegebot_gateway_record_write_retries_total", "Failed writes that will be tried again"
)


class RecordWriter:
    """One writer task drains the queue in order, retrying each record until the store takes it."""

    def __init__(self, store: Store, capacity: int) -> None:
        self.store = store
        self.queue: asyncio.Queue[Outcome] = asyncio.Queue(capacity)
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    def submit(self, outcome: Outcome) -> None:
        """Queue a record without waiting; when full, the oldest waiting record gives way."""
        if self.queue.full():
            dropped = self.queue.get_nowait()
            self.queue.task_done()
            PENDING.dec()
            DROPPED.labels("queue_full").inc()
            log.error("record queue full: dropped the record of message %s", dropped.message_sid)
        self.queue.put_nowait(outcome)
        PENDING.inc()

    async def _run(self) -> None:
        while True:
            outcome = await self.queue.get()
            try:
                async for attempt in AsyncRetrying(
                    retry=retry_if_exception_type(STORE_UNAVAILABLE),
                    wait=wait_exponential(multiplier=0.1, max=2),
                    before_sleep=lambda _: RETRIES.inc(),
                ):
                    with attempt:
                        await self.store.record(outcome)
            except Exception as e:
                DROPPED.labels("invalid").inc()
                log.error("record of message %s dropped: %s", outcome.message_sid, type(e).__name__)
            finally:
                PENDING.dec()
                self.queue.task_done()

    async def drain(self, timeout_s: float) -> None:
        """Give waiting records a chance to be written (at shutdown), then stop."""
        try:
            await asyncio.wait_for(self.queue.join(), timeout_s)
        except TimeoutError:
            log.error("stopping with %d records unwritten", self.queue.qsize())
        if self.task is not None:
            self.task.cancel()
