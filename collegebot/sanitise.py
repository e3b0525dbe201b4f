"""Text as it really is: invisible characters removed, look-alike letters folded to ASCII.

Students' messages (and model output) can carry zero-width joiners, bidi overrides, fullwidth
letters or Cyrillic look-alikes, by accident or to slip words past a filter. Everything that reads
a message for meaning reads `fold(message)`; everything sent to a student goes through
`strip_invisible`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs import confusables

# C0/C1 controls except tab and newline, and format characters (zero-width, bidi controls, BOM).
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def strip_invisible(text: str) -> str:
    """Remove control and zero-width/bidi characters; keep newlines and tabs."""
    return _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


@lru_cache(maxsize=4096)
def _ascii_lookalike(char: str) -> str:
    found = confusables.is_confusable(char, preferred_aliases=["latin"], greedy=True)
    for entry in found or ():
        for glyph in entry["homoglyphs"]:
            if glyph["c"].isascii() and glyph["c"].isalnum():
                return glyph["c"]
    return char


def fold(text: str) -> str:
    """The message's meaning in plain characters: NFKC (fullwidth -> ASCII), invisibles gone,
    Latin look-alikes (Cyrillic 'о', Greek 'ο') folded to their ASCII letter."""
    text = strip_invisible(unicodedata.normalize("NFKC", text))
    if text.isascii():
        return text
    return "".join(c if c.isascii() else _ascii_lookalike(c) for c in text)
