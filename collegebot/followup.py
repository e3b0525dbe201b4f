"""Whether a message depends on the student's previous turn ("and for the hostel?", "what about
it?") or stands on its own ("what's the capital of France"). rag, llm and the gateway's answer
cache all ask this one question, so an unrelated question is never read with the last one.
"""

from __future__ import annotations

import re

# A message that opens like a continuation, or leans on a word that points back.
_CONTINUES = re.compile(
    r"^\s*(and|or|also|but|what about|how about|same for|then|so|toh|aur|or phir)\b", re.I
)
_POINTS_BACK = re.compile(
    r"\b(it|its|that|this|those|these|there|them|they|same|wahi|woh|uska)\b", re.I
)


def depends_on_previous(question: str) -> bool:
    """True when the message cannot be read without the turn before it."""
    words = re.findall(r"\w+", question)
    if not words:
        return False
    return bool(_CONTINUES.search(question) or _POINTS_BACK.search(question) or len(words) <= 2)
