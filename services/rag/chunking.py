"""Splitting a document into passages that follow its structure.

Markdown is split at headings and each chunk remembers its heading path; PDFs and plain text are
split per page and at heading-like lines (numbered or in capitals).
Within a section, paragraphs and lists are kept whole and packed into chunks of at most
`MAX_CHARS`; a paragraph longer than that is cut at sentence boundaries. Each chunk after the first
of a section starts with the last line or sentence of the one before (at most `OVERLAP_CHARS`), so
a fact that straddles the cut is whole in one of them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from collegebot.text import split_sentences
from services.rag.documents import Document, is_heading

MAX_CHARS = 800
OVERLAP_CHARS = 200
MIN_SENTENCE_CHARS = 15  # shorter lines ("Contacts:", "Rs. 500") say too little on their own

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Chunk:
    id: str
    text: str
    source: str
    title: str
    section: str  # heading path, " > " separated
    page: int
    heading: str = ""  # the section's heading line, on the first chunk of its section only

    def embedding_text(self) -> str:
        """What is embedded: where the passage sits, then the passage."""
        return f"{self.section}\n{self.text}" if self.section else self.text

    def sentences(self) -> list[str]:
        """Its lines and sentences, embedded one by one when there are several: one row of a
        long list, or one sentence of a paragraph, is lost in the vector of the whole chunk."""
        units = [
            sentence.strip()
            for line in self.text.splitlines()
            for sentence in split_sentences(line)
            if len(sentence.strip()) >= MIN_SENTENCE_CHARS
        ]
        return units if len(units) > 1 else []


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


def _tail(text: str) -> str:
    """The end of a chunk carried into the next: its last line, or else its last sentence."""
    last_line = text.rsplit("\n", 1)[-1]
    if len(last_line) <= OVERLAP_CHARS:
        return last_line
    last_sentence = split_sentences(last_line)[-1]
    return last_sentence if len(last_sentence) <= OVERLAP_CHARS else ""


def _pack(blocks: list[str]) -> list[str]:
    """Greedily join whole blocks into chunks of at most MAX_CHARS, overlapping by a tail."""
    chunks: list[str] = []
    current = ""
    for block in blocks:
        for piece in _split_long(block):
            if current and len(current) + 2 + len(piece) > MAX_CHARS:
                chunks.append(current)
                tail = _tail(current)
                fits = tail and len(tail) + 2 + len(piece) <= MAX_CHARS
                current = f"{tail}\n\n{piece}" if fits else piece
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


def _titled_runs(doc: Document) -> list[tuple[str, int, list[str]]]:
    """(heading, page, blocks) runs of a PDF or text file, cut at heading-like lines; a heading
    carries over to the next page until another one comes."""
    runs: list[tuple[str, int, list[str]]] = []
    heading = ""
    for page in doc.pages:
        runs.append((heading, page.number, []))
        for block in _blocks(page.text):
            if is_heading(block):
                heading = block
                if not all(is_heading(b) for b in runs[-1][2]):  # headings in a row stay together
                    runs.append((heading, page.number, []))
            runs[-1][2].append(block)
    return [run for run in runs if run[2]]


def chunk_document(doc: Document, source: str) -> list[Chunk]:
    """The document's chunks, each with a stable id derived from its place and text."""
    units: list[tuple[str, int, str, str]] = []  # (section, page, text, heading if first)
    if doc.doc_type == "md":
        for page in doc.pages:
            for section, body in _sections(page.text, doc.title):
                heading = section.rsplit(" > ", 1)[-1] if section != doc.title else ""
                for i, text in enumerate(_pack(_blocks(body))):
                    units.append((section, page.number, text, heading if i == 0 else ""))
    else:
        started: set[str] = set()
        for heading, page_no, blocks in _titled_runs(doc):
            section = f"{doc.title} > {heading}" if heading else doc.title
            for text in _pack(blocks):
                units.append((section, page_no, text, "" if heading in started else heading))
                started.add(heading)

    chunks, seen = [], set()
    for section, page_no, text, heading in units:
        digest = hashlib.sha1(f"{source}\0{page_no}\0{section}\0{text}".encode()).hexdigest()[:20]
        chunk_id, n = digest, 1
        while chunk_id in seen:  # the same text twice in one place: keep both, distinctly
            n += 1
            chunk_id = f"{digest}-{n}"
        seen.add(chunk_id)
        chunks.append(Chunk(chunk_id, text, source, doc.title, section, page_no, heading))
    return chunks
