"""Lexical ranking: BM25 (the bm25s library) over stemmed, stopword-free tokens.

Students type on phones, so a query is normalised before it is ranked (densely too): Hinglish
words, texting and college short forms become their English meaning or disappear
(collegebot/hinglish.py); a word the knowledge base never uses is expanded to the knowledge
base's most used word that begins with it ("univ" → "university"), or else corrected to the
closest word it does use (one edit or swap of neighbours for short words, two for long ones), so
"scholarshp" still finds "scholarship"."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS
from rapidfuzz import process
from rapidfuzz.distance import OSA

from collegebot.hinglish import GLOSSES
from collegebot.sanitise import fold

_STEMMER = Stemmer.Stemmer("english")
MIN_PREFIX = 3  # shortest word expanded to a knowledge-base word it begins
MIN_TYPO = 4  # shortest word corrected for a typo (shorter ones are one edit from too many)
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
        # Words by how many chunks use them, most used first: the first match wins below.
        frequency = Counter(w for doc in words for w in set(doc))
        self._rank = {w: (-frequency[w], w) for w in frequency}
        self.vocabulary = sorted(frequency, key=self._rank.__getitem__)
        self._alphabetical = sorted(frequency)  # words that begin alike sit together
        self._known = set(self.vocabulary) | dictionary
        if ids:
            self.bm25.index([_stems(doc) for doc in words], show_progress=False)

    def correct(self, word: str) -> str:
        """The word, or the knowledge base's word it abbreviates ("mech": "mechanical", its most
        used word that begins so) or misspells (the closest, most used first)."""
        if word in self._known or len(word) < MIN_PREFIX or not word.isalpha():
            return word
        words = self._alphabetical
        start = bisect.bisect_left(words, word)
        end = bisect.bisect_left(words, word + "\uffff")  # past every word that begins so
        expanded = min(words[start:end], key=self._rank.__getitem__, default=None)
        if expanded or len(word) < MIN_TYPO:
            return expanded or word
        limit = 1 if len(word) < 8 else 2
        match = process.extractOne(word, self.vocabulary, scorer=OSA.distance, score_cutoff=limit)
        return match[0] if match else word

    def normalise(self, query: str) -> str:
        """The query in the knowledge base's words: folded (fullwidth letters, Latin look-alikes,
        zero-width characters), Hinglish glossed, spelling corrected."""
        query = fold(query)
        words = []
        for word in re.findall(r"\w+", query.lower()):
            meaning = GLOSSES.get(word)
            words.append(self.correct(word) if meaning is None else meaning)
        return " ".join(w for w in words if w) or query

    def match(self, query: str) -> LexicalMatch:
        """BM25 of every chunk for a normalised query, in `ids` order, and how much of the query
        each chunk contains."""
        terms = list(dict.fromkeys(_stems(_words([query])[0])))
        vocab = self.bm25.vocab_dict if self.ids else {}
        known = [t for t in terms if t in vocab]
        n = len(self.ids)
        if not known:
            return LexicalMatch(np.zeros(n, np.float32), np.zeros(n, np.float32))
        per_term = np.stack([np.asarray(self.bm25.get_scores([t]), np.float32) for t in known])
        found = per_term > 0
        idf = np.log1p((n - found.sum(axis=1) + 0.5) / (found.sum(axis=1) + 0.5))
        # A query word no chunk uses weighs as much as the rarest word can.
        unseen = (len(terms) - len(known)) * np.log1p((n + 0.5) / 0.5)
        coverage = (idf @ found) / (idf.sum() + unseen)
        return LexicalMatch(per_term.sum(axis=0), coverage.astype(np.float32))


@dataclass(frozen=True)
class LexicalMatch:
    scores: np.ndarray  # BM25 (0: no query word)
    coverage: np.ndarray  # share of the query's weight (IDF) among the words a chunk contains
