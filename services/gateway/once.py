"""Exactly one answer per MessageSid, however often and however simultaneously Twilio delivers it.

The first delivery claims the MessageSid in the store (its primary key decides between replicas);
repeats on this replica wait for the first's reply in memory (or take it from its record while
that waits to be written: the store is down), repeats on another replica read it from the store
once it is recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from collegebot.store import Store

log = logging.getLogger("collegebot.gateway")
POLL_S = 0.1


@dataclass(frozen=True)
class Repeat:
    """A repeated delivery: the reply its first delivery got."""

    reply: list[str]
    # False: the first delivery was still unanswered when we stopped waiting (it is being
    # answered elsewhere, or the replica answering it died).
    settled: bool = True


class Once:
    def __init__(
        self,
        store: Store,
        store_wait_s: float,
        repeat_wait_s: float,
        queued_reply: Callable[[str], list[str] | None] = lambda sid: None,
    ) -> None:
        self.store = store
        self.queued_reply = queued_reply  # the reply of a record not yet written, if any
        self.store_wait_s = store_wait_s
        self.repeat_wait_s = repeat_wait_s
        self.inflight: dict[str, asyncio.Future[list[str]]] = {}

    async def begin(self, sid: str, sender_hash: str, kind: str) -> Repeat | None:
        """None: this is the first delivery, answer it and call `done`. Else the reply it got."""
        if (first := self.inflight.get(sid)) is not None:
            return Repeat(await asyncio.shield(first))
        if (reply := self.queued_reply(sid)) is not None:  # answered here, not yet stored
            return Repeat(reply)
        self.inflight[sid] = asyncio.get_running_loop().create_future()
        try:
            claimed = await asyncio.wait_for(
                self.store.claim(sid, sender_hash, kind), self.store_wait_s
            )
        except Exception as e:  # any store failure: answer anyway
            # Answering twice is better than not at all; the record will claim it later.
            log.warning("store unavailable for message %s (%s)", sid, type(e).__name__)
            claimed = True
        if claimed:
            return None
        repeat = await self._recorded_reply(sid)
        self.done(sid, repeat.reply)
        return repeat

    def done(self, sid: str, reply: list[str]) -> None:
        """Hand the first delivery's reply (empty: sent later by REST) to repeats waiting here."""
        first = self.inflight.pop(sid, None)
        if first is not None and not first.done():
            first.set_result(reply)

    async def _recorded_reply(self, sid: str) -> Repeat:
        """Another replica (or an earlier run) answers it: its reply, once recorded."""
        deadline = asyncio.get_running_loop().time() + self.repeat_wait_s
        while True:
            try:
                delivery = await asyncio.wait_for(self.store.delivery(sid), self.store_wait_s)
            except Exception:  # the store is down or failing
                delivery = None
            if delivery is not None and delivery.status != "pending":
                # A reply sent by REST has reached the student already: nothing more in TwiML.
                return Repeat(list(delivery.reply) if delivery.status == "replied" else [])
            if asyncio.get_running_loop().time() > deadline:
                # Still being answered elsewhere; it will reach the student from there.
                return Repeat([], settled=False)
            await asyncio.sleep(POLL_S)
