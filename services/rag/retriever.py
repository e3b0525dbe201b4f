"""Finding the passages that answer a question: dense, lexical, or a fusion of both.

Chroma finds the dense candidates (its HNSW index over the chunks, and over the section headings);
BM25 finds the lexical ones. Every candidate is then scored against the question three ways, from a
snapshot of the knowledge base held in memory (chunk texts, metadata, embeddings, the chunks'
sentence embeddings and the BM25 index; about 8 KB a chunk), so no candidate needs a second trip
to Chroma:

- dense: cosine similarity of its embedding, lifted halfway to its best line or sentence's
  similarity when that is higher (one row of a long list), and to its section heading's
  similarity when that is higher still (the first chunk of a Markdown, PDF or text section);
- lexical: BM25, max-normalised;
- hybrid: a weighted sum of the two, BM25 weighed by how much of the question it matched.

A follow-up ("and for the hostel?") is scored against the student's previous question too, at a
lower weight, so the earlier topic fills in what the follow-up leaves out while a new topic still
wins on its own words.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from collegebot.v1 import common_pb2
from services.rag.embedder import DIMENSIONS, MiniLM
from services.rag.index import Index
from services.rag.lexical import LexicalIndex

MODES = ("hybrid", "dense", "lexical")
# Weighted score fusion: dense similarity carries meaning, max-normalised BM25 rewards the exact
# terms students type, in proportion to how much of the question the chunk holds (IDF weighted,
# words the knowledge base lacks included): a chunk sharing one common word with a question worded
# differently says little. Chosen on the dev split of tests/eval/qa.jsonl (bench/RESULTS.md).
DENSE_WEIGHT = 0.7
PREVIOUS_QUESTION_WEIGHT = 0.7  # chosen on the dev split of tests/eval/qa.jsonl
CANDIDATES = 40  # drawn from each ranking before scoring


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
    relevant: bool  # confidence below the calibrated threshold: too weak to answer from


class _Snapshot:
    """The knowledge base as of one version: what scoring needs, in memory."""

    def __init__(self, index: Index, dictionary: frozenset[str]) -> None:
        everything = index.chunks.get(include=["documents", "metadatas", "embeddings"])
        self.ids: list[str] = everything["ids"]
        self.texts: list[str] = list(_field(everything, "documents"))
        self.metas: list[Any] = list(_field(everything, "metadatas"))
        self.embeddings = np.asarray(_field(everything, "embeddings"), dtype=np.float32).reshape(
            len(self.ids), DIMENSIONS
        )
        self.position = {cid: i for i, cid in enumerate(self.ids)}
        self.headings = index.headings.count()
        # Sentence vectors grouped by chunk: chunk row r owns sentences[starts[r]:starts[r + 1]].
        # In document order: ids are "<chunk id>#<position in the chunk>".
        sentences = index.sentences.get(include=["documents", "metadatas", "embeddings"])
        owners = np.array(
            [self.position.get(str(m["chunk"]), -1) for m in _field(sentences, "metadatas")],
            dtype=np.int64,
        )
        places = np.array([int(i.rpartition("#")[2]) for i in sentences["ids"]], dtype=np.int64)
        order = np.lexsort((places, owners))[np.sort(owners) >= 0]
        vectors = np.asarray(_field(sentences, "embeddings"), dtype=np.float32)
        self.sentences = vectors.reshape(len(owners), DIMENSIONS)[order]
        texts = _field(sentences, "documents")  # None: indexed before sentence texts were kept
        self.sentence_texts: list[str] = [texts[i] or "" for i in order]
        self.starts = np.searchsorted(owners[order], np.arange(len(self.ids) + 1))
        self.lexical = LexicalIndex(
            self.ids,
            [f"{m['section']}\n{t}" for t, m in zip(self.texts, self.metas, strict=True)],
            dictionary,
        )

    def best_sentence(self, rows: list[int], vectors: np.ndarray) -> np.ndarray:
        """(rows, texts): each chunk's best sentence similarity, NaN for a chunk of one."""
        counts = self.starts[np.add(rows, 1)] - self.starts[rows]
        best = np.full((len(rows), len(vectors)), np.nan, dtype=np.float32)
        has = counts > 0
        if has.any():
            members = np.concatenate([np.arange(self.starts[r], self.starts[r + 1]) for r in rows])
            offsets = np.concatenate([[0], np.cumsum(counts[has])[:-1]])
            best[has] = np.maximum.reduceat(self.sentences[members] @ vectors.T, offsets, axis=0)
        return best

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


