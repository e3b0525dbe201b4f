"""Reading real, messy PDFs into readable text."""

import pytest

from services.rag.chunking import chunk_document
from services.rag.documents import is_heading, read_document, reflow, strip_running_lines
from tests.conftest import SHARED_EVAL

SEED_PDF = SHARED_EVAL / "external" / "seed_cda_college" / "college_info.pdf"


@pytest.mark.skipif(not SEED_PDF.exists(), reason=f"needs the external eval data {SEED_PDF}")
def test_a_pdf_extracted_one_word_per_line_becomes_readable_paragraphs() -> None:
    doc = read_document(SEED_PDF)
    assert doc.title == "College info"  # metadata says "Untitled"; its first line is a paragraph
    chunks = chunk_document(doc, "college_info.pdf")
    admissions = next(c for c in chunks if "Application Fee" in c.text)
    print(admissions.text)  # shown with pytest -s: sentences, not a column of words
    lines = [line for line in admissions.text.splitlines() if line]
    assert sum(len(line.split()) == 1 for line in lines) == 0  # pypdf gave a word per line
    assert sum(len(line.split()) for line in lines) / len(lines) > 5
    assert "Personal statement (500 words)" in admissions.text
    assert all(len(c.text) <= 800 for c in chunks)


def test_running_headers_and_footers_go_but_repeated_content_stays() -> None:
    pages = [
        "ACME College Handbook\n"
        + "Some text.\n" * n  # the repeated line of content moves down the page
        + f"- Amount: Rs. {n}0,000 per year; {n} awards\n"
        + "More text.\n" * (4 - n)
        + f"Page {n} of 4"
        for n in range(1, 5)
    ]
    kept = [reflow(p) for p in strip_running_lines(pages)]
    assert all("Handbook" not in p and "Page" not in p for p in kept)
    assert [p.count("Amount") for p in kept] == [1, 1, 1, 1]


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("3.2 Other hostel charges", True),
        ("AM 2.5 FABRICATION OR FALSIFICATION OF RESULTS", True),
        ("ROUTES AND TIMINGS", True),
        ("2. First-year students must be in by 9:30 pm on all days.", False),
        ("GPA: 3.0/4.0 SAT", False),
        ("AM 2.6 CHEATING ........................ 5", False),
        ("4567 1301 For maintenance problems", False),
    ],
)
def test_heading_like_lines(line: str, heading: bool) -> None:
    assert is_heading(line) is heading
