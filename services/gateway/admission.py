"""How many questions the gateway has rag and llm work on at once, and how many wait for a turn.

Beyond what the services can serve, an unbounded number in flight makes every answer late at
once (each waits behind all the others until its deadline passes). So at most `concurrency`
questions are with rag and llm, `queue` more wait in order, and a question arriving past both
is shed: told politely to ask again in a minute, and counted. The queue is sized so that its
wait stays inside the reply budget at the measured capacity (bench/RESULTS.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import Gauge

IN_FLIGHT = Gauge("collegebot_gateway_answers_in_flight", "Questions with rag and llm now")
WAITING = Gauge("collegebot_gateway_answers_waiting", "Questions waiting for a turn at rag and llm")


class Admission:
    def __init__(self, concurrency: int, queue: int) -> None:
        self.concurrency, self.queue = concurrency, queue
        self._slots = asyncio.Semaphore(concurrency)
        self.waiting = 0

    def full(self) -> bool:
        """Would a question arriving now be shed?"""
        return self._slots.locked() and self.waiting >= self.queue

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold one of the `concurrency` places (waiting in the queue for one)."""
        self.waiting += 1
        WAITING.inc()
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
            WAITING.dec()
        IN_FLIGHT.inc()
        try:
            yield
        finally:
            IN_FLIGHT.dec()
            self._slots.release()