class Retriever:
    """Ranks the knowledge base's chunks for a question, with a "nothing relevant" signal.

    The signal is the best dense similarity among the returned passages, whatever the mode, so one
    calibrated threshold serves every mode.
    """

    def __init__(
        self,
        index: Index,
        model: MiniLM,
        threshold: float,
        mode: str = "hybrid",
        version: Callable[[], object] = lambda: None,
    ) -> None:
        """`version` names the knowledge base's current state: when it changes (an ingestion
        here or by another replica sharing the index) the snapshot is rebuilt."""
        if mode not in MODES:
            raise ValueError(f"retrieval mode must be one of {MODES}, not {mode!r}")
        self.index = index
        self.model = model
        self.threshold = threshold
        self.mode = mode
        self._version = version
        self._snapshot: _Snapshot | None = None
        self._snapshot_version: object = None
        self._lock = threading.Lock()

    def snapshot(self) -> _Snapshot:
        with self._lock:
            version = self._version()
            if self._snapshot is None or version != self._snapshot_version:
                self._snapshot = _Snapshot(self.index, self.model.words)
                self._snapshot_version = version
            return self._snapshot

    def retrieve(
        self, query: str, k: int, mode: str | None = None, history: Sequence[str] = ()
    ) -> Retrieval:
        """The `k` best passages for `query`; `history` holds the student's earlier questions."""
        mode = mode or self.mode
        snap = self.snapshot()
        if not query.strip() or not snap.ids:
            return Retrieval([], 0.0, False)
        asked = [query] + [q for q in history[-1:] if q.strip()]
        texts = [snap.lexical.normalise(text) for text in asked]
        vectors = self.model.embed(texts)
        n = min(max(CANDIDATES, k), len(snap.ids))
        rows: set[int] = set()
        lifts: list[dict[int, float]] = [{} for _ in texts]  # row -> heading similarity

        if mode in ("hybrid", "dense"):
            found = self.index.chunks.query(
                query_embeddings=list(vectors), n_results=n, include=["distances"]
            )
            rows |= {snap.position[c] for ids in found["ids"] for c in ids if c in snap.position}
            if snap.headings:
                heads = self.index.headings.query(
                    query_embeddings=list(vectors),
                    n_results=min(n, snap.headings),
                    include=["distances"],
                )
                for lift, ids, distances in zip(
                    lifts, heads["ids"], _field(heads, "distances"), strict=True
                ):
                    for cid, distance in zip(ids, distances, strict=True):
                        if cid in snap.position:
                            lift[snap.position[cid]] = 1.0 - float(distance)
                            rows.add(snap.position[cid])

        lexical = np.zeros((len(texts), len(snap.ids)), dtype=np.float32)
        coverage = np.zeros_like(lexical)
        if mode in ("hybrid", "lexical"):
            for t, text in enumerate(texts):
                match = snap.lexical.match(text)
                top = match.scores.max(initial=0.0)
                if top > 0:
                    lexical[t], coverage[t] = match.scores / top, match.coverage
                    rows |= {int(i) for i in np.argsort(-match.scores)[:n] if match.scores[i] > 0}
        if not rows:
            return Retrieval([], 0.0, False)

        candidates = sorted(rows)
        dense = snap.embeddings[candidates] @ vectors.T  # (candidates, texts)
        sentence = snap.best_sentence(candidates, vectors)
        dense = np.fmax(dense, (dense + sentence) / 2)  # NaN (no sentences) leaves dense as is
        for t, lift in enumerate(lifts):
            for i, row in enumerate(candidates):
                if row in lift:
                    dense[i, t] = max(dense[i, t], lift[row])
        lexical_part = lexical[:, candidates].T
        if mode == "dense":
            per_text = dense
        elif mode == "lexical":
            per_text = lexical_part
        else:
            lexical_part *= coverage[:, candidates].T
            per_text = DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * lexical_part
        weights = np.array([1.0] + [PREVIOUS_QUESTION_WEIGHT] * (len(texts) - 1), np.float32)
        scores = per_text @ weights

        # How well a passage answers: to the question alone, or to it read with the previous one.
        def answers(similarity: np.ndarray) -> np.ndarray:  # (rows, texts) -> rows
            return np.maximum(similarity[:, 0], (similarity @ weights) / weights.sum())

        evidence = answers(dense)
        ranked = np.argsort(-scores, kind="stable")[:k]
        passages = [
            snap.passage(candidates[i], float(scores[i]), lambda e: answers(e @ vectors.T))
            for i in ranked
        ]
        confidence = float(evidence[ranked].max())
        return Retrieval(passages, confidence, confidence >= self.threshold)


def _field(result: Any, key: str) -> Any:
    """A field Chroma was asked to include (it gives None or a numpy array, so no `or []`)."""
    value = result[key]
    return [] if value is None else value
