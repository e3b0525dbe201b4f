"""Whether a message depends on the student's previous turn ("and for the hostel?", "what about
it?") or stands on its own ("what's the capital of France"). rag, llm and the gateway's answer
cache all ask this one question, so an unrelated question is never read with the last one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

# A message that opens like a continuation ("and for the hostel?", "for how many days?", "what if
# I lost it"), in English or Hinglish.
_CONTINUES = re.compile(
    r"^\s*(and|or|also|but|what about|how about|same for|then|so|toh|aur|or phir|for|what if"
    r"|in that case|only|even)\b",
    re.I,
)
# A word that points back: English pronouns and Hinglish ones ("uski fees", "usme").
_POINTS_BACK = re.compile(
    r"\b(it|its|that|this|those|these|there|them|they|same|wahi|woh|wo|vo|uska|uski|uske|usme"
    r"|usko|unka|unki|unke|iska|iski|iske|isme|isko)\b",
    re.I,
)
# "It", "that" and "this" that point at nothing: "is it true that…", "is it allowed to…",
# "I heard it is", "this week", "that new course" (a determiner followed by a noun of its own).
_POINTS_NOWHERE = re.compile(
    r"\b(is|was|isn't|will)\s+(it|that)\s+(true|possible|mandatory|compulsory|allowed|necessary"
    r"|required|ok|okay|safe|free|permitted|fine)\b"
    r"|\bit\s+(is|isn't|was)\s*[?.!]*\s*$"
    r"|\b(this|that|these|those)\s+(new|week|month|semester|sem|year|time|term|weekend|morning"
    r"|evening|friday|monday|saturday|sunday)\b",
    re.I,
)
# A message that is only a greeting, thanks or acknowledgement is never read with the last turn.
_SOCIAL = re.compile(
    r"^\W*((ok|okay|k|thanks|thank you|thanku|thx|ty|got it|hi|hello|hey|namaste|good morning"
    r"|good evening|good night|bye|cool|great|nice|fine|hmm+|is anyone there|anyone there)\W*)+$",
    re.I,
)
# A Hinglish ellipsis: "kitne din me milega", "pg ke liye kitna?" (asks how much/long without
# saying of what).
_ELLIPSIS = re.compile(r"^\s*(\w+\s+)?(ke liye|kitne din|kitna|kitni|kab tak)\b", re.I)

T = TypeVar("T")


def depends_on_previous(question: str, previous: str = "") -> bool:
    """True when the message cannot be read without the turn before it.

    `previous` is accepted so that callers may pass the earlier turn; the rule reads the message
    alone (a message that stands on its own does so whatever came before)."""
    words = re.findall(r"\w+", question)
    if not words or _SOCIAL.match(re.sub(r"[^\w\s?!.,]", " ", question)):
        return False
    pointing = _POINTS_NOWHERE.sub(" ", question)
    return bool(
        _CONTINUES.search(question)
        or _POINTS_BACK.search(pointing)
        or _ELLIPSIS.search(question)
        or len(words) <= 2
    )


def relevant_history(question: str, history: Sequence[T], previous: str = "") -> list[T]:
    """`history` when the message leans on it, else nothing: one place that every reader of the
    earlier turns (rag's retriever, the offline answerer, the model's prompt) goes through."""
    return list(history) if history and depends_on_previous(question, previous) else []
