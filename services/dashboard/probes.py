"""What the dashboard asks the services directly: are you up, and re-ingest the knowledge base."""

from __future__ import annotations

import time
from dataclasses import dataclass

import grpc

from collegebot.grpc_client import health
from collegebot.v1 import rag_pb2, rag_pb2_grpc

HEALTH_DEADLINE_S = 1.0  # the System page waits no longer for a service that hangs
# A whole knowledge base re-read; its floor is the embedding rate (ENVIRONMENT.md: ~18 chunks/s).
INGEST_DEADLINE_S = 600.0


@dataclass(frozen=True)
class Probe:
    name: str
    ok: bool
    detail: str
    ms: float


def probe(name: str, address: str) -> Probe:
    started = time.perf_counter()
    ok, status = health(address, HEALTH_DEADLINE_S)
    return Probe(name, ok, f"{status} at {address}", (time.perf_counter() - started) * 1000)


@dataclass(frozen=True)
class Ingested:
    ok: bool
    counts: dict[str, int]
    index_chunks: int
    error: str = ""


def reingest(address: str) -> Ingested:
    """Ask rag (the one writer of the index) to bring the whole knowledge base up to date."""
    with grpc.insecure_channel(address) as channel:
        try:
            reply = rag_pb2_grpc.RagStub(channel).Ingest(
                rag_pb2.IngestRequest(), timeout=INGEST_DEADLINE_S
            )
        except grpc.RpcError as e:
            reason = (e.details() or e.code().name).partition("\n")[0]  # type: ignore[attr-defined]
            return Ingested(False, {}, 0, reason)
    counts: dict[str, int] = {}
    for document in reply.documents:
        counts[document.status] = counts.get(document.status, 0) + 1
    return Ingested(True, counts, reply.index_chunks)
