"""The llm gRPC service: Respond."""

from __future__ import annotations

import logging
import time

from prometheus_client import Counter, Histogram

from collegebot.v1 import llm_pb2, llm_pb2_grpc
from services.llm.responder import Responder

log = logging.getLogger("collegebot.llm")

RESPOND_SECONDS = Histogram(
    "collegebot_llm_respond_duration_seconds",
    "Time to answer one Respond call",
    ["generator"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OVERHEAD_SECONDS = Histogram(
    "collegebot_llm_overhead_seconds",
    "Time of one Respond call spent outside Groq (classify, prompt, offline answer, enhance)",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)
REPLIES = Counter(
    "collegebot_llm_replies_total",
    "Replies by generator and outcome",
    ["generator", "abstained", "urgency"],
)
TOKENS = Counter("collegebot_llm_tokens_total", "Groq tokens used", ["kind"])


class LlmServicer(llm_pb2_grpc.LlmServicer):
    def __init__(self, responder: Responder) -> None:
        self.responder = responder

    async def Respond(self, request: llm_pb2.RespondRequest, context) -> llm_pb2.RespondResponse:
        start = time.perf_counter()
        reply = await self.responder.respond_to(request)
        elapsed = time.perf_counter() - start
        RESPOND_SECONDS.labels(reply.generator).observe(elapsed)
        OVERHEAD_SECONDS.observe(max(0.0, elapsed - reply.groq_seconds))
        REPLIES.labels(reply.generator, str(reply.abstained).lower(), reply.labels.urgency).inc()
        TOKENS.labels("prompt").inc(reply.usage[0])
        TOKENS.labels("completion").inc(reply.usage[1])
        return llm_pb2.RespondResponse(
            answer=reply.answer,
            parts=reply.parts,
            sources=[
                llm_pb2.Source(source=p.source, page=p.page, section=p.section)
                for p in reply.sources
            ],
            intent=reply.labels.intent,
            sentiment=reply.labels.sentiment,
            sentiment_score=reply.labels.sentiment_score,
            urgency=reply.labels.urgency,
            confidence=reply.confidence,
            escalate=reply.escalate,
            abstained=reply.abstained,
            generator=reply.generator,
            prompt_tokens=reply.usage[0],
            completion_tokens=reply.usage[1],
        )


def register(responder: Responder):
    servicer = LlmServicer(responder)
    return lambda server: llm_pb2_grpc.add_LlmServicer_to_server(servicer, server)


SERVICE_NAME = llm_pb2.DESCRIPTOR.services_by_name["Llm"].full_name
