"""Knowledge gaps, closed from the dashboard: the gap questions grouped by meaning (rag's Group,
the knowledge base's own MiniLM), and a staff answer made a document of the knowledge base,
ingested through rag at once, and the group resolved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import grpc
from flask import Flask, current_app
from sqlalchemy import Engine

from collegebot import staff_answers
from collegebot.settings import GapSettings
from collegebot.store import staff_queries
from collegebot.store.models import utcnow
from collegebot.v1 import rag_pb2, rag_pb2_grpc

GROUP_DEADLINE_S = 20.0  # a first grouping embeds every question (about 3 ms each)
INGEST_DEADLINE_S = 60.0


class GapsUnavailable(Exception):
    """rag could not group the questions or ingest the answer; the message says why."""


@dataclass(frozen=True)
class Answered:
    path: str  # the document, relative to the knowledge-base folder
    resolved: int  # turns marked resolved


KEY = "collegebot.gaps"


def attach(server: Flask, desk: GapDesk) -> None:
    server.extensions[KEY] = desk


def current() -> GapDesk:
    return current_app.extensions[KEY]


class GapDesk:
    def __init__(self, engine: Engine, rag: rag_pb2_grpc.RagStub, gaps: GapSettings):
        self.engine, self.rag, self.gaps = engine, rag, gaps

    def open_gaps(self, since: datetime | None = None) -> list[staff_queries.Gap]:
        """The unresolved gaps, most frequent first."""
        turns = staff_queries.gap_turns(
            self.engine, self.gaps.gap_confidence_threshold, self.gaps.gap_max_turns, since
        )
        if not turns:
            return []
        request = rag_pb2.GroupRequest(
            texts=[t.question for t in turns], similarity=self.gaps.gap_group_similarity
        )
        try:
            groups = self.rag.Group(request, timeout=GROUP_DEADLINE_S).groups
        except grpc.RpcError as e:
            raise GapsUnavailable(f"rag did not group the questions ({e.code().name})") from None  # type: ignore[attr-defined]
        return staff_queries.knowledge_gaps(turns, list(groups))

    def answer(self, conversation_ids: list[int], question: str, answer: str, by: str) -> Answered:
        """Send the answer to rag as a document of the knowledge base (rag indexes it, and keeps
        the file where its folder is writable), then record it and resolve the group's turns:
        nothing is resolved if rag could not index it. The dashboard writes no file: in
        Kubernetes it shares no volume with rag, and the store's row is the lasting copy."""
        at = utcnow()
        path = staff_answers.path_for(question, at)
        request = rag_pb2.IngestRequest(
            texts=[
                rag_pb2.DocumentText(
                    path=path, text=staff_answers.document(question, answer, by, at)
                )
            ]
        )
        try:
            result = self.rag.Ingest(request, timeout=INGEST_DEADLINE_S)
        except grpc.RpcError as e:
            raise GapsUnavailable(f"rag did not ingest the answer ({e.code().name})") from None  # type: ignore[attr-defined]
        outcome = next(iter(result.documents), None)
        if outcome is None or outcome.status not in ("added", "updated", "unchanged"):
            reason = outcome.error if outcome else "nothing indexed"
            raise GapsUnavailable(f"rag could not index the answer: {reason}")
        staff_queries.resolve_gap(self.engine, conversation_ids, question, answer, path, by, at)
        return Answered(path, len(set(conversation_ids)))
