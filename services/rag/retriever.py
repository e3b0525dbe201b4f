"""Finding the passages that answer a question: dense, lexical, or a fusion of both.

Chroma stores the knowledge base; retrieval reads a snapshot of it held in memory (chunk texts,
metadata and embeddings, the section headings' and the chunks' sentence embeddings, and the BM25
index; about 8 KB a chunk), kept in a file between starts (`SnapshotFiles`). The candidates
are the chunks and headings most similar to the question, found exactly by a matrix product over
the snapshot (a college's tens of thousands of chunks take about a millisecond; Chroma's
approximate search returned different passages for the same question from one process to the
next), and the chunks BM25 ranks best. Each candidate is scored three ways:

- dense: cosine similarity of its embedding, lifted halfway to its best line or sentence's
  similarity when that is higher (one row of a long list), and to its section heading's
  similarity when that is higher still (the first chunk of a Markdown, PDF or text section);
- lexical: BM25, max-normalised;
- hybrid: 0.75 dense + 0.25 BM25, BM25 weighed by how much of the question it matched.

A follow-up ("and for the hostel?") is scored against the student's previous question too, at a
lower weight, so the earlier topic fills in what the follow-up leaves out while a new topic still
wins on its own words.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.models.Collection import Collection
from prometheus_client import Counter

from collegebot.followup import relevant_history
from collegebot.v1 import common_pb2
from services.rag.embedder import DIMENSIONS, MiniLM
from services.rag.index import Index
from services.rag.lexical import LexicalIndex

log = logging.getLogger("collegebot.rag")
MODES = ("hybrid", "dense", "lexical")
# Weighted score fusion: dense similarity carries meaning, max-normalised BM25 rewards the exact
# terms students type, in proportion to how much of the question the chunk holds (IDF weighted,
# words the knowledge base lacks included): a chunk sharing one common word with a question worded
# differently says little. Chosen on the dev halves of four sets at three institutions (ours,
# the blind set, the UCD paraphrases, Assumption's examples): the most dev hits at recall@5, the
# middle of a 0.72-0.78 plateau (bench/RESULTS.md, "Tenth round").
DENSE_WEIGHT = 0.75
PREVIOUS_QUESTION_WEIGHT = 0.7  # chosen on the dev split of tests/eval/qa.jsonl
CANDIDATES = 40  # drawn from each ranking (dense, headings, BM25) before the lifts and fusion
# How often a replica asks the store whether the knowledge base changed: a question a second is
# enough to notice another replica's ingestion, and the store is not queried per question.
VERSION_CHECK_SECONDS = 1.0
VERSION_CHECK_FAILURES = Counter(
    "collegebot_rag_version_check_failures_total",
    "Times the store could not say which knowledge-base version is current (answers went on "
    "from the snapshot in memory)",
)


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    text: str
    source: str
    title: str
    section: str
    page: int
    score: float
    # Its lines and sentences with their similarity to the question (the chunk itself when it
    # is one sentence): the answerer's best guide to which sentence answers.
    sentences: tuple[tuple[str, float], ...] = ()

    def message(self) -> common_pb2.Passage:
        """As handed to the llm service."""
        return common_pb2.Passage(
            text=self.text,
            source=self.source,
            page=self.page,
            section=self.section,
            score=self.score,
            chunk_id=self.chunk_id,
            title=self.title,
            sentences=[common_pb2.Sentence(text=t, similarity=s) for t, s in self.sentences],
        )


@dataclass(frozen=True)
class Retrieval:
    passages: list[Passage]
    confidence: float  # the best returned passage's similarity to the question (0 when none)
    relevant: bool  # False: confidence below the threshold, too weak to answer from
    version: object = None  # the knowledge-base version the passages come from


# What a kept snapshot file holds (its name carries this: a file of another layout is not read).
SNAPSHOT_FORMAT = 1
_ARRAYS = ("embeddings", "heading_rows", "heading_vectors", "sentences", "starts")
_LISTS = ("ids", "texts", "metas", "sentence_texts")


class _Snapshot:
    """The knowledge base as of one version: what scoring needs, in memory."""

    def __init__(self, index: Index | None, dictionary: frozenset[str], version: object = None,
                 kept: dict[str, Any] | None = None) -> None:  # fmt: skip
        """Read from the index, or from `kept` (what `save` wrote)."""
        self.version = version
        if kept is not None:
            self.__dict__.update(kept)
        else:
            assert index is not None
            self._read(index)
        self.position = {cid: i for i, cid in enumerate(self.ids)}
        self.lexical = LexicalIndex(
            self.ids,
            [f"{m['section']}\n{t}" for t, m in zip(self.texts, self.metas, strict=True)],
            dictionary,
        )

    def _read(self, index: Index) -> None:
        self.ids, self.texts, self.metas, self.embeddings = _read(index.chunks, documents=True)
        position = {cid: i for i, cid in enumerate(self.ids)}
        heading_ids, _, _, heading_vectors = _read(index.headings)  # id: its section's first chunk
        rows = np.array([position.get(cid, -1) for cid in heading_ids], dtype=np.int64)
        self.heading_rows, self.heading_vectors = rows[rows >= 0], heading_vectors[rows >= 0]
        # Sentence vectors grouped by chunk: chunk row r owns sentences[starts[r]:starts[r + 1]].
        # In document order: ids are "<chunk id>#<position in the chunk>".
        ids, texts, metas, vectors = _read(index.sentences, documents=True)
        owners = np.array([position.get(str(m["chunk"]), -1) for m in metas], np.int64)
        places = np.array([int(i.rpartition("#")[2]) for i in ids], dtype=np.int64)
        order = np.lexsort((places, owners))[np.sort(owners) >= 0]
        self.sentences = vectors[order]
        # "" for a sentence indexed before sentence texts were kept
        self.sentence_texts: list[str] = [texts[i] or "" for i in order]
        self.starts = np.searchsorted(owners[order], np.arange(len(self.ids) + 1))

    def save(self, path: Path) -> None:
        """Write what `load` reads, whole or not at all (another replica may be reading)."""
        lists = json.dumps({name: getattr(self, name) for name in _LISTS}).encode()
        part = path.with_name(f".{path.name}.{os.getpid()}.part")
        with part.open("wb") as f:
            np.savez(f, lists=np.frombuffer(lists, np.uint8),
                     **{name: getattr(self, name) for name in _ARRAYS})  # fmt: skip
        part.replace(path)

    @classmethod
    def load(cls, path: Path, dictionary: frozenset[str], version: object) -> _Snapshot:
        with np.load(path, allow_pickle=False) as f:
            kept: dict[str, Any] = {name: f[name] for name in _ARRAYS}
            kept.update(json.loads(f["lists"].tobytes()))
        return cls(None, dictionary, version, kept)

    def candidates(
        self, vectors: np.ndarray, lexical: np.ndarray, n: int, similar: bool = True
    ) -> np.ndarray:
        """Rows worth scoring, sorted: the `n` best by BM25 for each text and, when `similar`,
        the `n` chunks and section headings most similar to it (ranked exactly, so the same
        question always gets the same passages)."""
        rows = [np.flatnonzero(s > 0)[np.argsort(-s[s > 0], kind="stable")[:n]] for s in lexical.T]
        if similar:
            rows.append(np.argsort(-(self.embeddings @ vectors.T), axis=0)[:n].ravel())
            if len(self.heading_rows):
                best = np.argsort(-(self.heading_vectors @ vectors.T), axis=0)[:n].ravel()
                rows.append(self.heading_rows[best])
        return np.unique(np.concatenate(rows))

    def dense(self, rows: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """(rows, texts): each chunk's similarity to each text, lifted halfway to its best line
        or sentence when that is higher, and to its section heading when higher still."""
        dense = self.embeddings[rows] @ vectors.T
        counts = self.starts[rows + 1] - self.starts[rows]
        has = counts > 0  # chunks of several sentences
        if has.any():
            members = np.concatenate([np.arange(self.starts[r], self.starts[r + 1]) for r in rows])
            offsets = np.concatenate([[0], np.cumsum(counts[has])[:-1]])
            best = np.maximum.reduceat(self.sentences[members] @ vectors.T, offsets, axis=0)
            dense[has] = np.maximum(dense[has], (dense[has] + best) / 2)
        headed = np.isin(self.heading_rows, rows)
        if headed.any():
            where = np.searchsorted(rows, self.heading_rows[headed])  # rows are sorted
            heading = self.heading_vectors[headed] @ vectors.T
            dense[where] = np.maximum(dense[where], heading)
        return dense

    def passage(self, row: int, score: float, similarity: Callable[[np.ndarray], Any]) -> Passage:
        """The chunk as a passage; `similarity` scores embeddings against the question."""
        meta = self.metas[row]
        first, end = self.starts[row], self.starts[row + 1]
        if end > first and all(self.sentence_texts[first:end]):
            scores = similarity(self.sentences[first:end])
            sentences = tuple(zip(self.sentence_texts[first:end], map(float, scores), strict=True))
        else:
            sentences = ((self.texts[row], float(similarity(self.embeddings[row : row + 1])[0])),)
        return Passage(
            chunk_id=self.ids[row],
            text=self.texts[row],
            source=str(meta["source"]),
            title=str(meta["title"]),
            section=str(meta["section"]),
            page=int(str(meta["page"])),
            score=score,
            sentences=sentences,
        )


class SnapshotFiles:
    """Snapshots kept in a folder between starts, one file per knowledge-base version: reading
    a 10,000-chunk index out of Chroma takes seconds of every start (and Chroma then holds its
    own copy of every vector in memory); reading the file, a fraction of a second. The version
    changes with every document added, changed or removed and with the embedding model (the
    store's content hashes include it), so a file is never stale; only the newest is kept."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def _path(self, version: object) -> Path | None:
        if self.folder is None or version is None:
            return None
        return self.folder / f"snapshot-{SNAPSHOT_FORMAT}-{version}.npz"

    def build(self, index: Index, dictionary: frozenset[str], version: object) -> _Snapshot:
        """The snapshot of `version`: from its file when kept, else from the index (then kept)."""
        path = self._path(version)
        if path is not None and path.exists():
            try:
                return _Snapshot.load(path, dictionary, version)
            except Exception as e:  # a damaged file: read the index again, and keep that
                log.warning("kept snapshot unreadable (%s); reading the index", type(e).__name__)
        snapshot = _Snapshot(index, dictionary, version)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                snapshot.save(path)
                for old in path.parent.glob("snapshot-*.npz"):
                    if old != path:
                        old.unlink(missing_ok=True)
            except OSError as e:  # a read-only or full volume: answered from memory all the same
                log.warning("snapshot not kept (%s)", type(e).__name__)
        return snapshot


class Retriever:
    """Ranks the knowledge base's chunks for a question, with a "nothing relevant" signal.

    The signal is the best dense similarity among the returned passages, whatever the mode, so one
    threshold serves every mode.
    """

    def __init__(
        self,
        index: Index,
        model: MiniLM,
        threshold: float,
        mode: str = "hybrid",
        version: Callable[[], object] = lambda: None,
        keep_in: Path | None = None,
    ) -> None:
        """`version` names the knowledge base's current state: when it changes (an ingestion
        here or by another replica sharing the index) the snapshot is rebuilt. `keep_in`: the
        folder where snapshots are kept between starts (None: never kept)."""
        if mode not in MODES:
            raise ValueError(f"retrieval mode must be one of {MODES}, not {mode!r}")
        self.index = index
        self.model = model
        self.threshold = threshold
        self.mode = mode
        self._version = version
        self._files = SnapshotFiles(keep_in)
        self._snapshot: _Snapshot | None = None
        self._snapshot_version: object = None
        self._checked = -VERSION_CHECK_SECONDS  # time.monotonic() of the last version check
        self._rebuilding = False
        self._lock = threading.Lock()

    def snapshot(self) -> _Snapshot:
        """The knowledge base in memory. The first snapshot is built on the spot; a newer version
        (an ingestion by another replica) is built in the background while questions are answered
        from the one before: on tens of thousands of chunks a build takes seconds, longer than a
        Retrieve's deadline, and every replica would miss it at once after each ingestion."""
        with self._lock:
            current = self._snapshot
            now = time.monotonic()
            if current is not None and (now - self._checked < VERSION_CHECK_SECONDS):
                return current
            self._checked = now  # the other questions meanwhile go on from the current one
        version = self._current_version(current)
        with self._lock:
            current = self._snapshot
            if current is not None and (version == self._snapshot_version or self._rebuilding):
                return current
            if current is not None:
                self._rebuilding = True
                threading.Thread(target=self._rebuild, name="snapshot", daemon=True).start()
                return current
            self._snapshot = self._files.build(self.index, self.model.words, version)
            self._snapshot_version = version
            return self._snapshot

    @property
    def answering_version(self) -> object:
        """The knowledge-base version of the snapshot this replica answers from (None: none yet)."""
        return self._snapshot_version

    def _current_version(self, current: _Snapshot | None) -> object:
        """The store's version of the knowledge base; while the store is unreachable, the
        snapshot's own (Chroma still answers: a store outage must not fail every question)."""
        try:
            return self._version()
        except Exception as e:
            VERSION_CHECK_FAILURES.inc()
            # The type only: a driver's message may carry connection details.
            log.warning("the store did not say the knowledge-base version (%s)", type(e).__name__)
            return self._snapshot_version if current is not None else None

    def refresh(self) -> None:
        """Build the current version's snapshot now: the replica that ingested answers from the
        new documents at once (the others catch up in the background)."""
        version = self._version()
        snapshot = self._files.build(self.index, self.model.words, version)
        with self._lock:
            self._snapshot, self._snapshot_version = snapshot, version

    def _rebuild(self) -> None:
        try:
            self.refresh()
        except Exception:  # e.g. the Chroma server is unreachable: the next question retries
            log.exception("rebuilding the knowledge-base snapshot failed")
        finally:
            with self._lock:
                self._rebuilding = False

    def texts(self, query: str, history: Sequence[str] = ()) -> list[str]:
        """The texts `retrieve` embeds for `query` (none while the index is empty)."""
        snap = self.snapshot()
        return self._texts(snap, query, history) if query.strip() and snap.ids else []

    @staticmethod
    def _texts(snap: _Snapshot, query: str, history: Sequence[str]) -> list[str]:
        # The previous question (weight 0.7) only for a message that leans on it.
        previous = relevant_history(query, [q for q in history[-1:] if q.strip()])
        return [snap.lexical.normalise(text) for text in [query] + previous]

    def scored(
        self, snap: _Snapshot, query: str, mode: str, history: Sequence[str] = ()
    ) -> tuple[np.ndarray, ...] | None:
        """The candidate rows and, per row and asked text (the question, then the previous one
        for a follow-up), their dense similarity, max-normalised BM25 and BM25 coverage; the
        texts' weights and vectors. None when nothing can be ranked."""
        if not query.strip() or not snap.ids:
            return None
        texts = self._texts(snap, query, history)
        vectors = self.model.embed_queries(texts)
        lexical = np.zeros((len(snap.ids), len(texts)), dtype=np.float32)
        coverage = np.zeros_like(lexical)
        for t, text in enumerate(texts if mode != "dense" else ()):
            match = snap.lexical.match(text)
            top = match.scores.max(initial=0.0)
            if top > 0:
                lexical[:, t] = match.scores / top
                coverage[:, t] = match.coverage
        # Candidates by BM25 as hybrid weighs it (times coverage) or as lexical ranks it.
        ranking = lexical * coverage if mode == "hybrid" else lexical
        rows = snap.candidates(vectors, ranking, CANDIDATES, similar=mode != "lexical")
        if not len(rows):
            return None
        weights = np.array([1.0] + [PREVIOUS_QUESTION_WEIGHT] * (len(texts) - 1), np.float32)
        dense = snap.dense(rows, vectors)
        return rows, dense, lexical[rows], coverage[rows], weights, vectors

    def retrieve(
        self, query: str, k: int, mode: str | None = None, history: Sequence[str] = ()
    ) -> Retrieval:
        """The `k` best passages for `query`; `history` holds the student's earlier questions."""
        mode = mode or self.mode
        snap = self.snapshot()
        scored = self.scored(snap, query, mode, history)
        if scored is None:
            return Retrieval([], 0.0, False, version=snap.version)
        rows, dense, lexical, coverage, weights, vectors = scored
        scores = fuse(mode, dense, lexical, coverage) @ weights

        # How well a passage answers: to the question alone, or to it read with the previous one.
        def answers(similarity: np.ndarray) -> np.ndarray:  # (rows, texts) -> rows
            return np.maximum(similarity[:, 0], (similarity @ weights) / weights.sum())

        ranked = np.argsort(-scores, kind="stable")[:k]
        evidence = answers(dense[ranked])
        passages = [
            snap.passage(int(rows[i]), float(scores[i]), lambda e: answers(e @ vectors.T))
            for i in ranked
        ]
        confidence = float(evidence.max())
        return Retrieval(passages, confidence, confidence >= self.threshold, version=snap.version)


def fuse(mode: str, dense: np.ndarray, lexical: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    """(rows, texts) scores of a mode from the candidates' dense similarity, max-normalised BM25
    and BM25 coverage (each (rows, texts))."""
    if mode == "dense":
        return dense
    if mode == "lexical":
        return lexical
    return DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * lexical * coverage


PAGE = 5000  # rows read from Chroma at a time: it returns float64 vectors and Python lists


def _read(
    collection: Collection, documents: bool = False
) -> tuple[list[str], list[Any], list[Any], np.ndarray]:
    """A whole collection's ids, documents, metadata and float32 vectors, read a page at a time
    so loading a large index does not hold it twice over in Chroma's formats."""
    ids: list[str] = []
    texts: list[Any] = []
    metas: list[Any] = []
    vectors = [np.zeros((0, DIMENSIONS), np.float32)]
    include: list[Any] = ["metadatas", "embeddings"] + (["documents"] if documents else [])
    while True:
        page = collection.get(include=include, limit=PAGE, offset=len(ids))
        if not page["ids"]:
            return ids, texts, metas, np.concatenate(vectors)
        ids += page["ids"]
        texts += page["documents"] or [None] * len(page["ids"])
        metas += page["metadatas"] or []
        vectors.append(np.asarray(page["embeddings"], np.float32).reshape(-1, DIMENSIONS))
