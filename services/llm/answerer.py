"""The offline answerer: a short answer composed from the best passages' own sentences.

It never invents: every sentence it returns is copied from a retrieved passage. It abstains when
retrieval found nothing relevant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from collegebot.text import split_sentences
from collegebot.v1.common_pb2 import Passage

MAX_CHARS = 500
PASSAGES_CONSIDERED = 3

_STOPWORDS = frozenset(
    """a an the is are was were be been to of in on at for and or by with from as it its this
    that these those i me my we our you your he she they them what which who whom when where why
    how do does did can could should would will shall may might must there here about into than
    then so if not no yes any all some per please tell know want need get much many also
    kya hai ka ki ke mein se ko""".split()  # noqa: SIM905 (a list literal is less readable)
)
_WORD = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def terms(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS}


def sentences(text: str) -> list[str]:
    return [s.strip(" -*•\t") for s in split_sentences(text) if len(s.strip(" -*•\t")) > 2]


@dataclass(frozen=True)
class Answer:
    text: str
    used: list[Passage]  # the passages the answer's sentences came from
    abstained: bool
    confidence: float


def compose(question: str, passages: list[Passage], relevant: bool) -> Answer:
    """Pick the sentences that share most with the question, within MAX_CHARS."""
    if not relevant or not passages:
        return Answer("", [], abstained=True, confidence=0.0)
    wanted = terms(question)
    scored = []  # (score, passage rank, sentence index, sentence)
    for rank, passage in enumerate(passages[:PASSAGES_CONSIDERED]):
        heading_terms = terms(passage.section)
        for i, sentence in enumerate(sentences(passage.text)):
            overlap = len(wanted & (terms(sentence) | heading_terms))
            # Later passages must earn their place: they are less likely to be about the question.
            scored.append((overlap * passage.score / (1 + 0.5 * rank), rank, i, sentence))
    scored.sort(key=lambda s: -s[0])

    chosen: list[tuple[int, int, str]] = []
    length = 0
    for score, rank, i, sentence in scored:
        if score <= 0 and chosen:
            break
        if length + len(sentence) > MAX_CHARS and chosen:
            continue
        chosen.append((rank, i, sentence[:MAX_CHARS]))
        length += len(sentence) + 1
        if length >= MAX_CHARS * 0.8:
            break
    chosen.sort()  # read in document order, best passage first
    used_ranks = sorted({rank for rank, _, _ in chosen})
    text = " ".join(s if s[-1] in ".!?:" else s + "." for _, _, s in chosen)
    return Answer(
        text,
        [passages[r] for r in used_ranks],
        abstained=False,
        confidence=round(float(passages[0].score), 3),
    )
