"""Sentence splitting that knows handbook abbreviations (Rs. 500, Dr. Rao, B.Tech. students),
used wherever text is cut: chunking in rag, answer composition and message splitting in llm; and
the one check both evaluations make of a text (a passage, an answer) against an expected fact.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    (
        *("rs", "inr", "no", "nos", "dr", "mr", "mrs", "ms", "prof", "sr", "jr", "st", "vs"),
        *("etc", "eg", "e.g", "ie", "i.e", "approx", "dept", "govt", "univ", "tel", "ph"),
        *("mob", "ext", "fig", "sec", "max", "min", "hon", "a.m", "p.m", "ph.d"),
        *("b.tech", "m.tech", "b.sc", "m.sc", "b.e", "m.e", "b.com", "m.com", "b.a", "m.a"),
    )
)
_CANDIDATE = re.compile(r"(?<=[.!?])\s+|\n+")


def _ends_with_abbreviation(piece: str) -> bool:
    words = piece.rstrip().split()
    if not words or not words[-1].endswith("."):
        return False
    last = words[-1].rstrip(".").lower().lstrip("(")
    if len(words) == 1 and last.replace(".", "").isdigit():  # a list number: "2. A late fee..."
        return True
    return last in ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def split_sentences(text: str) -> list[str]:
    """Sentences and lines of `text`, stripped, in order; abbreviations do not end a sentence."""
    sentences: list[str] = []
    position = 0
    glue = False
    for match in _CANDIDATE.finditer(text):
        piece = text[position : match.start()].strip()
        if piece:
            if glue and sentences:
                sentences[-1] += " " + piece
            else:
                sentences.append(piece)
        glue = (
            "\n" not in match.group() and bool(sentences) and _ends_with_abbreviation(sentences[-1])
        )
        position = match.end()
    tail = text[position:].strip()
    if tail:
        if glue and sentences:
            sentences[-1] += " " + tail
        else:
            sentences.append(tail)
    return sentences


def _as_checked(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[*_~•]", "", text.lower())).strip()


def states_fact(text: str, expected_text: str) -> bool:
    """Whether `text` says `expected_text`, whatever its case, spacing or WhatsApp emphasis."""
    return _as_checked(expected_text) in _as_checked(text)
