"""The rag gRPC service: Retrieve and Ingest over one knowledge base."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import grpc
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from collegebot import staff_answers
from collegebot.v1 import rag_pb2, rag_pb2_grpc
from services.rag.grouping import DEFAULT_SIMILARITY, group
from services.rag.ingest import NothingToIngest, Text, summary
from services.rag.knowledge_base import KnowledgeBase

log = logging.getLogger("collegebot.rag")

RETRIEVE_SECONDS = Histogram(
    "collegebot_rag_retrieve_duration_seconds",
    "Time to answer one Retrieve call",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
REQUESTS = Counter(
    "collegebot_rag_requests_total", "gRPC calls by method and outcome", ["method", "outcome"]
)
INDEX_CHUNKS = Gauge("collegebot_rag_index_chunks", "Chunks in the index this replica answers from")
KB_VERSION = Gauge(
    "collegebot_rag_knowledge_base_version_seconds",
    "Version of the knowledge base this replica answers from: when its newest document was "
    "ingested, as a Unix time (replicas that differ have not caught up)",
)
TOP_SCORE = Histogram(
    "collegebot_rag_top_score",
    "Retrieval's confidence: the best passage's dense similarity to the question (below "
    "RELEVANCE_THRESHOLD the bot abstains)",
    buckets=(0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
)
INGESTED = Counter(
    "collegebot_rag_ingested_documents_total",
    "Documents seen by ingestions through this replica, by status (added, changed, unchanged, "
    "removed, failed)",
    ["status"],
)


class _Documents(Collector):
    """The store's documents by status, read at each scrape: ingestions by `collegebot ingest
    --local` (the setup job, `collegebot up`) never pass through a rag server's counters."""

    def __init__(self) -> None:
        self.kb: KnowledgeBase | None = None

    def collect(self):
        family = GaugeMetricFamily(
            "collegebot_rag_documents",
            "Documents of the knowledge base by status (indexed, failed), as the store has them",
            labels=["status"],
        )
        if self.kb is not None:
            try:
                counts = self.kb.document_counts()
            except Exception as e:  # the store is down: no sample, not a wrong one
                log.warning("the store did not list the documents (%s)", type(e).__name__)
                counts = {}
            for status, count in sorted(counts.items()):
                family.add_metric([status], count)
        yield family


DOCUMENTS = _Documents()
REGISTRY.register(DOCUMENTS)


def _timestamp(when: object) -> float:
    """A stored time as Unix seconds (NaN: none); the store writes UTC."""
    if isinstance(when, str):  # SQLite hands back its text form
        when = datetime.fromisoformat(when)
    if not isinstance(when, datetime):
        return float("nan")  # an empty knowledge base
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


class RagServicer(rag_pb2_grpc.RagServicer):
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._ingest_lock = asyncio.Lock()  # one writer per index
        # Read at each scrape: the setup Job's `ingest --local` or another replica may have
        # changed the index since start-up, and this replica follows it.
        INDEX_CHUNKS.set_function(self._answering_from)
        self._version_time: tuple[object, float] = (None, float("nan"))
        KB_VERSION.set_function(self._version_seconds)
        DOCUMENTS.kb = kb

    def _answering_from(self) -> float:
        try:
            return len(self.kb.retriever.snapshot().ids)
        except Exception as e:  # the index unreachable before any snapshot: unknown, not empty
            log.warning("the index could not be read (%s)", type(e).__name__)
            return float("nan")

    def _version_seconds(self) -> float:
        # The version is a digest of the store's documents: its time is the newest ingestion the
        # store had when this replica's snapshot changed (read once per snapshot, not per scrape).
        version = self.kb.retriever.answering_version
        if version is None:
            return float("nan")  # no snapshot yet
        if self._version_time[0] != version:
            try:
                newest = self.kb.newest_ingestion()
            except Exception as e:  # the store is down: no sample, not a wrong one
                log.warning("the store did not give the newest ingestion (%s)", type(e).__name__)
                return float("nan")
            self._version_time = (version, _timestamp(newest))
        return self._version_time[1]

    async def Retrieve(self, request: rag_pb2.RetrieveRequest, context) -> rag_pb2.RetrieveResponse:
        if not request.query.strip():
            REQUESTS.labels("Retrieve", "invalid").inc()
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "query is empty")
        start = time.perf_counter()
        k = request.k or self.kb.default_k
        earlier = [turn.question for turn in request.history]
        result, (alarm, similarity) = await asyncio.to_thread(
            self.kb.answer, request.query, k, earlier
        )
        RETRIEVE_SECONDS.observe(time.perf_counter() - start)
        TOP_SCORE.observe(result.confidence)  # what the bot's decision to abstain reads
        REQUESTS.labels("Retrieve", "ok").inc()
        return rag_pb2.RetrieveResponse(
            passages=[p.message() for p in result.passages],
            relevant=result.relevant,
            emergency=alarm,
            emergency_similarity=similarity,
            kb_version=str(result.version or ""),
        )

    async def Sense(self, request: rag_pb2.SenseRequest, context) -> rag_pb2.SenseResponse:
        alarm, similarity = await asyncio.to_thread(self._sense, request.text)
        REQUESTS.labels("Sense", "ok").inc()
        return rag_pb2.SenseResponse(emergency=alarm, emergency_similarity=similarity)

    def _sense(self, text: str) -> tuple[str, float]:
        # The embedding reads only a message's first few hundred words: a long message is read
        # in overlapping windows, so a crisis at its end is not lost behind an ordinary start.
        readings = self.kb.emergencies(windows(text))
        return next((r for r in readings if r[0]), max(readings, key=lambda r: r[1]))

    async def Group(self, request: rag_pb2.GroupRequest, context) -> rag_pb2.GroupResponse:
        if not request.texts:
            return rag_pb2.GroupResponse()
        similarity = request.similarity or DEFAULT_SIMILARITY
        labels = await asyncio.to_thread(self._group, list(request.texts), similarity)
        REQUESTS.labels("Group", "ok").inc()
        return rag_pb2.GroupResponse(groups=labels)

    def _group(self, texts: list[str], similarity: float) -> list[int]:
        return group(self.kb.model.embed_queries(texts), similarity)

    async def Ingest(self, request: rag_pb2.IngestRequest, context) -> rag_pb2.IngestResponse:
        paths = [Path(p) for p in request.paths] or None
        try:
            texts = [Text(staff_answers.check(d.path, d.text), d.text) for d in request.texts]
        except staff_answers.NotAStaffAnswer as e:
            REQUESTS.labels("Ingest", "invalid").inc()
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        async with self._ingest_lock:
            try:
                outcomes = await asyncio.to_thread(self.kb.ingest, paths, log.info, texts)
            except NothingToIngest as e:
                REQUESTS.labels("Ingest", "invalid").inc()
                await context.abort(grpc.StatusCode.NOT_FOUND, str(e))
        chunks = self.kb.chunk_count()
        for outcome in outcomes:
            INGESTED.labels(outcome.status).inc()
        log.info(summary(outcomes, chunks))
        REQUESTS.labels("Ingest", "ok").inc()
        return rag_pb2.IngestResponse(
            documents=[
                rag_pb2.DocumentResult(
                    path=o.path, status=o.status, pages=o.pages, chunks=o.chunks, error=o.error
                )
                for o in outcomes
            ],
            index_chunks=chunks,
        )


SENSE_WINDOW_CHARS = 240


def windows(text: str, size: int = SENSE_WINDOW_CHARS) -> list[str]:
    """`text` as runs of whole sentences of about `size` characters (a longer sentence cut in
    pieces), each once: a sentence of crisis is read nearly on its own."""
    runs: list[str] = []
    for sentence in re.split(r"(?<=[.!?\n])\s+", text):
        for i in range(0, max(1, len(sentence)), size):
            piece = sentence[i : i + size]
            if runs and len(runs[-1]) + 1 + len(piece) <= size:
                runs[-1] = f"{runs[-1]} {piece}"
            else:
                runs.append(piece)
    return list(dict.fromkeys(runs))


def register(kb: KnowledgeBase):
    servicer = RagServicer(kb)
    # The emergency descriptions (several hundred) are embedded in the background at start, so
    # the first student does not wait seconds for them.
    threading.Thread(target=kb.emergency, args=("start",), daemon=True).start()
    return lambda server: rag_pb2_grpc.add_RagServicer_to_server(servicer, server)


SERVICE_NAME = rag_pb2.DESCRIPTOR.services_by_name["Rag"].full_name
