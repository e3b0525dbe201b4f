"""Bringing the index up to date with the knowledge-base folder, incrementally.

Each document's content hash is kept in `knowledge_base_documents`: unchanged files are skipped,
changed ones re-chunked and re-embedded, removed ones deleted from the index. A file that cannot
be read is recorded as failed with the reason while the others go on. Staff answers come by their
text (collegebot.staff_answers): kept in the folder when it is writable, and rebuilt from the
store by a run over the whole folder where their file is not there.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collegebot import staff_answers
from collegebot.store.models import KnowledgeBaseDocument, StaffAnswer, utcnow
from services.rag.chunking import chunk_document
from services.rag.documents import (
    SUFFIXES,
    UnreadableDocument,
    content_hash,
    find_documents,
    read_document,
    text_document,
)
from services.rag.embedder import MiniLM
from services.rag.index import Index


class NothingToIngest(Exception):
    """A file or folder asked for does not exist; the message names it."""


@dataclass
class DocumentOutcome:
    path: str
    status: str  # added | updated | unchanged | removed | failed
    pages: int = 0
    chunks: int = 0
    error: str = ""


@dataclass(frozen=True)
class Text:
    """A document given by its text instead of a file: `key` is its path in the folder."""

    key: str
    text: str


def report_line(outcome: DocumentOutcome) -> str:
    detail = outcome.error or f"{outcome.pages} pages, {outcome.chunks} chunks"
    return f"  {outcome.status:<9} {outcome.path}  ({detail})"


class Ingestor:
    """Indexes the files of one knowledge-base folder."""

    def __init__(self, index: Index, model: MiniLM, engine: Engine, data_dir: Path):
        self.index = index
        self.model = model
        self.engine = engine
        self.data_dir = data_dir.resolve()

    def _key(self, source: Path | Text) -> str:
        """How a document is named in the index and the store: relative to the data folder."""
        if isinstance(source, Text):
            return source.key
        resolved = source.resolve()
        return (
            str(resolved.relative_to(self.data_dir))
            if resolved.is_relative_to(self.data_dir)
            else str(resolved)
        )

    def run(
        self,
        paths: list[Path] | None = None,
        progress: Callable[[str], None] = lambda _: None,
        texts: Sequence[Text] = (),
    ) -> list[DocumentOutcome]:
        """Ingest `paths` (files or folders) and `texts`, by default the whole data folder, and
        return outcomes."""
        targets = paths or ([] if texts else [self.data_dir])
        # A mistyped COLLEGEBOT_DATA_DIR or an unmounted volume looks like an empty folder, whose
        # ingestion would forget every document: stop instead.
        missing = [str(t) for t in targets if not t.exists()]
        if missing:
            raise NothingToIngest(
                f"no such file or folder: {', '.join(missing)}"
                + ("" if paths else " (COLLEGEBOT_DATA_DIR)")
            )
        files = find_documents(targets)
        for text in texts:
            self._keep(text, progress)
        with Session(self.engine) as session:
            sources: list[Path | Text] = [*files, *texts]
            answers = self.data_dir / staff_answers.FOLDER
            if any(answers.is_relative_to(t.resolve()) for t in targets if t.is_dir()):
                sources += self._stored_answers(session, {self._key(f) for f in files})
            where = ", ".join(map(str, targets)) or "their texts"
            progress(f"ingesting {len(sources)} documents from {where}")
            outcomes = []
            known = set(session.scalars(select(KnowledgeBaseDocument.path)))
            for i, source in enumerate(sources, 1):
                try:
                    outcome = self._ingest_committed(session, source)
                except IntegrityError:  # another replica added this new file since: update it
                    session.rollback()
                    outcome = self._ingest_committed(session, source)
                outcomes.append(outcome)
                progress(f"[{i}/{len(sources)}]" + report_line(outcome))
            outcomes += self._remove_missing(session, known, targets, sources, progress)
            session.commit()
        return outcomes

    def _indexed_hash(self, source: Path | Text) -> str:
        """What the index holds of `source`: its content as embedded by this model. A new model
        (or a new build of it) changes every document's, so the next ingestion embeds them all
        again: vectors of two models cannot be compared."""
        both = f"{self.model.fingerprint}\n{_hash(source)}"
        return hashlib.sha256(both.encode()).hexdigest()

    def _keep(self, text: Text, progress: Callable[[str], None]) -> None:
        """Write a document sent by its text into the folder, where an operator sees it and a
        file-based backup finds it; a read-only folder (a Kubernetes pod's) keeps none."""
        path = self.data_dir / text.key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.text.encode())
        except OSError as e:
            progress(f"  not kept in the folder ({type(e).__name__}): the store keeps it")

    def _stored_answers(self, session: Session, in_folder: set[str]) -> list[Text]:
        """The staff answers whose file is not in the folder, rebuilt from their rows."""
        rows = session.scalars(select(StaffAnswer).order_by(StaffAnswer.id))
        return [
            Text(r.path, staff_answers.document(r.question, r.answer, r.written_by, r.created_at))
            for r in rows
            if r.path not in in_folder
        ]

    def _ingest_committed(self, session: Session, source: Path | Text) -> DocumentOutcome:
        """Ingest one document in a transaction of its own, its record read there: another
        replica sharing the store may have ingested it since this run began."""
        key = self._key(source)
        record = session.scalar(
            select(KnowledgeBaseDocument).where(KnowledgeBaseDocument.path == key)
        )
        outcome = self._ingest_one(session, record, source)
        session.commit()
        return outcome

    def _ingest_one(
        self, session: Session, record: KnowledgeBaseDocument | None, source: Path | Text
    ) -> DocumentOutcome:
        key = self._key(source)
        try:
            digest, unreadable = self._indexed_hash(source), None
        except UnreadableDocument as e:
            digest, unreadable = "", e  # recorded as failed below
        # Unchanged only if the index still holds it: a Chroma volume lost or wiped is rebuilt by
        # the next ingestion, not reported "unchanged" over an empty index.
        if (
            record
            and record.content_hash == digest
            and record.status != "failed"
            and self.index.holds(key)
        ):
            return DocumentOutcome(key, "unchanged", record.pages, record.chunks)
        if record is None:
            named = Path(source.key) if isinstance(source, Text) else source  # not a link's end
            record = KnowledgeBaseDocument(path=key, doc_type=SUFFIXES[named.suffix.lower()])
            session.add(record)
        status = "added" if record.status is None else "updated"
        self.index.delete_source(key)
        record.content_hash, record.ingested_at = digest, utcnow()
        try:
            if unreadable:
                raise unreadable
            doc = (
                text_document(self.data_dir / key, source.text)
                if isinstance(source, Text)
                else read_document(source)
            )
            chunks = chunk_document(doc, key)
            if not chunks:
                raise UnreadableDocument("no text to index")
        except UnreadableDocument as e:
            record.status, record.error, record.pages, record.chunks = "failed", str(e), 0, 0
            return DocumentOutcome(key, "failed", error=str(e))
        headed = [c for c in chunks if c.heading]
        sentences = [(c, i, text) for c in chunks for i, text in enumerate(c.sentences())]
        embeddings = self.model.embed(
            [c.embedding_text() for c in chunks]
            + [c.heading for c in headed]
            + [text for _, _, text in sentences]
        )
        after_headings = len(chunks) + len(headed)
        self.index.chunks.upsert(
            ids=[c.id for c in chunks],
            embeddings=embeddings[: len(chunks)],
            documents=[c.text for c in chunks],
            metadatas=[
                {"source": c.source, "title": c.title, "section": c.section, "page": c.page}
                for c in chunks
            ],
        )
        if headed:
            self.index.headings.upsert(
                ids=[c.id for c in headed],
                embeddings=embeddings[len(chunks) : after_headings],
                documents=[c.heading for c in headed],
                metadatas=[{"source": c.source} for c in headed],
            )
        if sentences:
            self.index.sentences.upsert(
                ids=[f"{c.id}#{i}" for c, i, _ in sentences],
                embeddings=embeddings[after_headings:],
                documents=[text for _, _, text in sentences],
                metadatas=[{"source": c.source, "chunk": c.id} for c, _, _ in sentences],
            )
        record.title, record.status, record.error = doc.title, "indexed", ""
        record.pages, record.chunks = len(doc.pages), len(chunks)
        return DocumentOutcome(key, status, record.pages, record.chunks)

    def _remove_missing(self, session, known, targets, sources, progress) -> list[DocumentOutcome]:
        """Forget the documents under the folders just scanned that were not found there. A file
        ingested by its path from outside the data folder is kept by the data folder's runs
        (they cannot see it) until the file itself is gone."""
        present = {self._key(s) for s in sources}
        folders = [t.resolve() for t in targets if t.is_dir()]
        whole = self.data_dir in folders
        outcomes = []
        for key in sorted(set(known) - present):
            path = self.data_dir / key  # an outside file's key is its absolute path
            scanned = any(path.is_relative_to(f) for f in folders)
            outside = not path.is_relative_to(self.data_dir)
            if scanned or (whole and outside and not path.exists()):
                self.index.delete_source(key)
                session.execute(
                    delete(KnowledgeBaseDocument).where(KnowledgeBaseDocument.path == key)
                )
                outcome = DocumentOutcome(key, "removed")
                outcomes.append(outcome)
                progress(report_line(outcome))
        return outcomes


def _hash(source: Path | Text) -> str:
    if isinstance(source, Text):
        return hashlib.sha256(source.text.encode()).hexdigest()
    return content_hash(source)


def summary(outcomes: list[DocumentOutcome], index_chunks: int) -> str:
    counts = Counter(o.status for o in outcomes)
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing to do"
    return f"done: {parts}; {index_chunks} chunks in the index"
