"""Splitting a document into passages that follow its structure.

Markdown is split at headings and each chunk remembers its heading path; PDFs are split per page.
Within a section, paragraphs and lists are kept whole and packed into chunks of at most
`MAX_CHARS`; a paragraph longer than that is cut at sentence boundaries.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from collegebot.text import split_sentences
from services.rag.documents import Document

MAX_CHARS = 800

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Chunk:
    id: str
    text: str
    source: str
    title: str
    section: str  # heading path, " > " separated
    page: int

    def embedding_text(self) -> str:
        """What is embedded: where the passage sits, then the passage."""
        return f"{self.section}\n{self.text}" if self.section else self.text


def _blocks(text: str) -> list[str]:
    """Paragraphs and lists, split on blank lines, inner whitespace tidied."""
    blocks = []
    for raw in re.split(r"\n\s*\n", text):
        lines = [line.rstrip() for line in raw.strip().splitlines()]
        if any(lines):
            blocks.append("\n".join(line for line in lines if line.strip()))
    return blocks


def _split_long(block: str) -> list[str]:
    if len(block) <= MAX_CHARS:
        return [block]
    pieces, current = [], ""
    for sentence in split_sentences(block):
        while len(sentence) > MAX_CHARS:  # one enormous "sentence": cut at a space
            cut = sentence.rfind(" ", 0, MAX_CHARS)
            cut = cut if cut > 0 else MAX_CHARS
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if current and len(current) + 1 + len(sentence) > MAX_CHARS:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


def _pack(blocks: list[str]) -> list[str]:
    """Greedily join whole blocks into chunks of at most MAX_CHARS."""
    chunks: list[str] = []
    current = ""
    for block in blocks:
        for piece in _split_long(block):
            if current and len(current) + 2 + len(piece) > MAX_CHARS:
                chunks.append(current)
                current = piece
            else:
                current = f"{current}\n\n{piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks


def _sections(text: str, title: str) -> list[tuple[str, str]]:
    """(heading path, body) for each Markdown section, in order."""
    path: list[str] = []
    sections: list[tuple[str, str]] = []
    body: list[str] = []

    def flush() -> None:
        if "".join(body).strip():
            sections.append((" > ".join(path) or title, "\n".join(body)))
        body.clear()

    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            flush()
            level = len(match.group(1))
            path[:] = path[: level - 1] + [match.group(2).strip()]
        else:
            body.append(line)
    flush()
    return sections


def chunk_document(doc: Document, source: str) -> list[Chunk]:
    """The document's chunks, each with a stable id derived from its place and text."""
    units: list[tuple[str, int, str]] = []  # (section, page, text)
    for page in doc.pages:
        if doc.doc_type == "md":
            for section, body in _sections(page.text, doc.title):
                units += [(section, page.number, c) for c in _pack(_blocks(body))]
        else:
            units += [(doc.title, page.number, c) for c in _pack(_blocks(page.text))]

    chunks, seen = [], set()
    for section, page_no, text in units:
        digest = hashlib.sha1(f"{source}\0{page_no}\0{section}\0{text}".encode()).hexdigest()[:20]
        chunk_id, n = digest, 1
        while chunk_id in seen:  # the same text twice in one place: keep both, distinctly
            n += 1
            chunk_id = f"{digest}-{n}"
        seen.add(chunk_id)
        chunks.append(Chunk(chunk_id, text, source, doc.title, section, page_no))
    return chunks
