"""The message path, top to bottom: validate, emergency, once, limit, pause, command, retrieve,
respond, reply, record."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta

import grpc
import sentry_sdk
from fastapi import APIRouter, Request, Response
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from collegebot import correlation, emergency
from collegebot.emergency import EmergencyDesk
from collegebot.followup import depends_on_previous
from collegebot.privacy import NumberCipher, Pseudonymiser
from collegebot.settings import WEBHOOK_PATH, GatewaySettings, InstitutionSettings
from collegebot.store import Outcome, Store, TurnRecord
from collegebot.twilio_rest import RestSender
from collegebot.v1 import common_pb2, llm_pb2, llm_pb2_grpc, rag_pb2, rag_pb2_grpc
from services.gateway.admission import Admission
from services.gateway.answers_cache import AnswerCache
from services.gateway.commands import CONFIRM_WINDOW, Command, GatewayReplies, parse_command
from services.gateway.once import Once
from services.gateway.records import RecordWriter
from services.gateway.throttle import Throttle
from services.gateway.twilio_io import (
    MAX_BODY_CHARS,
    MAX_FORM_BYTES,
    WEBHOOK_OPENAPI,
    WEBHOOK_RESPONSES,
    BadRequest,
    InboundMessage,
    SignatureCheck,
    parse_form,
    parse_message,
    twiml,
)

log = logging.getLogger("collegebot.gateway")
router = APIRouter()

WEBHOOKS = Counter("collegebot_gateway_webhooks_total", "Webhooks by outcome", ["outcome"])
FEEDBACK = Counter(
    "collegebot_gateway_feedback_total",
    'Students\' verdicts on their previous answer (unhelpful: a 👎, "not helpful", "wrong")',
    ["verdict"],
)
FEEDBACK.labels("unhelpful")  # exported at 0 from the start
STAGE_SECONDS = Histogram(
    "collegebot_gateway_stage_duration_seconds",
    "Time spent per stage of the message path",
    ["stage"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
)
TWIML = "application/xml"
# The hot path never waits longer than this for the store; past it the store counts as down.
STORE_WAIT_S = 1.0
# An emergency waits this long at most for the llm's reply before the gateway gives its own: the
# llm answers one without any model (its contacts lookup has 1 s), so only a sick llm is slower.
EMERGENCY_WAIT_S = 3.0
# How long a message about to be held back (throttled, paused, too long) waits for rag to read
# it for an emergency by meaning: one embedding, when rag is not overloaded.
SENSE_WAIT_S = 2.0
# When rag is slow the llm still gets this much of the budget (the offline answerer needs
# milliseconds; with Groq, the llm falls back to it when its own time runs short).
RESPOND_RESERVE_S = 1.0
# Twilio gives up on a webhook after 15 s; what a reply needs to travel is kept back from it.
WEBHOOK_LIMIT_S = 14.0
# The response header that names each webhook's outcome (the metric's label; no student data),
# for load generators and operators' probes.
OUTCOME_HEADER = "X-Collegebot-Outcome"


@dataclass
class Gateway:
    """Everything the handler needs, built once at start-up (see app.py)."""

    signature: SignatureCheck
    rag: rag_pb2_grpc.RagStub
    llm: llm_pb2_grpc.LlmStub
    store: Store
    records: RecordWriter
    once: Once
    throttle: Throttle
    pseudonyms: Pseudonymiser
    institution: InstitutionSettings
    settings: GatewaySettings
    replies: GatewayReplies
    rest: RestSender | None  # None: late answers cannot be sent, so the webhook waits for them
    emergencies: EmergencyDesk  # the contacts the gateway gives itself when the llm cannot
    admission: Admission  # how many questions rag and llm work on at once, how many may wait
    answers: AnswerCache  # replies to repeated questions, per knowledge-base version
    numbers: NumberCipher  # the number kept (encrypted) on an escalation, for staff to reply
    tasks: set[asyncio.Task] = field(default_factory=set)

    def spawn(self, coroutine: Coroutine) -> None:
        """Run beside the request, kept referenced until done (app shutdown waits for them)."""
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


class ServerTiming:
    """Times each webhook from the moment the app has it to the start of its response: stage
    `request` of the metric, and a Server-Timing header (no student data) for load tests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != WEBHOOK_PATH:
            return await self.app(scope, receive, send)
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                seconds = time.perf_counter() - started
                STAGE_SECONDS.labels("request").observe(seconds)
                header = f"gateway;dur={seconds * 1000:.3f}".encode()
                message["headers"] = [*message.get("headers", ()), (b"server-timing", header)]
            await send(message)

        await self.app(scope, receive, timed)


