"""Turning an answer into WhatsApp messages: formatting, sanitising, sources, footer, splitting.

Model output is not trusted: invisible characters go, phone numbers and e-mail addresses that
neither the passages nor the institution's settings contain are redacted (a model can invent a
plausible number), and any sentence that repeats the system prompt's instructions is dropped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from collegebot.sanitise import fold, strip_invisible
from collegebot.text import split_sentences
from collegebot.v1.common_pb2 import Passage

WHATSAPP_LIMIT = 1600
REDACTED = "[contact removed]"
ECHO_WORDS = 5  # a run of this many prompt words in a sentence is an echo of the prompt

_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A date (31-07-2026, 2026-07-31, 31/07/2026) is never part of a phone number.
_DATE = r"(?:\d\d?-\d\d?-\d{4}|\d{4}-\d\d?-\d\d?|\d\d?/\d\d?/\d{4})(?!\d)"
# Ten or more digits, optionally after a +, with at most a space, a hyphen or a bracket between
# two: phone numbers, never amounts ("Rs. 1,20,000"), dates or ranges ("2026001 - 2026150").
# A letter straight before the first digit or after the last does not make it another thing
# ("पर9876543210", "43210or"): such a number was still given.
_PHONE = re.compile(
    rf"(?<![\d+])(?<!\d[-/])\+?\(?(?!{_DATE})\d"
    rf"(?:(?:(?:[ -]|\)[ -]?|[ -]?\()(?!{_DATE}))?\d){{9,}}(?!\d)"
)


def to_whatsapp(text: str) -> str:
    """Markdown to WhatsApp: *bold*, _italic_, ~strike~, • lists; no headings, tables or HTML."""
    text = strip_invisible(text)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.I)
    text = html.unescape(_HTML_TAG.sub("", text))
    text = re.sub(r"^```.*$\n?", "", text, flags=re.M)
    text = re.sub(r"!?\[([^\]]+)\]\((\S+?)\)", r"\1 (\2)", text)  # links: text (url)
    text = re.sub(r"^\s{0,3}#{1,6}\s*(.+?)\s*#*\s*$", r"**\1**", text, flags=re.M)
    text = re.sub(r"^\s*[-*+]\s+", "• ", text, flags=re.M)
    text = re.sub(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$\n?", "", text, flags=re.M)
    text = re.sub(
        r"^\s*\|(.+)\|\s*$",
        lambda m: " - ".join(c.strip() for c in m.group(1).split("|")),
        text,
        flags=re.M,
    )
    # Bold first, kept aside, so the single stars left are Markdown italics.
    text = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", "\x00\\2\x00", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])", r"_\1_", text)
    text = text.replace("\x00", "*")
    text = re.sub(r"~~(.+?)~~", r"~\1~", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def redact_contacts(text: str, allowed: str) -> str:
    """Phone numbers and e-mail addresses that `allowed` does not contain become REDACTED."""
    emails = {e.lower() for e in _EMAIL.findall(allowed)}
    phones = {_digits(p)[-10:] for p in _PHONE.findall(allowed)}
    text = _EMAIL.sub(lambda m: m.group() if m.group().lower() in emails else REDACTED, text)

    def phone(match: re.Match[str]) -> str:
        digits = _digits(match.group())
        return match.group() if digits[-10:] in phones else REDACTED

    return _PHONE.sub(phone, text)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", fold(text).lower())


def plain_words(text: str) -> str:
    """The text's words, lower-cased and folded, one space apart: what echo checks compare."""
    return " ".join(_words(text))


def has_contact(text: str) -> bool:
    """Whether the text gives an e-mail address or a phone number."""
    return bool(_EMAIL.search(text) or _PHONE.search(text))


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i : i + ECHO_WORDS]) for i in range(len(words) - ECHO_WORDS + 1)}


def remove_echo(text: str, protected: str, allowed: str) -> str:
    """Drop every sentence that repeats ECHO_WORDS words in a row of `protected` (and not of
    `allowed`, which holds what may be repeated: passages, names, contacts)."""
    secret = _shingles(protected) - _shingles(allowed)
    # Short lines of the prompt ("Rules you always follow:") are too short for a shingle.
    secret_lines = {plain_words(line) for line in protected.splitlines()} - {""}

    def echoes(sentence: str) -> bool:
        return bool(_shingles(sentence) & secret) or plain_words(sentence) in secret_lines

    kept_lines = []
    for line in text.splitlines():
        kept = [s for s in split_sentences(line) if not echoes(s)]
        if kept or not line.strip():
            kept_lines.append(" ".join(kept))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept_lines)).strip()


def label(passage: Passage) -> str:
    """Where a passage is: its file, and its page in a PDF."""
    return passage.source + (f" p. {passage.page}" if passage.page else "")


def sources_line(used: list[Passage]) -> str:
    names = list(dict.fromkeys(label(p) for p in used))
    return f"_Source: {', '.join(names)}_" if names else ""


def _pieces(text: str, room: int) -> Iterator[tuple[str, str]]:
    """(separator, piece) pairs that rebuild `text`: whole lines after a newline; a line longer
    than `room` cut at sentence ends, and a sentence longer than `room` at a space."""
    for line in text.split("\n"):
        if len(line) <= room:
            yield "\n", line
            continue
        separator = "\n"
        for sentence in split_sentences(line):
            while len(sentence) > room:
                cut = sentence.rfind(" ", 0, room)
                cut = cut if cut > 0 else room
                yield separator, sentence[:cut]
                separator, sentence = " ", sentence[cut:].lstrip()
            yield separator, sentence
            separator = " "


def split(text: str, limit: int = WHATSAPP_LIMIT) -> list[str]:
    """Parts of at most `limit` characters, cut between lines (inside a line only when it does
    not fit in a part), numbered (1/2) when several."""
    if len(text) <= limit:
        return [text]
    room = limit - len(" (99/99)")
    parts, current = [], ""
    for separator, piece in _pieces(text, room):
        if current and len(current) + len(separator) + len(piece) > room:
            parts.append(current)
            current = piece
        else:
            current = f"{current}{separator}{piece}" if current else piece
    parts = [p.strip("\n") for p in (*parts, current) if p.strip()]
    return [f"{p} ({i}/{len(parts)})" for i, p in enumerate(parts, 1)]


class Enhancer:
    """Everything between an answer's text and the messages the student receives."""

    def __init__(self, protected: str, public: str, footer: str = "") -> None:
        self.protected = protected  # the prompt's instructions: never echoed
        self.public = public  # names and contacts from settings: may be repeated
        self.footer = footer.strip()

    def clean(self, text: str, passages: list[Passage]) -> str:
        """WhatsApp formatting, invented contacts redacted, prompt echoes removed."""
        allowed = "\n".join([self.public, *(p.text for p in passages)])
        text = remove_echo(to_whatsapp(text), self.protected, allowed)
        return redact_contacts(text, allowed)

    def finish(self, text: str, used: list[Passage]) -> tuple[str, list[str]]:
        """The whole reply (answer, sources line, footer) and its parts, ready for TwiML."""
        body = "\n\n".join(x for x in (text, sources_line(used), self.footer) if x)
        return body, split(body)
