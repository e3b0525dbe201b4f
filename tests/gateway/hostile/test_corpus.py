"""Awkward messages students really send, through the real gateway (real rag and llm behind it),
each signed as Twilio signs: every one is answered (200, TwiML that parses, nothing but
<Message> in it, parts within WhatsApp's limit), the store keeps each turn once with the text as
sent, and no number or message text reaches the logs or /metrics."""

from __future__ import annotations

import io
import logging
import sqlite3
import xml.etree.ElementTree as ET

import pytest

from collegebot.telemetry import log_handler
from tests.gateway.conftest import form, send, settle
from tests.gateway.hostile.conftest import assert_absent, twiml_messages

SENDER = "+919845012345"
LONGEST = ("Please tell me the hostel fee per semester and the last date to pay it. " * 60)[:4096]
CORPUS = {
    "emoji": "hostel fee kitna hai?? 🙏🏽😅👨‍👩‍👧 🏳️‍🌈",
    "arabic": "ما هي رسوم السكن في الفصل الدراسي؟",
    "hebrew and english": "מה שעות הספרייה? library timings please",
    "urdu mixed": "library کب کھلتی ہے weekdays پر؟",
    "bidi override": "\u202ewhen is the fee deadline\u202c?",
    "zero-width": "hos\u200btel fe\u200de per se\u200cmester\ufeff?",
    "combining marks": "Z̵̡̛͓̓a̶l̸g̷o̶ library ti̷m̵i̶n̴g̷s̸",
    "fullwidth": "ｗｈａｔ ｉｓ ｔｈｅ ｈｏｓｔｅｌ ｆｅｅ？",
    "sql": "'; DROP TABLE conversations; -- what is the hostel fee?",
    "sql union": "1' OR '1'='1' UNION SELECT sender_hash, question FROM conversations --",
    "html": "<script>alert('x')</script><b>library</b> timings &amp; <img src=x onerror=alert(1)>",
    "twiml": "</Message><Redirect>https://evil.example/x</Redirect><Message>fee deadline",
    "format strings": "%s %d %n {0} {question} ${HOME} $(id) `id` hostel fee",
    "nul bytes": "library\x00 timings\x00 on weekdays",
    "control characters": "fee\x1b[31m deadline\x07\x08 please\r\nand\rhostel",
    "newlines only": "\n\n\n",
    "whitespace": " \t \u00a0 \u3000 ",
    "empty": "",
    "longest allowed": LONGEST,
    "one too long": LONGEST + "?",
}


NO_TURN = {"empty", "whitespace", "newlines only", "one too long"}


@pytest.fixture
def client(gateway):
    client = gateway(RATE_LIMIT_PER_SENDER="1000/minute", RATE_LIMIT_GLOBAL="1000/second")
    # What is read here is the message, not the speed: until a plain question is answered (a
    # cold rag on a busy machine can first miss its deadline, "send it again", outcome timeout).
    for _ in range(5):
        warm = send(client, form("library timings on weekdays", sender="+919800000001"))
        if warm.headers["X-Collegebot-Outcome"] != "timeout":
            return client
    pytest.fail("rag and llm never answered a plain question in time")


def stored(state) -> dict[str, tuple[str, int]]:
    with sqlite3.connect(state / "collegebot.db") as db:
        rows = db.execute("SELECT message_sid, question FROM conversations").fetchall()
    counts: dict[str, int] = {}
    for sid, _ in rows:
        counts[sid] = counts.get(sid, 0) + 1
    return {sid: (question, counts[sid]) for sid, question in rows}


def test_awkward_messages_are_answered_stored_and_kept_out_of_logs(client, env, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    written = io.StringIO()  # the JSON lines a container writes
    handler = log_handler("gateway", "json", written)
    logging.getLogger().addHandler(handler)
    sent, replies = {}, {}
    try:
        for name, body in CORPUS.items():
            params = form(body, sender=SENDER)
            response = send(client, params)
            messages = twiml_messages(response)  # 200, application/xml, parses
            root = ET.fromstring(response.content)
            assert [child.tag for child in root] == ["Message"] * len(messages), name
            assert messages and all(0 < len(m) <= 1600 for m in messages), (name, messages)
            assert response.headers["X-Collegebot-Outcome"], name
            sent[name], replies[name] = params, "\n".join(messages)
        # A photo with a caption: the caption is the question; a photo alone is told "text only".
        captioned = form(
            "What is the hostel fee per semester?",
            sender=SENDER,
            NumMedia="1",
            MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
            MediaContentType0="image/jpeg",
        )
        replies["caption"] = "\n".join(twiml_messages(send(client, captioned)))
        photo = form("", sender=SENDER, NumMedia="1", MediaContentType0="image/jpeg")
        replies["photo"] = "\n".join(twiml_messages(send(client, photo)))
        metrics = client.get("/metrics").text
        settle(client)
    finally:
        logging.getLogger().removeHandler(handler)

    replier = client.app.state.gateway.replies
    assert "42,000" in replies["caption"]
    assert replies["photo"] == replier.text_only
    for name in ("empty", "whitespace", "newlines only"):
        assert replies[name] == replier.type_a_question, name
    assert replies["one too long"] == replier.too_long
    assert replies["longest allowed"] != replier.too_long
    for name in ("emoji", "zero-width", "fullwidth"):
        assert "42,000" in replies[name], (name, replies[name])  # read for what it means
    assert "<script" not in replies["html"] and "evil.example" not in replies["twiml"]

    # The store: every question's turn once, its text as the student wrote it (NULs go:
    # PostgreSQL's text cannot hold them), and the SQL did nothing. A message with no question
    # in it, or one too long to read, is no turn.
    turns = stored(env)
    questions = {n: p for n, p in sent.items() if n not in NO_TURN}
    assert not [n for n, p in questions.items() if p["MessageSid"] not in turns]
    for name, params in questions.items():
        question, count = turns[params["MessageSid"]]
        assert count == 1 and question == params["Body"].strip().replace("\x00", ""), name
    assert not [n for n in NO_TURN if sent[n]["MessageSid"] in turns]

    # Nothing private in the logs (every line, any logger, and the JSON a container writes)
    # or on /metrics: no number, no message text.
    numbers = [SENDER, SENDER.lstrip("+"), SENDER[-10:]]
    texts = [b.strip() for b in CORPUS.values() if len(b.strip()) >= 8]
    assert any(r.name.startswith("collegebot") for r in caplog.records)  # logging was on
    for page in (caplog.text, written.getvalue(), metrics):
        assert_absent(page, numbers + texts)
