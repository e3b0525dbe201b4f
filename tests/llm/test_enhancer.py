"""WhatsApp formatting, sources line and splitting."""

from collegebot.v1.common_pb2 import Passage
from services.llm.enhancer import WHATSAPP_LIMIT, finish, split, to_whatsapp


def test_markdown_becomes_whatsapp_and_html_and_controls_go() -> None:
    text = "## Fees\n**Due** on __Friday__\n- online\n* at the counter\n<b>x</b>\x07"
    out = to_whatsapp(text)
    assert out.splitlines() == ["*Fees*", "*Due* on _Friday_", "• online", "• at the counter", "x"]


def test_sources_line_names_each_document_once_with_pages() -> None:
    used = [
        Passage(source="hostel.pdf", page=2),
        Passage(source="hostel.pdf", page=2),
        Passage(source="fees.md"),
    ]
    body, parts = finish("Rs. 42,000.", used, footer="Not official advice.")
    assert "_Source: hostel.pdf p. 2, fees.md_" in body
    assert body.endswith("Not official advice.")
    assert parts == [body]


def test_long_replies_split_at_sentences_and_are_numbered() -> None:
    text = " ".join(f"Sentence number {i} is about the college rules." for i in range(120))
    parts = split(text)
    assert len(parts) > 1
    assert all(len(p) <= WHATSAPP_LIMIT for p in parts)
    assert parts[0].endswith(f"(1/{len(parts)})") and parts[-1].endswith(
        f"({len(parts)}/{len(parts)})"
    )
    assert all(p.rsplit(" (", 1)[0].endswith(".") for p in parts)
    rejoined = " ".join(p.rsplit(" (", 1)[0] for p in parts)
    assert rejoined == text
