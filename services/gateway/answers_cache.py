"""Answers to common questions, kept per knowledge-base version: a student asking what another
asked a moment ago gets the same reply without retrieval or the llm.

The key is the question (Unicode-normalised, spaces collapsed; case and punctuation kept, since
the answerer reads both) and the knowledge-base version the store records, so any ingestion
that changes a document moves every lookup to new keys. A reply is kept only when rag answered
from that same version (a replica still rebuilding its snapshot answers from the one before),
only for a question that stands on its own (`collegebot.followup`), and never when it is
critical or escalates: an emergency or a request for a person is answered, and recorded, afresh
every time. In memory (least recently used out past `size`) or, with REDIS_URL, in Redis for
every replica (each entry expiring after `ttl_s`; keys carry a hash of the question, never its
words). Redis or the store unreachable: the question is answered as if nothing were cached.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from prometheus_client import Counter, Gauge

from collegebot.followup import depends_on_previous
from collegebot.v1 import llm_pb2

log = logging.getLogger("collegebot.gateway")

LOOKUPS = Counter(
    "collegebot_gateway_answer_cache_total",
    "Answer cache: hit, miss, stored, or skipped (a follow-up, or the version unknown)",
    ["result"],
)
ENTRIES = Gauge("collegebot_gateway_answer_cache_entries", "Answers held in this replica's memory")
# The store is asked for the knowledge-base version at most this often (rag checks as often).
VERSION_CHECK_S = 1.0
# Redis answers in a millisecond; a hung one must not hold the webhook.
REDIS_WAIT_S = 0.25
_SPACES = re.compile(r"\s+")


def normalised(question: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", question)).strip()


def cacheable(reply: llm_pb2.RespondResponse) -> bool:
    """A reply that may serve the next student: not critical, not escalating, from a generator."""
    return (
        not reply.escalate
        and reply.urgency != "critical"
        and reply.generator in ("groq", "openai", "offline", "canned")
    )


class AnswerCache:
    def __init__(
        self,
        size: int,
        ttl_s: float,
        version: Callable[[], Awaitable[str]],
        redis_url: str | None = None,
    ) -> None:
        self.size, self.ttl_s = size, ttl_s
        self._read_version = version
        self._version: str | None = None
        self._checked = -VERSION_CHECK_S
        self._memory: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._redis = None
        if redis_url and size > 0:
            import coredis

            self._redis = coredis.Redis.from_url(redis_url, protocol_version=2)

    @property
    def enabled(self) -> bool:
        return self.size > 0

    async def version(self) -> str | None:
        """The knowledge base's current version (None while the store cannot say)."""
        now = time.monotonic()
        if now - self._checked >= VERSION_CHECK_S:
            self._checked = now
            try:
                self._version = await asyncio.wait_for(self._read_version(), 1.0)
            except Exception as e:  # store down: nothing is served or kept until it is back
                log.warning("knowledge-base version unknown (%s)", type(e).__name__)
                self._version = None
        return self._version

    def saw(self, version: str) -> None:
        """rag answered from another version than ours: ask the store again at the next lookup."""
        if version != self._version:
            self._checked = -VERSION_CHECK_S

    @staticmethod
    def key(version: str, question: str) -> str:
        digest = hashlib.blake2b(normalised(question).encode(), digest_size=16).hexdigest()
        return f"collegebot:answer:{version}:{digest}"

    async def get(self, question: str) -> tuple[llm_pb2.RespondResponse | None, str | None]:
        """The cached reply for `question` (or None) and the version looked up under (None:
        this question must not be served from, or kept in, the cache)."""
        if not self.enabled or depends_on_previous(question):
            LOOKUPS.labels("skipped").inc()
            return None, None
        version = await self.version()
        if version is None:
            LOOKUPS.labels("skipped").inc()
            return None, None
        data = await self._load(self.key(version, question))
        if data is None:
            LOOKUPS.labels("miss").inc()
            return None, version
        LOOKUPS.labels("hit").inc()
        return llm_pb2.RespondResponse.FromString(data), version

    async def put(
        self, version: str, answered_from: str, question: str, reply: llm_pb2.RespondResponse
    ) -> None:
        """Keep `reply` if rag answered from the version it was looked up under."""
        self.saw(answered_from)
        if answered_from != version or not cacheable(reply):
            return
        LOOKUPS.labels("stored").inc()
        await self._save(self.key(version, question), reply.SerializeToString())

    async def _load(self, key: str) -> bytes | None:
        if self._redis is not None:
            try:
                return await asyncio.wait_for(self._redis.get(key), REDIS_WAIT_S)
            except Exception as e:
                log.warning("answer cache unavailable (%s)", type(e).__name__)
                return None
        held = self._memory.get(key)
        if held is None:
            return None
        expires, data = held
        if expires < time.monotonic():
            del self._memory[key]
            ENTRIES.set(len(self._memory))
            return None
        self._memory.move_to_end(key)
        return data

    async def _save(self, key: str, data: bytes) -> None:
        if self._redis is not None:
            try:
                ttl_ms = max(1, int(self.ttl_s * 1000))
                await asyncio.wait_for(self._redis.set(key, data, px=ttl_ms), REDIS_WAIT_S)
            except Exception as e:
                log.warning("answer cache unavailable (%s)", type(e).__name__)
            return
        self._memory[key] = (time.monotonic() + self.ttl_s, data)
        self._memory.move_to_end(key)
        while len(self._memory) > self.size:
            self._memory.popitem(last=False)
        ENTRIES.set(len(self._memory))

    def __len__(self) -> int:
        return len(self._memory)
