"""Rate limits with `limits`: per sender and for everyone together, in memory or in Redis."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

log = logging.getLogger("collegebot.gateway")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    notice: str | None = None  # what to tell a throttled student; None: they were told already


ALLOWED = Verdict(True)
# A hung Redis must not hold the webhook: this runs before the reply budget starts, and Twilio
# gives up after 15 s. Redis answers in milliseconds; past this the message goes through.
LIMITER_WAIT_S = 0.5
SWEEP_EVERY_S = 1.0


class SweptMemoryStorage(MemoryStorage):
    """limits' in-process storage, sweeping expired entries out once a second.

    The library sweeps after every hit, every key with a hop to a worker thread: with many
    students that is many thread hops per message. Expired entries never count (each check
    compares timestamps); the sweep only frees their memory, which once a second does as well.
    """

    def __init__(self) -> None:
        super().__init__()
        self.clock = time.monotonic  # a test can hold it still
        self.next_sweep = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:  # the library's private hook
        if (now := self.clock()) >= self.next_sweep:
            self.next_sweep = now + SWEEP_EVERY_S
            await super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]


def _wait(seconds: int) -> str:
    if seconds <= 90:
        return f"{seconds} second{'s' * (seconds != 1)}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' * (minutes != 1)}"


class Throttle:
    """Moving windows keyed by the sender's pseudonym, shared by replicas when Redis is used."""

    def __init__(self, per_sender: str, everyone: str, redis_url: str | None = None) -> None:
        self.storage = (
            storage_from_string("async+" + redis_url) if redis_url else SweptMemoryStorage()
        )
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.per_sender, self.everyone = parse(per_sender), parse(everyone)

    async def check(self, sender_hash: str) -> Verdict:
        """Count this message; a throttled sender is told once per window when to try again."""
        started = time.monotonic()
        try:
            return await asyncio.wait_for(self._count(sender_hash), LIMITER_WAIT_S)
        except Exception as e:  # a broken or hung limiter must not silence students
            # A wait cut short inside the library's script reload surfaces as NoScriptError:
            # the clock, not the exception, says whether Redis was too slow.
            late = time.monotonic() - started >= LIMITER_WAIT_S
            why = f"no answer in {LIMITER_WAIT_S} s" if late else type(e).__name__
            log.warning("rate limiter unavailable (%s); letting the message through", why)
        return ALLOWED

    async def _count(self, sender_hash: str) -> Verdict:
        for item, key, why in (
            (self.per_sender, sender_hash, "You're sending messages faster than I can answer."),
            (self.everyone, "everyone", "Lots of students are messaging me right now."),
        ):
            if not await self.limiter.hit(item, "collegebot", key):
                return await self._throttled(item, key, sender_hash, why)
        return ALLOWED

    async def _throttled(
        self, item: RateLimitItem, key: str, sender_hash: str, why: str
    ) -> Verdict:
        # One notice per sender and window: the first "told" hit fills that window at once.
        if not await self.limiter.hit(item, "collegebot-told", key, sender_hash, cost=item.amount):
            return Verdict(False)
        stats = await self.limiter.get_window_stats(item, "collegebot", key)
        seconds = max(1, math.ceil(stats.reset_time - time.time()))
        return Verdict(False, f"{why} Please try again in about {_wait(seconds)}.")
