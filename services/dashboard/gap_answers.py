"""Knowledge gaps, closed from the dashboard: the gap questions grouped by meaning (rag's Group,
the knowledge base's own MiniLM), and a staff answer made a document of the knowledge base,
ingested through rag at once, and the group resolved."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import grpc
from flask import Flask, current_app
from sqlalchemy import Engine

from collegebot.settings import GapSettings
from collegebot.store import staff_queries
from collegebot.store.models import utcnow
from collegebot.v1 import rag_pb2, rag_pb2_grpc

STAFF_ANSWERS = "staff-answers"  # the folder under COLLEGEBOT_DATA_DIR
GROUP_DEADLINE_S = 20.0  # a first grouping embeds every question (about 3 ms each)
INGEST_DEADLINE_S = 60.0


class GapsUnavailable(Exception):
    """rag could not group the questions or ingest the answer; the message says why."""


@dataclass(frozen=True)
class Answered:
    path: Path  # the Markdown document written
    resolved: int  # turns marked resolved


def document(question: str, answer: str, by: str, at: datetime) -> str:
    """The Markdown document of one staff answer: the question as its heading (what retrieval
    matches a student's question against), the answer, and who wrote it when."""
    heading = " ".join(question.split())
    return (
        f"# {heading}\n\n{answer.strip()}\n\n"
        f"_Answer written by {by}, student services, on {at:%Y-%m-%d %H:%M} UTC._\n"
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "answer"


KEY = "collegebot.gaps"


def attach(server: Flask, desk: GapDesk) -> None:
    server.extensions[KEY] = desk


def current() -> GapDesk:
    return current_app.extensions[KEY]


class GapDesk:
    def __init__(
        self, engine: Engine, rag: rag_pb2_grpc.RagStub, data_dir: Path, gaps: GapSettings
    ):
        self.engine, self.rag, self.gaps = engine, rag, gaps
        self.folder = data_dir / STAFF_ANSWERS
        self.data_dir = data_dir

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
        """Write the answer as a document, have rag ingest it now, then resolve the group's turns.
        Nothing is resolved (and the file goes) if rag could not index it."""
        at = utcnow()
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{at:%Y%m%d-%H%M%S}-{_slug(question)}.md"
        path.write_text(document(question, answer, by, at), encoding="utf-8")
        try:
            result = self.rag.Ingest(
                rag_pb2.IngestRequest(paths=[str(path.resolve())]), timeout=INGEST_DEADLINE_S
            )
        except grpc.RpcError as e:
            path.unlink(missing_ok=True)
            raise GapsUnavailable(f"rag did not ingest the answer ({e.code().name})") from None  # type: ignore[attr-defined]
        outcome = next(iter(result.documents), None)
        if outcome is None or outcome.status not in ("added", "updated", "unchanged"):
            path.unlink(missing_ok=True)
            reason = outcome.error if outcome else "nothing indexed"
            raise GapsUnavailable(f"rag could not index the answer: {reason}")
        relative = str(path.resolve().relative_to(self.data_dir.resolve()))
        staff_queries.resolve_gap(self.engine, conversation_ids, question, answer, relative, by)
        return Answered(path, len(set(conversation_ids)))
