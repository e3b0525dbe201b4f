"""Lexical ranking: BM25 (the bm25s library) over stemmed, stopword-free tokens.

Students type on phones, so a query is normalised before it is ranked (densely too): Hinglish
words become their English meaning or disappear (services/rag/hinglish.py), and a word the
knowledge base never uses is corrected to the closest word it does use (one edit or swap of
neighbours for short words, two for long ones), so "scholarshp" still finds "scholarship".
"""

from __future__ import annotations

import re

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS
from rapidfuzz import process
from rapidfuzz.distance import OSA

from services.rag.hinglish import GLOSSES

_STEMMER = Stemmer.Stemmer("english")
# NLTK's English list (question words included) and the fillers of a texted question.
STOPWORDS = sorted(set(STOPWORDS_EN_PLUS) | {"much", "many", "please", "pls", "plz"})


def _words(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(texts, stopwords=STOPWORDS, return_ids=False, show_progress=False)


def _stems(words: list[str]) -> list[str]:
    return _STEMMER.stemWords(words)


class LexicalIndex:
    """BM25 over a fixed list of chunks; rebuilt whenever the knowledge base changes."""

    def __init__(
        self, ids: list[str], texts: list[str], dictionary: frozenset[str] = frozenset()
    ) -> None:
        """`dictionary`: correctly spelt words (never corrected) beyond the chunks' own."""
        self.ids = ids
        self.bm25 = bm25s.BM25()
        words = _words(texts) if ids else []
        self.vocabulary = sorted({w for doc in words for w in doc})
        self._known = set(self.vocabulary) | dictionary
        if ids:
            self.bm25.index([_stems(doc) for doc in words], show_progress=False)

    def correct(self, word: str) -> str:
        """The word, or the closest word of the knowledge base when it has none like it."""
        if word in self._known or len(word) < 4 or not word.isalpha():
            return word
        limit = 1 if len(word) < 8 else 2
        match = process.extractOne(word, self.vocabulary, scorer=OSA.distance, score_cutoff=limit)
        return match[0] if match else word

    def normalise(self, query: str) -> str:
        """The query in the knowledge base's words: Hinglish glossed, spelling corrected."""
        words = []
        for word in re.findall(r"\w+", query.lower()):
            meaning = GLOSSES.get(word)
            words.append(self.correct(word) if meaning is None else meaning)
        return " ".join(w for w in words if w) or query

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for a normalised query, in `ids` order (0: no known term)."""
        vocab = self.bm25.vocab_dict if self.ids else {}
        known = [t for t in _stems(_words([query])[0]) if t in vocab]
        if not known:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)
