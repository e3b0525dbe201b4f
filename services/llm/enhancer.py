"""Turning an answer into WhatsApp messages: formatting, sanitising, sources, footer, splitting."""

from __future__ import annotations

import re

from collegebot.text import split_sentences
from collegebot.v1.common_pb2 import Passage

WHATSAPP_LIMIT = 1600

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def to_whatsapp(text: str) -> str:
    """Markdown to WhatsApp: *bold*, _italic_, • lists; no headings, tables or HTML."""
    text = _CONTROL.sub("", text)
    text = _HTML_TAG.sub("", text)
    text = re.sub(r"^#{1,6}\s*(.+?)\s*#*$", r"*\1*", text, flags=re.M)  # heading -> bold line
    text = re.sub(r"\*\*(.+?)\*\*", r"*\1*", text)
    text = re.sub(r"__(.+?)__", r"_\1_", text)
    text = re.sub(r"^\s*[-*+]\s+", "• ", text, flags=re.M)
    text = re.sub(r"^\s*\|?\s*:?-{3,}.*$\n?", "", text, flags=re.M)  # table rule lines
    text = re.sub(
        r"^\|(.+)\|\s*$",
        lambda m: " - ".join(c.strip() for c in m.group(1).split("|")),
        text,
        flags=re.M,
    )
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def sources_line(used: list[Passage]) -> str:
    names = []
    for p in used:
        label = p.source + (f" p. {p.page}" if p.page else "")
        if label not in names:
            names.append(label)
    return f"_Source: {', '.join(names)}_" if names else ""


def split(text: str, limit: int = WHATSAPP_LIMIT) -> list[str]:
    """Parts of at most `limit` characters, cut at sentence ends, numbered (1/2) when several."""
    if len(text) <= limit:
        return [text]
    room = limit - len(" (99/99)")
    pieces = split_sentences(text)
    parts, current = [], ""
    for piece in pieces:
        while len(piece) > room:  # a sentence longer than a message: cut at a space
            cut = piece.rfind(" ", 0, room)
            cut = cut if cut > 0 else room
            if current:
                parts.append(current)
                current = ""
            parts.append(piece[:cut])
            piece = piece[cut:].lstrip()
        if current and len(current) + 1 + len(piece) > room:
            parts.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    if current:
        parts.append(current)
    return [f"{p} ({i}/{len(parts)})" for i, p in enumerate(parts, 1)]


def finish(answer: str, used: list[Passage], footer: str = "") -> tuple[str, list[str]]:
    """The whole reply and its parts, ready for TwiML."""
    body = "\n\n".join(x for x in (to_whatsapp(answer), sources_line(used), footer.strip()) if x)
    return body, split(body)
