"""Finding the passages that answer a question: dense, lexical, or a fusion of both."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from chromadb.api.models.Collection import Collection

from services.rag.embedder import MiniLM
from services.rag.lexical import LexicalIndex

MODES = ("hybrid", "dense", "lexical")
# Weighted score fusion, the weights as measured on the UCD set (shared/eval/README.md): dense
# similarity carries meaning, max-normalised BM25 rewards the exact terms students type.
DENSE_WEIGHT = 0.8
CANDIDATES = 40  # drawn from each ranking before fusion


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
    relevant: bool  # False: the best passage is too weak to answer from


def _passage(chunk_id: str, text: str, meta: Any, score: float) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        text=text,
        source=str(meta["source"]),
        title=str(meta["title"]),
        section=str(meta["section"]),
        page=int(str(meta["page"])),
        score=score,
    )


class Retriever:
    """Ranks the collection's chunks for a question, with a "nothing relevant" signal.

    The signal is the best dense similarity among the returned passages, whatever the mode, so one
    calibrated threshold serves every mode.
    """

    def __init__(
        self, collection: Collection, model: MiniLM, threshold: float, mode: str = "hybrid"
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"retrieval mode must be one of {MODES}, not {mode!r}")
        self.collection = collection
        self.model = model
        self.threshold = threshold
        self.mode = mode
        self._lexical: LexicalIndex | None = None
        self._lock = threading.Lock()

    def invalidate(self) -> None:
        """The collection changed: rebuild the lexical index on next use."""
        self._lexical = None

    def _lexical_index(self) -> LexicalIndex:
        with self._lock:
            if self._lexical is None:
                everything = self.collection.get(include=["documents", "metadatas"])
                texts = [
                    f"{m['section']}\n{d}"
                    for d, m in zip(
                        everything["documents"] or [], everything["metadatas"] or [], strict=True
                    )
                ]
                self._lexical = LexicalIndex(everything["ids"], texts)
            return self._lexical

    def retrieve(self, query: str, k: int, mode: str | None = None) -> Retrieval:
        mode = mode or self.mode
        count = self.collection.count()
        if not query.strip() or count == 0:
            return Retrieval([], False)
        vector = self.model.embed([query])[0]
        n = min(max(CANDIDATES, k), count)

        dense: dict[str, float] = {}
        found: dict[str, tuple[str, Any]] = {}  # id -> (text, metadata)
        if mode in ("hybrid", "dense"):
            result = self.collection.query(
                query_embeddings=[vector],
                n_results=n,
                include=["documents", "metadatas", "distances"],
            )
            for cid, text, meta, distance in zip(
                result["ids"][0],
                (result["documents"] or [[]])[0],
                (result["metadatas"] or [[]])[0],
                (result["distances"] or [[]])[0],
                strict=True,
            ):
                dense[cid] = 1.0 - float(distance)  # cosine distance -> similarity
                found[cid] = (text, meta)

        lexical: dict[str, float] = {}
        if mode in ("hybrid", "lexical"):
            lexical = dict(self._lexical_index().search(query, n))
        missing = [cid for cid in lexical if cid not in found]
        if missing:  # lexical finds: fetch their text and embedding to score them densely too
            extra = self.collection.get(
                ids=missing, include=["documents", "metadatas", "embeddings"]
            )
            embeddings = np.asarray(extra["embeddings"], dtype=np.float32)
            for i, cid in enumerate(extra["ids"]):
                found[cid] = ((extra["documents"] or [])[i], (extra["metadatas"] or [])[i])
                dense[cid] = float(embeddings[i] @ vector)

        top_lexical = max(lexical.values(), default=0.0) or 1.0
        if mode == "dense":
            scores = dense
        elif mode == "lexical":
            scores = {cid: s / top_lexical for cid, s in lexical.items()}
        else:
            scores = {
                cid: DENSE_WEIGHT * dense[cid]
                + (1 - DENSE_WEIGHT) * lexical.get(cid, 0.0) / top_lexical
                for cid in found
            }
        ranked = sorted(scores, key=lambda cid: -scores[cid])[:k]
        passages = [_passage(cid, *found[cid], score=scores[cid]) for cid in ranked]
        relevant = any(dense[cid] >= self.threshold for cid in ranked)
        return Retrieval(passages, relevant)
