"""Reading the knowledge base's files: Markdown, plain text and PDF (page by page)."""

from __future__ import annotations

import hashlib
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


def _read_pdf(path: Path, fallback_title: str) -> Document:
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise UnreadableDocument("the PDF is encrypted")
        pages = [Page(i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages)]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except UnreadableDocument:
        raise
    except Exception as e:  # pypdf raises many types for damaged files
        raise UnreadableDocument(f"the PDF cannot be read ({type(e).__name__}: {e})") from None
    if not any(p.text.strip() for p in pages):
        raise UnreadableDocument("the PDF has no extractable text (scanned or empty)")
    title = meta_title.strip() or _title_from_text(pages[0].text, fallback_title)
    return Document(path, "pdf", title, pages)
