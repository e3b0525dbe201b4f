"""Reading the knowledge base's files: Markdown, plain text and PDF (page by page)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
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


def unreadable(e: OSError) -> UnreadableDocument:
    """The reason a file could not be opened or read, without its path or content."""
    return UnreadableDocument(f"the file cannot be read ({type(e).__name__}: {e.strerror})")


def content_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as e:
        raise unreadable(e) from None


def _title_from_text(text: str, fallback: str) -> str:
    """The first line when it reads like a title (short); otherwise the file's name."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line if len(line) <= 120 else fallback
    return fallback


def read_document(path: Path) -> Document:
    doc_type = SUFFIXES.get(path.suffix.lower())
    if doc_type is None:
        raise UnreadableDocument(f"unsupported file type {path.suffix!r}")
    if doc_type == "pdf":
        return _read_pdf(path, _fallback_title(path))
    try:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            text = path.read_text(encoding="latin-1")
    except OSError as e:
        raise unreadable(e) from None
    return text_document(path, text)


def text_document(path: Path, text: str) -> Document:
    """A Markdown or plain-text document from its text (`path` names it and gives its type)."""
    if not text.strip():
        raise UnreadableDocument("the file is empty")
    doc_type = SUFFIXES[path.suffix.lower()]
    return Document(path, doc_type, _title_from_text(text, _fallback_title(path)), [Page(0, text)])


def _fallback_title(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip().capitalize()


_NEW_BLOCK = re.compile(r"^\s*([-*\u2022\u25cf]|\d+(\.\d+)*[.)]?\s|[A-Z][A-Za-z ]{0,40}:)")


EDGE_LINES = 3  # running headers and footers sit within this many lines of a page's edge


def _digitless(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip())


def _edge_lines(text: str) -> dict[int, tuple[int, str]]:
    """Line index -> (place, digitless text) for the lines near a page's top (place 0, 1, ..)
    and bottom (-1, -2, ..)."""
    lines = text.splitlines()
    filled = [i for i, line in enumerate(lines) if line.strip()]
    places = list(enumerate(filled[:EDGE_LINES])) + [
        (-1 - n, i) for n, i in enumerate(reversed(filled[-EDGE_LINES:]))
    ]
    return {i: (place, _digitless(lines[i])) for place, i in places}


def strip_running_lines(pages: list[str]) -> list[str]:
    """Drop running headers and footers: the same line (digits ignored) in the same place at the
    top or bottom of at least half of 3+ pages. Repeated lines of content move about; they stay."""
    if len(pages) < 3:
        return pages
    edges = [_edge_lines(text) for text in pages]
    counts = Counter(key for page in edges for key in set(page.values()))
    running = {key for key, n in counts.items() if n >= len(pages) / 2}
    return [
        "\n".join(
            "" if edge.get(i) in running else line for i, line in enumerate(text.splitlines())
        )
        for text, edge in zip(pages, edges, strict=True)
    ]


_NUMBERED_TITLE = re.compile(r"^([A-Z]{1,4}\s)?\d+(\.\d+)*\.?\s+[A-Z]")


def is_heading(line: str) -> bool:
    """A line that titles what follows in plain text or a PDF: short, with no closing
    punctuation, and numbered ("2.3 Merit Scholarship", "AM 2.5 CHEATING") or in capitals."""
    line = line.strip()
    if not 4 <= len(line) <= 90 or line[-1] in ".,;:" or "\n" in line or "..." in line:
        return False  # (dot leaders: a table of contents line)
    letters = [c for c in line if c.isalpha()]
    wordy = len(letters) >= 0.6 * len(line.replace(" ", ""))
    in_capitals = len(letters) >= 4 and wordy and all(c.isupper() for c in letters)
    return in_capitals or bool(_NUMBERED_TITLE.match(line) and len(line.split()) <= 12)


def reflow(text: str) -> str:
    """Undo PDF hard wrapping: join lines into paragraphs, keep list items and headings apart."""
    lines = text.splitlines()
    words = [line for line in lines if line.strip()]
    one_word_lines = bool(words) and sum(len(w.split()) == 1 for w in words) > 0.6 * len(words)
    if one_word_lines:
        # Some PDFs come out one word per line with blank lines between: the blanks mean nothing.
        lines = words
    paragraphs: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            if paragraphs and paragraphs[-1]:
                paragraphs.append("")
            continue
        if not one_word_lines and is_heading(line):
            paragraphs += [line, ""]  # a heading stands alone; what follows starts afresh
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
    pages = [Page(i + 1, reflow(t)) for i, t in enumerate(strip_running_lines(texts))]
    if meta_title.strip().lower().startswith("untitled"):
        meta_title = ""  # what some editors write when nobody gave a title
    title = meta_title.strip() or _title_from_text(pages[0].text, fallback_title)
    return Document(path, "pdf", title, pages)
