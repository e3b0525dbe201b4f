"""Finding the passages that answer a question: dense, lexical, or a fusion of both.

Every candidate chunk (the best of each ranking) is scored against the question three ways:
dense similarity of its embedding, lifted to its section heading's similarity when that is higher
(Markdown sections' first chunks); BM25, max-normalised; and, in hybrid mode, a weighted sum of
the two. A follow-up ("and for the hostel?") is scored against the student's previous question
too, at a lower weight, so the earlier topic fills in what the follow-up leaves out while a new
topic still wins on its own words.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.rag.embedder import MiniLM
from services.rag.index import Index
from services.rag.lexical import LexicalIndex

MODES = ("hybrid", "dense", "lexical")
# Weighted score fusion, the weights as measured on the UCD set (shared/eval/README.md): dense
# similarity carries meaning, max-normalised BM25 rewards the exact terms students type.
DENSE_WEIGHT = 0.8
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


@dataclass(frozen=True)
class Retrieval:
    passages: list[Passage]
    confidence: float  # the best returned passage's similarity to the question (0 when none)
    relevant: bool  # confidence below the calibrated threshold: too weak to answer from


@dataclass
class _Candidate:
    text: str
    meta: Any
    embedding: np.ndarray


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
        here or by another replica sharing the index) the lexical index is rebuilt."""
        if mode not in MODES:
            raise ValueError(f"retrieval mode must be one of {MODES}, not {mode!r}")
        self.index = index
        self.model = model
        self.threshold = threshold
        self.mode = mode
        self._version = version
        self._lexical: tuple[LexicalIndex, dict[str, int]] | None = None
        self._lexical_version: object = None
        self._lock = threading.Lock()

    def _lexical_index(self) -> tuple[LexicalIndex, dict[str, int]]:
        with self._lock:
            version = self._version()
            if self._lexical is None or version != self._lexical_version:
                self._lexical_version = version
                everything = self.index.chunks.get(include=["documents", "metadatas"])
                texts = [
                    f"{m['section']}\n{d}"
                    for d, m in zip(
                        everything["documents"] or [], everything["metadatas"] or [], strict=True
                    )
                ]
                lexical = LexicalIndex(everything["ids"], texts, self.model.words)
                self._lexical = lexical, {cid: i for i, cid in enumerate(lexical.ids)}
            return self._lexical

    def retrieve(
        self, query: str, k: int, mode: str | None = None, history: Sequence[str] = ()
    ) -> Retrieval:
        """The `k` best passages for `query`; `history` holds the student's earlier questions."""
        mode = mode or self.mode
        count = self.index.chunks.count()
        if not query.strip() or count == 0:
            return Retrieval([], 0.0, False)
        lexical, position = self._lexical_index()
        asked = [query] + [q for q in history[-1:] if q.strip()]
        texts = [lexical.normalise(text) for text in asked]
        vectors = self.model.embed(texts)
        n = min(max(CANDIDATES, k), count)
        found: dict[str, _Candidate] = {}
        lifts: list[dict[str, float]] = [{} for _ in texts]  # heading similarity per chunk

        if mode in ("hybrid", "dense"):
            result = self.index.chunks.query(
                query_embeddings=list(vectors),
                n_results=n,
                include=["documents", "metadatas", "embeddings"],
            )
            for per_query in zip(result["ids"], *_columns(result), strict=True):
                _collect(found, *per_query)
            headings = self.index.headings.count()
            if headings:
                heads = self.index.headings.query(
                    query_embeddings=list(vectors),
                    n_results=min(n, headings),
                    include=["distances"],
                )
                for lift, ids, distances in zip(
                    lifts, heads["ids"], _field(heads, "distances"), strict=True
                ):
                    lift.update(
                        {cid: 1.0 - float(d) for cid, d in zip(ids, distances, strict=True)}
                    )

        lexical_scores: list[np.ndarray] = []
        wanted = {cid for lift in lifts for cid in lift}
        if mode in ("hybrid", "lexical"):
            for text in texts:
                scores = lexical.scores(text)
                top = scores.max(initial=0.0)
                lexical_scores.append(scores / top if top > 0 else scores)
                wanted |= {lexical.ids[i] for i in np.argsort(-scores)[:n] if scores[i] > 0}
        missing = sorted(wanted - found.keys())
        if missing:  # found by one ranking only: fetch text and embedding to score them all ways
            extra = self.index.chunks.get(
                ids=missing, include=["documents", "metadatas", "embeddings"]
            )
            _collect(found, extra["ids"], *_columns(extra))

        ids = list(found)
        if not ids:
            return Retrieval([], 0.0, False)
        embeddings = np.stack([found[cid].embedding for cid in ids])
        dense = embeddings @ vectors.T  # (candidates, texts)
        for t, lift in enumerate(lifts):
            for row, cid in enumerate(ids):
                if cid in lift:
                    dense[row, t] = max(dense[row, t], lift[cid])
        if lexical_scores:
            lexical_part = np.stack([s[[position[cid] for cid in ids]] for s in lexical_scores], 1)
        else:
            lexical_part = np.zeros_like(dense)
        if mode == "dense":
            per_text = dense
        elif mode == "lexical":
            per_text = lexical_part
        else:
            per_text = DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * lexical_part
        weights = np.array([1.0] + [PREVIOUS_QUESTION_WEIGHT] * (len(texts) - 1), np.float32)
        scores = per_text @ weights
        # How well a passage answers: to the question alone, or to it read with the previous one.
        evidence = np.maximum(dense[:, 0], (dense @ weights) / weights.sum())

        ranked = np.argsort(-scores, kind="stable")[:k]
        passages = [_passage(ids[r], found[ids[r]], float(scores[r])) for r in ranked]
        confidence = float(evidence[ranked].max())
        return Retrieval(passages, confidence, confidence >= self.threshold)


def _field(result: Any, key: str) -> Any:
    """A field Chroma was asked to include (it gives None or a numpy array, so no `or []`)."""
    value = result[key]
    return [] if value is None else value


def _columns(result: Any) -> tuple[Any, Any, Any]:
    return (
        _field(result, "documents"),
        _field(result, "metadatas"),
        _field(result, "embeddings"),
    )


def _collect(found: dict[str, _Candidate], ids, documents, metadatas, embeddings) -> None:
    for cid, text, meta, emb in zip(ids, documents, metadatas, embeddings, strict=True):
        found[cid] = _Candidate(text, meta, np.asarray(emb, dtype=np.float32))


def _passage(chunk_id: str, candidate: _Candidate, score: float) -> Passage:
    meta = candidate.meta
    return Passage(
        chunk_id=chunk_id,
        text=candidate.text,
        source=str(meta["source"]),
        title=str(meta["title"]),
        section=str(meta["section"]),
        page=int(str(meta["page"])),
        score=score,
    )
