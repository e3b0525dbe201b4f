"""Chunks follow the document: headings, paragraphs, bounded size, stable ids."""

from pathlib import Path

from services.rag.chunking import MAX_CHARS, chunk_document
from services.rag.documents import Document, Page

MARKDOWN = (
    """# Hostel Handbook

Intro paragraph about the hostels.

## Fees

### Rooms

- Triple room: Rs. 42,000 per semester
- Double room: Rs. 52,000 per semester

## Curfew

Gates close at 10:30 pm. """
    + "Late entry is recorded in the register. " * 40
)


def _doc(text: str, doc_type: str = "md") -> Document:
    return Document(Path("h.md"), doc_type, "Hostel Handbook", [Page(0, text)])


def test_markdown_chunks_carry_their_heading_path_and_keep_lists_whole() -> None:
    chunks = chunk_document(_doc(MARKDOWN), "h.md")
    rooms = [c for c in chunks if "Triple room" in c.text]
    assert len(rooms) == 1
    assert rooms[0].section == "Hostel Handbook > Fees > Rooms"
    assert "Double room" in rooms[0].text  # the list stayed in one piece
    assert rooms[0].embedding_text().startswith("Hostel Handbook > Fees > Rooms\n")


def test_a_chunk_of_several_lines_or_sentences_lists_them_for_their_own_vectors() -> None:
    rooms = next(c for c in chunk_document(_doc(MARKDOWN), "h.md") if "Triple" in c.text)
    assert rooms.sentences() == [
        "- Triple room: Rs. 42,000 per semester",
        "- Double room: Rs. 52,000 per semester",
    ]
    curfew = next(c for c in chunk_document(_doc(MARKDOWN), "h.md") if "Gates" in c.text)
    assert curfew.sentences()[:2] == [
        "Gates close at 10:30 pm.",
        "Late entry is recorded in the register.",
    ]
    lone = chunk_document(_doc("# T\n\nOne sentence only, nothing else."), "t.md")[0]
    assert lone.sentences() == []  # the chunk's own vector already says it


def test_long_sections_are_split_within_the_bound_at_sentence_ends() -> None:
    curfew = [c for c in chunk_document(_doc(MARKDOWN), "h.md") if c.section.endswith("Curfew")]
    assert len(curfew) > 1
    assert all(len(c.text) <= MAX_CHARS for c in curfew)
    assert all(c.text.rstrip().endswith(".") for c in curfew)


def test_ids_are_stable_and_unique_even_for_repeated_text() -> None:
    text = "# T\n\n## A\n\nSame words.\n\n## B\n\nSame words."
    first, again = chunk_document(_doc(text), "t.md"), chunk_document(_doc(text), "t.md")
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first) == 2
    assert chunk_document(_doc(text), "other.md")[0].id != first[0].id


def test_pdf_pages_keep_their_page_numbers() -> None:
    doc = Document(Path("x.pdf"), "pdf", "X", [Page(1, "First page text."), Page(2, "Second.")])
    assert [(c.page, c.text) for c in chunk_document(doc, "x.pdf")] == [
        (1, "First page text."),
        (2, "Second."),
    ]


def test_consecutive_chunks_of_a_section_overlap_by_a_sentence() -> None:
    curfew = [c for c in chunk_document(_doc(MARKDOWN), "h.md") if c.section.endswith("Curfew")]
    for before, after in zip(curfew, curfew[1:], strict=False):
        last_sentence = before.text.rsplit(". ", 1)[-1]
        assert after.text.startswith(last_sentence)


def test_only_a_sections_first_chunk_carries_its_heading_line() -> None:
    chunks = chunk_document(_doc(MARKDOWN), "h.md")
    assert [c.heading for c in chunks if c.section.endswith("Rooms")] == ["Rooms"]
    curfew = [c.heading for c in chunks if c.section.endswith("Curfew")]
    assert curfew[0] == "Curfew" and set(curfew[1:]) == {""}
    assert chunks[0].heading == ""  # the intro sits under the document title, not a heading


def test_pdf_headings_start_sections_that_carry_over_page_breaks() -> None:
    doc = Document(
        Path("x.pdf"),
        "pdf",
        "Rules",
        [
            Page(1, "Preface text.\n\n2.3 Merit Scholarship\n\nAwarded to the top rank."),
            Page(2, "It is paid in two parts.\n\nAM 2.6 CHEATING IN EXAMINATIONS\n\nNot allowed."),
        ],
    )
    got = [(c.page, c.section, c.heading) for c in chunk_document(doc, "x.pdf")]
    assert got == [
        (1, "Rules", ""),
        (1, "Rules > 2.3 Merit Scholarship", "2.3 Merit Scholarship"),
        (2, "Rules > 2.3 Merit Scholarship", ""),
        (2, "Rules > AM 2.6 CHEATING IN EXAMINATIONS", "AM 2.6 CHEATING IN EXAMINATIONS"),
    ]