# An oversized body up to this size is read to its end and dropped before the 413: a server that
# replies without reading it closes on unread data, the connection is reset, and a sender that
# writes the whole body before reading the reply sees no status at all. Beyond it, stop reading.
DRAIN_BYTES = 4 * 1024 * 1024


async def _read_bounded(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > DRAIN_BYTES:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > DRAIN_BYTES:
            raise _TooLarge
        if size <= MAX_FORM_BYTES:
            chunks.append(chunk)
    if size > MAX_FORM_BYTES:
        raise _TooLarge
    return b"".join(chunks)


class _TooLarge(Exception):
    pass


def _reply(parts: list[str], outcome: str) -> Response:
    WEBHOOKS.labels(outcome).inc()
    log.info("webhook answered", extra={"outcome": outcome})  # the MessageSid is on the line
    return Response(twiml(parts), media_type=TWIML, headers={OUTCOME_HEADER: outcome})


def _refuse(status: int, reason: str, outcome: str) -> Response:
    WEBHOOKS.labels(outcome).inc()
    log.info("webhook refused", extra={"outcome": outcome, "status": status})
    return Response(
        reason, status_code=status, media_type="text/plain", headers={OUTCOME_HEADER: outcome}
    )


@router.post(
    WEBHOOK_PATH,
    response_class=Response,
    responses=WEBHOOK_RESPONSES,
    openapi_extra=WEBHOOK_OPENAPI,
    summary="A WhatsApp message, as Twilio posts it",
)
async def whatsapp_webhook(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    started = time.perf_counter()

    # 1. Validate: size, form, signature, then the fields themselves.
    try:
        form = parse_form(await _read_bounded(request), request.headers.get("content-type", ""))
    except _TooLarge:
        return _refuse(413, "request body too large", "too_large")
    except BadRequest as e:
        return _refuse(400, str(e), "malformed")
    if not gw.signature.valid(request, form, request.headers.get("x-twilio-signature")):
        return _refuse(403, "invalid Twilio signature", "forged")
    try:
        message = parse_message(form)
    except BadRequest as e:
        return _refuse(400, str(e), "malformed")
    correlation.bind(message.sid)  # on every log line, gRPC call and Sentry event from here on

    # 2. Emergency: read first, so no rule below (the rate limit, the hand-off pause, a command,
    #    the length limit, a dependency down) can leave it unanswered.
    question = message.body.strip()
    alarm = emergency.screen(question)
    command = None if alarm else parse_command(question)
    sender_hash = gw.pseudonyms.hash(message.sender)
    # A follow-up needs the student's recent turns: read them while the MessageSid is claimed. A
    # question that stands on its own is answered from itself alone, the same for every student
    # (so one cached reply serves them all).
    needs_history = question and not command and depends_on_previous(question)
    history = asyncio.create_task(_history(gw, sender_hash if needs_history else ""))

    # 3. Once: a repeated MessageSid gets the first delivery's reply, never a second answer; an
    #    emergency whose first reply is not known to have gone is answered again rather than not.
    repeat = await gw.once.begin(message.sid, sender_hash, command or "question")
    if repeat is not None and (repeat.settled or not alarm):
        history.cancel()
        return _reply(repeat.reply, "duplicate")
    outcome = Outcome(
        message.sid,
        sender_hash,
        command or "question",
        "replied",
        [],
        sender_masked=gw.pseudonyms.mask(message.sender),
    )
    parts: list[str] = []
    try:
        parts, label = await _answer(
            gw, message, question, alarm, command, outcome, history, started
        )
    except Exception as e:  # a bug must cost neither the student their reply nor Twilio a 500
        sentry_sdk.capture_exception(e)
        log.error("message %s failed: %s", message.sid, type(e).__name__)
        parts, label = [gw.replies.unreachable], "error"
        if alarm:  # still the emergency numbers, the last ones the gateway found
            contacts, _ = emergency.contact_lines(gw.emergencies.remembered, alarm)
            parts = [emergency.reply_text(alarm, contacts, gw.institution.college_helpdesk)]
        outcome.event = ("gateway_error", type(e).__name__)
    finally:
        gw.once.done(message.sid, parts)
    if label != "late":  # a late answer is recorded once it has been sent
        outcome.reply = parts
        _keep_number(gw, outcome, message)
        await gw.records.submit(outcome)
    return _reply(parts, label)


async def _answer(
    gw: Gateway,
    message: InboundMessage,
    question: str,
    alarm: str,
    command: Command | None,
    outcome: Outcome,
    history: asyncio.Task[list[common_pb2.Turn]],
    started: float,
) -> tuple[list[str], str]:
    """The reply to a first delivery and its outcome label; fills in `outcome` on the way."""
    if not question:
        outcome.kind = "media" if message.num_media else "empty"
        return [gw.replies.text_only if message.num_media else gw.replies.type_a_question], "empty"
    # 4-5. The rules that keep the bot from answering (length, rate limit, hand-off pause). A
    #    message one of them would silence is first read by meaning too: the rules' words above
    #    miss an emergency described in other words ("my friend won't wake up").
    held = None if alarm else await _held(gw, message, question, outcome)
    if held is not None:
        alarm = await _by_meaning(gw, question)
        if not alarm:
            outcome.kind, outcome.turn = held.kind, held.turn
            return held.parts, held.label
    if alarm:  # before every rule that follows, however many messages this student sent
        answer = await _ask(gw, question, await history, started, alarm)
        return _fill(outcome, message, question, answer), answer.reply.generator

    # 6. Commands before AI.
    if command is not None:
        return await _command(gw, command, outcome), f"command_{command}"

    # 7. A question asked before, on this knowledge base, gets the reply it got then.
    t = time.perf_counter()
    cached, version = await gw.answers.get(question)
    if cached is not None:
        stages = {"cache": (time.perf_counter() - t) * 1000}
        stages["total"] = (time.perf_counter() - started) * 1000
        return _fill(outcome, message, question, _Answer(cached, stages)), "cached"

    # 8. Past the questions rag and llm are working on and the queue waiting for them: shed.
    if gw.admission.full():
        outcome.kind = "shed"
        return [gw.replies.busy], "shed"

    # 9. Context, retrieve, respond; within the time budget, or the reply goes by REST.
    work = asyncio.create_task(_admitted(gw, question, await history, started, version))
    try:
        answer = await asyncio.wait_for(
            asyncio.shield(work), gw.settings.reply_budget_s - (time.perf_counter() - started)
        )
    except TimeoutError:
        if gw.rest is None:
            answer = await work
        else:
            gw.spawn(_send_late(gw, message, question, work, outcome))
            return [], "late"
    return _fill(outcome, message, question, answer), answer.reply.generator


def _keep_number(gw: Gateway, outcome: Outcome, message: InboundMessage) -> None:
    """An escalation keeps the student's number, encrypted, for staff to reply to."""
    if outcome.escalation and outcome.sender_hash:
        outcome.number_encrypted = gw.numbers.encrypt(message.sender)


async def _command(gw: Gateway, command: Command, outcome: Outcome) -> list[str]:
    if command is Command.human:
        outcome.escalation = "requested"
    elif command is Command.feedback:  # recorded against the previous answer, never answered
        outcome.feedback = True
        FEEDBACK.labels("unhelpful").inc()
    elif command is Command.delete_confirm:
        try:
            # This student's records still queued (their request to delete among them) go first.
            await asyncio.wait_for(gw.records.written(outcome.sender_hash), STORE_WAIT_S)
            requested = gw.store.deletion_requested(outcome.sender_hash, CONFIRM_WINDOW)
            if not await asyncio.wait_for(requested, STORE_WAIT_S):
                return [gw.replies.delete_not_requested]
            await asyncio.wait_for(gw.store.erase_sender(outcome.sender_hash), STORE_WAIT_S)
        except Exception:  # the store is down, failing or hung
            return [gw.replies.delete_unavailable]
        outcome.sender_hash = ""  # this message's own record keeps no trace of the student
    return [gw.replies.for_command(command)]


@dataclass
class _Held:
    """What a rule that keeps the bot from answering would reply, and how it is recorded."""

    kind: str
    parts: list[str]
    label: str
    turn: TurnRecord | None = None


async def _held(
    gw: Gateway, message: InboundMessage, question: str, outcome: Outcome
) -> _Held | None:
    if len(question) > MAX_BODY_CHARS:
        return _Held("too_long", [gw.replies.too_long], "too_long")

    # 4. Limit: per sender and for everyone; a throttled student is told once when to come back.
    verdict = await gw.throttle.check(outcome.sender_hash)
    if not verdict.allowed:
        if verdict.notice is None:
            return _Held("throttled", [], "throttled_silent")
        return _Held("throttled", [verdict.notice], "throttled")

    # 5. Pause: while staff have the student's case, the bot keeps quiet (the message is kept).
    if await _paused(gw, outcome.sender_hash):
        turn = TurnRecord(
            message.sid,
            outcome.sender_hash,
            outcome.sender_masked,
            question,
            answer="",
            generator="paused",
            status="paused",
        )
        return _Held("paused", [], "paused", turn)
    return None


async def _by_meaning(gw: Gateway, question: str) -> str:
    """The kind of emergency rag reads in `question` by meaning, or "": also when rag cannot say
    in time (the rules have read it already)."""
    try:
        sensed = await gw.rag.Sense(rag_pb2.SenseRequest(text=question), timeout=SENSE_WAIT_S)
    except grpc.aio.AioRpcError as e:
        log.warning("rag could not read a held message for an emergency: %s", e.code().name)
        return ""
    return sensed.emergency


async def _paused(gw: Gateway, sender_hash: str) -> bool:
    """Is a member of staff handling this student? Not known while the store is down: the bot
    answers rather than stay silent."""
    try:
        pause = timedelta(hours=gw.settings.handoff_pause_hours)
        return await asyncio.wait_for(gw.store.paused(sender_hash, pause), STORE_WAIT_S)
    except Exception:
        return False


async def _history(gw: Gateway, sender_hash: str) -> list[common_pb2.Turn]:
    """The student's recent turns; none while the store is down (the answer still comes)."""
    if not sender_hash:
        return []
    try:
        turns = await asyncio.wait_for(
            gw.store.recent_turns(sender_hash, gw.institution.history_turns), STORE_WAIT_S
        )
    except Exception:  # the store is down or failing
        return []
    return [common_pb2.Turn(question=q, answer=a) for q, a in turns]


@dataclass
class _Answer:
    reply: llm_pb2.RespondResponse
    stages: dict[str, float]  # milliseconds
    unavailable: str = ""  # the gRPC status when rag or llm could not answer
    kb_version: str = ""  # the knowledge-base version rag answered from


async def _admitted(
    gw: Gateway,
    question: str,
    history: list[common_pb2.Turn],
    started: float,
    version: str | None,
) -> _Answer:
    """`_ask` once rag and llm have room for the question; the reply is kept for the next
    student who asks the same (`version`: the cache's, None when it must not be kept)."""
    async with gw.admission.turn():
        answer = await _ask(gw, question, history, started)
    if version is not None and not answer.unavailable:
        await gw.answers.put(version, answer.kb_version, question, answer.reply)
    return answer


def _deadline(gw: Gateway, started: float) -> float:
    """When the answer must be ready (perf_counter): with REST replies, the llm's deadline past
    the reply budget (the answer follows the empty TwiML); without, just before Twilio gives up."""
    if gw.rest is not None:
        return started + gw.settings.reply_budget_s + gw.settings.llm_deadline_s
    return started + max(gw.settings.reply_budget_s, WEBHOOK_LIMIT_S)


async def _ask(
    gw: Gateway,
    question: str,
    history: list[common_pb2.Turn],
    started: float,
    alarm: str = "",
) -> _Answer:
    """rag's passages, then the llm's reply; `alarm`, the kind of emergency the message was read
    as, skips retrieval (the llm finds the contacts) and is answered even if the llm is not."""
    stages: dict[str, float] = {}
    unavailable = ""
    slow = False  # rag or llm still busy with it when the budget ran out
    deadline = _deadline(gw, started)
    # Without the handbook the llm still knows an emergency (with the contacts it remembers), a
    # greeting or a request for a person: it is asked either way, with no passages.
    retrieved = rag_pb2.RetrieveResponse(relevant=False)
    t = time.perf_counter()
    try:
        if not alarm:
            left = deadline - t - RESPOND_RESERVE_S
            retrieved = await gw.rag.Retrieve(
                rag_pb2.RetrieveRequest(query=question, history=history),
                timeout=max(0.05, min(gw.settings.rag_deadline_s, left)),
            )
            stages["retrieve"] = (time.perf_counter() - t) * 1000
    except grpc.aio.AioRpcError as e:
        slow = e.code() == grpc.StatusCode.DEADLINE_EXCEEDED and not alarm
        if not slow:
            unavailable = _unavailable("rag", e)
    alarm = alarm or retrieved.emergency  # rag reads meaning: an emergency in other words
    reply = None
    t = time.perf_counter()
    if slow:  # the budget is spent: the student is told to ask again, not that rag is down
        return _busy(gw, stages, started, "rag")
    try:
        left = max(0.05, min(gw.settings.llm_deadline_s, deadline - t))
        reply = await gw.llm.Respond(
            llm_pb2.RespondRequest(
                question=question,
                passages=retrieved.passages,
                relevant=retrieved.relevant,
                history=history,
                emergency=alarm,
            ),
            timeout=EMERGENCY_WAIT_S if alarm else left,
        )
        stages["respond"] = (time.perf_counter() - t) * 1000
    except grpc.aio.AioRpcError as e:
        if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED and not alarm and not unavailable:
            return _busy(gw, stages, started, "llm")
        unavailable = unavailable or _unavailable("llm", e)
    if alarm and (reply is None or reply.urgency != "critical"):
        reply = await _emergency_reply(gw, alarm, list(retrieved.passages))
    # "I don't know" because rag was down would mislead: the student should try again later.
    elif reply is None or (unavailable and reply.abstained):
        reply = llm_pb2.RespondResponse(
            answer=gw.replies.unreachable, parts=[gw.replies.unreachable], generator="unavailable"
        )
    _observe(stages, started)
    return _Answer(reply, stages, unavailable, retrieved.kb_version)


def _observe(stages: dict[str, float], started: float) -> None:
    stages["total"] = (time.perf_counter() - started) * 1000
    for stage, ms in stages.items():
        STAGE_SECONDS.labels(stage).observe(ms / 1000)


def _busy(gw: Gateway, stages: dict[str, float], started: float, service: str) -> _Answer:
    """The budget ran out while `service` was still working on the question: overload, not an
    outage, so the student is asked to send it again rather than told the handbook is gone."""
    log.warning("%s still busy when the reply budget ran out", service)
    _observe(stages, started)
    text = gw.replies.busy
    reply = llm_pb2.RespondResponse(answer=text, parts=[text], generator="timeout")
    return _Answer(reply, stages, "")


async def _emergency_reply(
    gw: Gateway, kind: str, passages: list[common_pb2.Passage]
) -> llm_pb2.RespondResponse:
    """The emergency reply the gateway gives itself when the llm cannot: the knowledge base's
    contacts (asked of rag, or the last ones found), else the help desk from settings."""
    contacts, _ = await gw.emergencies.contacts(kind, passages)
    text = emergency.reply_text(kind, contacts, gw.institution.college_helpdesk)
    return llm_pb2.RespondResponse(
        answer=text,
        parts=[text],  # a few short lines: well under one WhatsApp message
        urgency="critical",
        escalate=True,
        generator="emergency_gateway",
        confidence=1.0,
    )


def _unavailable(service: str, error: grpc.aio.AioRpcError) -> str:
    log.warning("%s unavailable: %s", service, error.code().name)
    return error.code().name


def _fill(outcome: Outcome, message: InboundMessage, question: str, answer: _Answer) -> list[str]:
    """Complete the record with the answer; returns the parts to send."""
    reply = answer.reply
    degraded = bool(answer.unavailable)
    if degraded:
        outcome.event = ("dependency_unavailable", answer.unavailable)
    if reply.escalate:  # a critical message, or a person asked for in words
        outcome.escalation = "urgent" if reply.urgency == "critical" else "requested"
    outcome.turn = TurnRecord(
        message_sid=message.sid,
        sender_hash=outcome.sender_hash,
        sender_masked=outcome.sender_masked,
        question=question,
        answer=reply.answer,
        sources=[{"source": s.source, "page": s.page, "section": s.section} for s in reply.sources],
        intent=reply.intent,
        sentiment=reply.sentiment,
        sentiment_score=reply.sentiment_score,
        urgency=reply.urgency,
        confidence=reply.confidence,
        escalated=reply.escalate,
        abstained=reply.abstained,
        generator=reply.generator,
        status="degraded" if degraded else "busy" if reply.generator == "timeout" else "answered",
        stages_ms=answer.stages,
    )
    outcome.reply = list(reply.parts) or [reply.answer]
    return outcome.reply


async def _send_late(
    gw: Gateway, message: InboundMessage, question: str, work: asyncio.Task, outcome: Outcome
) -> None:
    """The answer came after the webhook was answered: send it by REST, then record it."""
    assert gw.rest is not None
    _fill(outcome, message, question, await work)
    try:
        await gw.rest.send(message.sender, outcome.reply)
        outcome.status = "sent_later"
        WEBHOOKS.labels("sent_later").inc()
    except Exception as e:
        log.error("late reply to message %s not sent: %s", message.sid, type(e).__name__)
        outcome.status = "unsent"
        outcome.event = ("late_reply_unsent", type(e).__name__)
        WEBHOOKS.labels("late_unsent").inc()
    _keep_number(gw, outcome, message)
    await gw.records.submit(outcome)
