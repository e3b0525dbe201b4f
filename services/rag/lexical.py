"""Lexical ranking: BM25 (the bm25s library) over stemmed, stopword-free tokens."""

from __future__ import annotations

import bm25s
import numpy as np
import Stemmer

_STEMMER = Stemmer.Stemmer("english")


def _tokens(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(
        texts, stopwords="en", stemmer=_STEMMER, return_ids=False, show_progress=False
    )


class LexicalIndex:
    """BM25 over a fixed list of chunks; rebuilt whenever the knowledge base changes."""

    def __init__(self, ids: list[str], texts: list[str]) -> None:
        self.ids = ids
        self.bm25 = bm25s.BM25()
        if ids:
            self.bm25.index(
                bm25s.tokenize(texts, stopwords="en", stemmer=_STEMMER, show_progress=False),
                show_progress=False,
            )

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        """Up to `n` (chunk id, BM25 score) pairs with a positive score, best first."""
        tokens = _tokens([query])[0]
        if not self.ids or not tokens:
            return []
        vocab = self.bm25.vocab_dict
        known = [t for t in tokens if t in vocab]
        if not known:
            return []
        scores = self.bm25.get_scores(known)
        top = np.argsort(-scores)[: min(n, len(self.ids))]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
