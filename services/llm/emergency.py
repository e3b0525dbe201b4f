"""Emergency contacts for a critical message, read from the knowledge base, never from code.

The passages retrieved for the student's own words may not hold the emergency numbers ("my
roommate collapsed" finds the hostel rules), so the desk asks the knowledge base itself with the
configured EMERGENCY_QUERY plus words for the kind of emergency, and keeps the lines that carry a
number. The last contacts found are remembered for when rag cannot be reached.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from collegebot.text import split_sentences
from collegebot.v1.common_pb2 import Passage

log = logging.getLogger("collegebot.llm")

ContactLookup = Callable[[str], Awaitable[list[Passage]]]

# Words that pull the right helplines to the top for each kind of emergency.
KIND_WORDS = {
    "self_harm": "mental health helpline counselling suicide",
    "harassment": "harassment ragging women helpline complaint committee",
    "medical": "ambulance doctor medical hospital",
    "safety": "security control room police fire",
}
MAX_LINES = 6
_NUMBER = re.compile(r"(?<![\w.,])\+?\d[\d \-]{1,16}\d(?![\w,])")
_EMERGENCY_WORDS = re.compile(
    r"emergenc|helpline|24x7|24 x 7|security|ambulance|police|counsel|doctor|crisis", re.I
)


def _is_contact(line: str) -> bool:
    return any(len(re.sub(r"\D", "", n)) >= 3 for n in _NUMBER.findall(line))


def contact_lines(passages: list[Passage], kind: str) -> tuple[list[str], list[Passage]]:
    """The lines of `passages` that give an emergency number, the kind's own first."""
    wanted = set(KIND_WORDS.get(kind, "").split())
    found: list[tuple[int, int, str, Passage]] = []  # (-relevance, order, line, passage)
    seen: set[str] = set()
    for passage in passages:
        about_emergencies = bool(_EMERGENCY_WORDS.search(f"{passage.section} {passage.title}"))
        for line in split_sentences(passage.text):
            line = line.strip(" -*•\t")
            digits = re.sub(r"\D", "", line)
            if not _is_contact(line) or digits in seen:
                continue
            if not (about_emergencies or _EMERGENCY_WORDS.search(line)):
                continue
            seen.add(digits)
            relevance = len(wanted & set(re.findall(r"[a-z]+", line.lower())))
            found.append((-relevance, len(found), line, passage))
    found.sort(key=lambda f: (f[0], f[1]))
    chosen = found[:MAX_LINES]
    used: list[Passage] = []
    for *_, passage in chosen:
        if passage not in used:
            used.append(passage)
    return [line for _, _, line, _ in chosen], used


class EmergencyDesk:
    def __init__(self, query: str, lookup: ContactLookup | None = None) -> None:
        self.query = query
        self.lookup = lookup
        self.remembered: list[Passage] = []

    async def contacts(self, kind: str, given: list[Passage]) -> tuple[list[str], list[Passage]]:
        """Emergency contact lines (and their passages) for this kind of emergency."""
        found: list[Passage] = []
        if self.lookup is not None:
            try:
                found = await self.lookup(f"{self.query} {KIND_WORDS.get(kind, '')}")
            except Exception as e:  # rag down: what we found before, and the question's passages
                log.warning("emergency lookup failed: %s", type(e).__name__)
        lines, used = contact_lines(found, kind)
        if lines:
            self.remembered = found
            return lines, used
        return contact_lines(self.remembered + given, kind)
