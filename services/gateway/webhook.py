"""The message path, top to bottom: validate, limit, retrieve, respond, reply, record."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import grpc
from fastapi import APIRouter, BackgroundTasks, Request, Response
from limits import RateLimitItem
from limits.aio.strategies import MovingWindowRateLimiter
from prometheus_client import Counter, Histogram

from collegebot.privacy import Pseudonymiser
from collegebot.settings import GatewaySettings, InstitutionSettings
from collegebot.store import Store, TurnRecord
from collegebot.v1 import common_pb2, llm_pb2, llm_pb2_grpc, rag_pb2, rag_pb2_grpc
from services.gateway.twilio_io import (
    MAX_BODY_CHARS,
    MAX_FORM_BYTES,
    BadRequest,
    SignatureCheck,
    parse_form,
    parse_message,
    twiml,
)

log = logging.getLogger("collegebot.gateway")
router = APIRouter()

WEBHOOKS = Counter("collegebot_gateway_webhooks_total", "Webhooks by outcome", ["outcome"])
STAGE_SECONDS = Histogram(
    "collegebot_gateway_stage_duration_seconds",
    "Time spent per stage of the message path",
    ["stage"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
)
TWIML = "application/xml"


@dataclass
class Gateway:
    """Everything the handler needs, built once at start-up (see app.py)."""

    signature: SignatureCheck
    rag: rag_pb2_grpc.RagStub
    llm: llm_pb2_grpc.LlmStub
    store: Store
    pseudonyms: Pseudonymiser
    institution: InstitutionSettings
    settings: GatewaySettings
    limiter: MovingWindowRateLimiter
    per_sender: RateLimitItem

    def unreachable(self) -> str:
        return (
            "Sorry, I can't reach the college handbook right now. "
            f"Please try again in a few minutes or contact {self.institution.college_helpdesk}."
        )


async def _read_bounded(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class _TooLarge(Exception):
    pass


def _reply(parts: list[str], outcome: str) -> Response:
    WEBHOOKS.labels(outcome).inc()
    return Response(twiml(parts), media_type=TWIML)


def _refuse(status: int, reason: str, outcome: str) -> Response:
    WEBHOOKS.labels(outcome).inc()
    return Response(reason, status_code=status, media_type="text/plain")


@router.post("/webhook/whatsapp")
async def whatsapp_webhook(request: Request, background: BackgroundTasks) -> Response:
    gw: Gateway = request.app.state.gateway
    started = time.perf_counter()

    # 1. Validate: size, form, signature, then the fields themselves.
    try:
        form = parse_form(await _read_bounded(request), request.headers.get("content-type", ""))
    except _TooLarge:
        return _refuse(413, "request body too large", "too_large")
    except BadRequest as e:
        return _refuse(400, str(e), "malformed")
    if not gw.signature.valid(form, request.headers.get("x-twilio-signature")):
        return _refuse(403, "invalid Twilio signature", "forged")
    try:
        message = parse_message(form)
    except BadRequest as e:
        return _refuse(400, str(e), "malformed")

    question = message.body.strip()
    if not question:
        text_only = "I can only read text messages for now. Please type your question."
        return _reply([text_only if message.num_media else "Please type your question."], "empty")
    if len(question) > MAX_BODY_CHARS:
        return _reply(
            [
                f"That message is too long for me. Please ask in under "
                f"{MAX_BODY_CHARS:,} characters."
            ],
            "too_long",
        )

    # 2. Limit: one sender cannot flood the service; they are told once per window.
    sender_hash = gw.pseudonyms.hash(message.sender)
    if not await gw.limiter.hit(gw.per_sender, "sender", sender_hash):
        if await gw.limiter.hit(gw.per_sender, "told", sender_hash, cost=gw.per_sender.amount):
            return _reply(
                ["You're sending messages too quickly. Please wait a minute and try again."],
                "throttled",
            )
        return _reply([], "throttled_silent")

    # 3. Context, retrieve, respond.
    history = [
        common_pb2.Turn(question=q, answer=a)
        for q, a in await gw.store.recent_turns(sender_hash, gw.institution.history_turns)
    ]
    stages: dict[str, float] = {}
    t = time.perf_counter()
    try:
        retrieved = await gw.rag.Retrieve(
            rag_pb2.RetrieveRequest(query=question, history=history),
            timeout=gw.settings.rag_deadline_s,
        )
        stages["retrieve"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        reply = await gw.llm.Respond(
            llm_pb2.RespondRequest(
                question=question,
                passages=retrieved.passages,
                relevant=retrieved.relevant,
                history=history,
            ),
            timeout=gw.settings.llm_deadline_s,
        )
        stages["respond"] = (time.perf_counter() - t) * 1000
    except grpc.aio.AioRpcError as e:
        log.warning("message %s degraded: %s", message.sid, e.code().name)
        background.add_task(_log_event, gw, "dependency_unavailable", e.code().name)
        reply = llm_pb2.RespondResponse(
            answer=gw.unreachable(), parts=[gw.unreachable()], generator="unavailable"
        )
    stages["total"] = (time.perf_counter() - started) * 1000
    for stage, ms in stages.items():
        STAGE_SECONDS.labels(stage).observe(ms / 1000)

    # 4. Record after replying; the student does not wait for the store.
    background.add_task(_record, gw, message, sender_hash, reply, stages)
    return _reply(list(reply.parts) or [reply.answer], reply.generator)


async def _log_event(gw: Gateway, event: str, detail: str) -> None:
    """Staff see degraded answers in system_logs; details never include the student's text."""
    try:
        await gw.store.log("gateway", "warning", event, detail)
    except Exception as e:
        log.error("could not write system log %s: %s", event, type(e).__name__)


async def _record(gw: Gateway, message, sender_hash: str, reply, stages: dict[str, float]) -> None:
    turn = TurnRecord(
        message_sid=message.sid,
        sender_hash=sender_hash,
        sender_masked=gw.pseudonyms.mask(message.sender),
        question=message.body,
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
        status="degraded" if reply.generator == "unavailable" else "answered",
        stages_ms=stages,
    )
    try:
        if not await gw.store.record_turn(turn):
            log.info("message %s was already recorded", message.sid)
    except Exception as e:  # the student has their answer; losing the record is logged, not raised
        log.error("could not record message %s: %s", message.sid, type(e).__name__)
