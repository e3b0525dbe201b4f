"""A staff answer as a document of the knowledge base: what the dashboard sends rag, what rag
indexes and keeps under its folder, and what rag rebuilds from the store where no file is (a
Kubernetes pod's folder is the image's, read-only, and rag's replicas share none).

Its lasting copy is its row in `staff_answers`; the Markdown file is rebuilt from it, so the
same row always gives the same text (and the same content hash: nothing is re-embedded)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import PurePosixPath

FOLDER = "staff-answers"  # under COLLEGEBOT_DATA_DIR
MAX_CHARS = 20_000  # a staff answer is a paragraph or two; anything past this is a mistake


class NotAStaffAnswer(ValueError):
    """A document sent by its text that is not where a staff answer belongs; says why."""


def document(question: str, answer: str, by: str, at: datetime) -> str:
    """The Markdown of one staff answer: the question as its heading (what retrieval matches a
    student's question against), the answer, and who wrote it when (`at` in UTC, or naive UTC
    as SQLite gives it back)."""
    heading = " ".join(question.split())
    at = at.astimezone(UTC) if at.tzinfo else at  # PostgreSQL returns the session's zone
    return (
        f"# {heading}\n\n{answer.strip()}\n\n"
        f"_Answer written by {by}, student services, on {at:%Y-%m-%d %H:%M} UTC._\n"
    )


def path_for(question: str, at: datetime) -> str:
    """Where the answer lives, relative to the knowledge-base folder."""
    slug = re.sub(r"[^a-z0-9]+", "-", question.lower()).strip("-")[:60] or "answer"
    return f"{FOLDER}/{at:%Y%m%d-%H%M%S}-{slug}.md"


def check(path: str, text: str) -> str:
    """`path` when a document of this text may be written there; otherwise NotAStaffAnswer.
    Only Markdown directly in the staff-answers folder: a client of Ingest can never write over
    the college's own documents or outside the folder."""
    parts = PurePosixPath(path).parts
    if (
        len(parts) != 2
        or parts[0] != FOLDER
        or not re.fullmatch(r"[a-z0-9][a-z0-9-]*\.md", parts[1])
    ):
        raise NotAStaffAnswer(f"a document sent by its text must be {FOLDER}/<name>.md")
    if not text.strip() or len(text) > MAX_CHARS:
        raise NotAStaffAnswer(f"a staff answer has 1 to {MAX_CHARS:,} characters")
    return path
