"""Reading the knowledge base's files: Markdown, plain text and PDF (page by page)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

SUFFIXES = {".md": "md", ".markdown": "md", ".txt": "txt", ".pdf": "pdf"}


class UnreadableDocument(Exception):
    """The file cannot be turned into text; the message says why, for the ingestion record."""


@dataclass(frozen=True)
class Page:
    number: int  # 1-based for PDFs, 0 for formats without pages
    text: str


@dataclass(frozen=True)
class Document:
    path: Path
    doc_type: str
    title: str
    pages: list[Page]


def find_documents(paths: list[Path]) -> list[Path]:
    """Every supported file under the given files and folders, sorted, hidden files skipped."""
    found: set[Path] = set()
    for p in paths:
        candidates = [p] if p.is_file() else p.rglob("*")
        for f in candidates:
            hidden = any(part.startswith(".") for part in f.parts[len(p.parts) - 1 :])
            if f.is_file() and f.suffix.lower() in SUFFIXES and not hidden:
                found.add(f)
    return sorted(found)


def content_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _title_from_text(text: str, fallback: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return fallback


def read_document(path: Path) -> Document:
    doc_type = SUFFIXES.get(path.suffix.lower())
    if doc_type is None:
        raise UnreadableDocument(f"unsupported file type {path.suffix!r}")
    fallback_title = path.stem.replace("_", " ").replace("-", " ").strip().capitalize()
    if doc_type == "pdf":
        return _read_pdf(path, fallback_title)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")
    if not text.strip():
        raise UnreadableDocument("the file is empty")
    return Document(path, doc_type, _title_from_text(text, fallback_title), [Page(0, text)])


_NEW_BLOCK = re.compile(r"^\s*([-*\u2022\u25cf]|\d+(\.\d+)*[.)]?\s|[A-Z][A-Za-z ]{0,40}:)")


def _boilerplate(pages: list[str]) -> set[str]:
    """Lines (digits ignored) repeated on at least half of 3+ pages: running headers, footers."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for text in pages:
        counts.update({re.sub(r"\d+", "#", line.strip()) for line in text.splitlines()})
    return {line for line, n in counts.items() if line and n >= len(pages) / 2}


def reflow(text: str, boilerplate: AbstractSet[str] = frozenset()) -> str:
    """Undo PDF hard wrapping: join lines into paragraphs, keep list items and headings apart."""
    lines = text.splitlines()
    words = [line for line in lines if line.strip()]
    if words and sum(len(w.split()) == 1 for w in words) > 0.6 * len(words):
        # Some PDFs come out one word per line with blank lines between: the blanks mean nothing.
        lines = words
    paragraphs: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line or re.sub(r"\d+", "#", line) in boilerplate:
            if paragraphs and paragraphs[-1]:
                paragraphs.append("")
            continue
        starts_block = bool(_NEW_BLOCK.match(line))
        if paragraphs and paragraphs[-1] and not starts_block:
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
    return "\n\n".join(p for p in paragraphs if p)


def _read_pdf(path: Path, fallback_title: str) -> Document:
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise UnreadableDocument("the PDF is encrypted")
        texts = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except UnreadableDocument:
        raise
    except Exception as e:  # pypdf raises many types for damaged files
        raise UnreadableDocument(f"the PDF cannot be read ({type(e).__name__}: {e})") from None
    if not any(t.strip() for t in texts):
        raise UnreadableDocument("the PDF has no extractable text (scanned or empty)")
    boilerplate = _boilerplate(texts)
    pages = [Page(i + 1, reflow(t, boilerplate)) for i, t in enumerate(texts)]
    title = meta_title.strip() or _title_from_text(pages[0].text, fallback_title)
    return Document(path, "pdf", title, pages)
