"""No phone number or message text reaches the logs, on any path a message can take."""

import io
import json
import logging

from collegebot.telemetry import log_handler
from tests.gateway.conftest import form, send

SENDER = "+919876543210"
QUESTIONS = ["What is the hostel fee per semester?", "zebra quokka marmalade"]
COMMANDS = ["help", "human", "delete my data", "confirm delete"]


def assert_private(text: str, bodies: list[str]) -> None:
    for secret in (SENDER, SENDER.lstrip("+"), SENDER[-10:], *bodies):
        assert secret not in text, secret


def test_logs_carry_no_number_and_no_message_text(gateway, counted, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    written = io.StringIO()  # the JSON lines a container writes, beside the records themselves
    handler = log_handler("gateway", "json", written)
    logging.getLogger().addHandler(handler)
    client = gateway(RATE_LIMIT_PER_SENDER="8/minute")
    bodies = [*QUESTIONS, *COMMANDS]
    for body in bodies:
        send(client, form(body, sender=SENDER))
    counted["rag"].fail_next = 5  # rag unreachable: the degraded path logs a warning
    send(client, form("library timings please", sender=SENDER))
    bodies.append("library timings please")
    send(client, form("", sender=SENDER, NumMedia="1"))
    for i in range(3):  # past the limit: throttled, told, ignored
        send(client, form(f"quiet question {i}", sender=SENDER))
        bodies.append(f"quiet question {i}")
    send(client, form("x", sender="whatsapp:" + SENDER))  # malformed: a 400 that logs nothing
    logging.getLogger().removeHandler(handler)
    assert any(r.name.startswith("collegebot") for r in caplog.records)  # logging was on
    assert_private(caplog.text, bodies)
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    assert {line["service"] for line in lines} == {"gateway"}
    assert sum(bool(line.get("message_sid")) for line in lines) >= len(bodies)  # one id each
    # A command's name is the outcome label the metrics use too ("command_help"): not private.
    assert_private(written.getvalue(), [b for b in bodies if b not in COMMANDS])
