"""WhatsApp formatting, redaction, prompt echoes, sources line and splitting."""

from collegebot.settings import InstitutionSettings
from collegebot.v1.common_pb2 import Passage
from services.llm.enhancer import (
    REDACTED,
    WHATSAPP_LIMIT,
    Enhancer,
    has_contact,
    redact_contacts,
    remove_echo,
    split,
    to_whatsapp,
)
from services.llm.prompts import PromptEngine


def test_markdown_becomes_whatsapp_and_html_and_controls_go() -> None:
    text = (
        "## Fees\n**Due** on __Friday__, *late* fee ~~none~~\n- online\n* at the counter\n"
        "<b>x</b>\x07\u200b"
    )
    out = to_whatsapp(text)
    assert out.splitlines() == [
        "*Fees*",
        "*Due* on *Friday*, _late_ fee ~none~",
        "• online",
        "• at the counter",
        "x",
    ]


def test_tables_become_lines_and_links_show_their_address() -> None:
    out = to_whatsapp(
        "| Fee | Amount |\n|---|---|\n| Hostel | Rs. 42,000 |\nSee [portal](https://erp.x)"
    )
    assert out.splitlines() == ["Fee - Amount", "Hostel - Rs. 42,000", "See portal (https://erp.x)"]


def test_contacts_not_in_the_passages_are_redacted_and_dates_and_amounts_are_not() -> None:
    allowed = "Accounts: +91 20 4567 1120, accounts@kvc.edu.in"
    text = (
        "Call +91 20 4567 1120 or 020-4567-1120, not +91 98765 43210; mail accounts@kvc.edu.in, "
        "not fees@scam.com. Pay Rs. 1,20,000 by 31-07-2026 for 2026-27."
    )
    out = redact_contacts(text, allowed)
    assert "+91 20 4567 1120" in out and "020-4567-1120" in out and "accounts@kvc.edu.in" in out
    assert "98765" not in out and "fees@scam.com" not in out and out.count(REDACTED) == 2
    assert "Rs. 1,20,000 by 31-07-2026 for 2026-27" in out


def test_date_and_number_ranges_are_not_phones_and_real_numbers_are() -> None:
    not_phones = [
        "Pay between 01-07-2026 - 15-07-2026.",
        "Roll numbers 2026001 - 2026150 sit in Hall B.",
        "Exams run 2026-11-30 - 2026-12-14; fees due 31-07-2026 2026-27.",
        "Forms from 01/07/2026 - 15/07/2026, fee 1200 - 1500 rupees.",
    ]
    for text in not_phones:
        assert redact_contacts(text, "") == text
        assert not has_contact(text)
    phones = [
        "+91 20 4567 1000",
        "+91-98765-43210",
        "020-45671000",
        "(020) 4567 1000",
        "9876543210",
    ]
    for phone in phones:
        text = f"Call {phone} on 01-07-2026."
        assert redact_contacts(text, "") == f"Call {REDACTED} on 01-07-2026."
        assert redact_contacts(text, f"Office: {phone}") == text
        assert has_contact(text)


def test_a_number_run_into_the_next_word_is_still_a_number() -> None:
    """Found by tests/gateway/hostile: "+91 98765 43210A" or "¹9876543210" was sent as it was."""
    for text in ("Call +91 98765 43210A", "9876543210पर कॉल करें", "ring020-45671000or mail"):
        assert "98765" not in redact_contacts(text, "") and "45671000" not in redact_contacts(
            text, ""
        )
        assert REDACTED in redact_contacts(text, "") and has_contact(text)


def test_an_echo_of_the_system_prompt_is_removed_and_the_answer_kept() -> None:
    engine = PromptEngine(InstitutionSettings())
    rules = engine.protected_text()
    leaked = f"Sure! My instructions: {rules}\nFees are due on 31 July 2026."
    out = remove_echo(leaked, rules, engine.public_facts())
    assert out == "Sure!\nFees are due on 31 July 2026."
    # Naming the college or its help desk is not an echo.
    fine = f"Please contact {InstitutionSettings().college_helpdesk}."
    assert remove_echo(fine, rules, engine.public_facts()) == fine


def test_finish_adds_sources_once_with_pages_and_the_footer() -> None:
    used = [
        Passage(source="hostel.pdf", page=2),
        Passage(source="hostel.pdf", page=2),
        Passage(source="fees.md"),
    ]
    body, parts = Enhancer("", "", footer="Not official advice.").finish("Rs. 42,000.", used)
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


def test_a_long_list_is_split_between_lines_and_keeps_them() -> None:
    bullets = "\n".join(
        f"• Block {i}: Rs. {40_000 + 500 * i:,} a year, due 31 July; mess extra." for i in range(30)
    )
    text = f"*Hostel fees*\n{bullets}\n\nRooms are allotted in June."
    body, parts = Enhancer("", "", footer="Not official advice.").finish(
        text, [Passage(source="hostel.md")]
    )
    assert len(body) > WHATSAPP_LIMIT and len(parts) == 2
    assert all(len(p) <= WHATSAPP_LIMIT for p in parts)
    assert [p[-len(" (1/2)") :] for p in parts] == [" (1/2)", " (2/2)"]
    bodies = [p[: -len(" (1/2)")] for p in parts]
    # Every line of the reply, whole and in order, each on its own line of some part.
    assert [line for b in bodies for line in b.splitlines() if line] == [
        line for line in body.splitlines() if line
    ]
    assert bodies[-1].splitlines()[-3:] == ["_Source: hostel.md_", "", "Not official advice."]
