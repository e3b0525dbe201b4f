"""Wiring of the gateway: settings, gRPC channels, store, health and metrics around the webhook."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager

import grpc
from fastapi import FastAPI, Response
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import make_asgi_app
from prometheus_fastapi_instrumentator import Instrumentator, metrics

from collegebot.emergency import EmergencyDesk, rag_lookup
from collegebot.grpc_client import channel
from collegebot.privacy import NumberCipher, Pseudonymiser
from collegebot.settings import (
    GatewaySettings,
    InstitutionSettings,
    NumberEncryptionSettings,
    PrivacySettings,
    ServiceAddresses,
    StoreSettings,
    TwilioSettings,
    load,
)
from collegebot.store import Store
from collegebot.telemetry import metrics_registry
from collegebot.twilio_rest import RestSender
from collegebot.v1 import llm_pb2_grpc, rag_pb2_grpc
from services.gateway import webhook
from services.gateway.admission import Admission
from services.gateway.answers_cache import AnswerCache
from services.gateway.commands import GatewayReplies
from services.gateway.once import Once
from services.gateway.records import Journal, RecordWriter
from services.gateway.throttle import Throttle
from services.gateway.twilio_io import SignatureCheck

log = logging.getLogger("collegebot.gateway")

EMERGENCY_LOOKUP_DEADLINE_S = 1.0


def gateway_factory() -> Callable[[dict[str, grpc.aio.Channel]], Awaitable[webhook.Gateway]]:
    """Read and check every setting now (so a bad one stops start-up); build on demand."""
    twilio, privacy, gateway = load(TwilioSettings), load(PrivacySettings), load(GatewaySettings)
    twilio.require_for_gateway()
    store_settings, institution = load(StoreSettings), load(InstitutionSettings)
    token = twilio.twilio_auth_token.get_secret_value() if twilio.twilio_auth_token else None
    public = str(twilio.public_base_url) if twilio.public_base_url else None
    signature = SignatureCheck(token, public, twilio.trusted_proxies)
    if not signature.enforced:
        log.warning(
            "DEVELOPMENT MODE: no TWILIO_AUTH_TOKEN, webhook signatures are NOT checked. "
            "Never expose this gateway to the internet."
        )
    if not twilio.rest_configured:
        log.warning(
            "TWILIO_ACCOUNT_SID or TWILIO_WHATSAPP_FROM not set: answers slower than "
            "REPLY_BUDGET_S keep the webhook waiting instead of going by the REST API"
        )
    assert privacy.sender_hash_key is not None  # the settings class fills it in development
    hash_key = privacy.sender_hash_key.get_secret_value()
    numbers = NumberCipher.from_settings(load(NumberEncryptionSettings))
    redis_url = gateway.redis_url.get_secret_value() if gateway.redis_url else None

    async def build(channels: dict[str, grpc.aio.Channel]) -> webhook.Gateway:
        store = Store(store_settings.url, store_settings.database_statement_cache)
        journal = Journal(store_settings.collegebot_state_dir)
        records = RecordWriter(store, gateway.record_queue_size, journal)
        await records.start()
        rest = None
        if twilio.rest_configured:
            assert token and twilio.twilio_account_sid and twilio.twilio_whatsapp_from
            rest = RestSender(
                twilio.twilio_account_sid,
                token,
                twilio.twilio_whatsapp_from,
                twilio.twilio_api_base_url,
            )
        return webhook.Gateway(
            signature=signature,
            rag=rag_pb2_grpc.RagStub(channels["rag"]),
            llm=llm_pb2_grpc.LlmStub(channels["llm"]),
            store=store,
            records=records,
            once=Once(store, webhook.STORE_WAIT_S, gateway.reply_budget_s, records.queued_reply),
            throttle=Throttle(gateway.rate_limit_per_sender, gateway.rate_limit_global, redis_url),
            pseudonyms=Pseudonymiser(hash_key),
            institution=institution,
            settings=gateway,
            replies=GatewayReplies.for_college(institution),
            rest=rest,
            emergencies=EmergencyDesk(
                institution.emergency_query,
                rag_lookup(rag_pb2_grpc.RagStub(channels["rag"]), EMERGENCY_LOOKUP_DEADLINE_S),
            ),
            admission=Admission(gateway.answer_concurrency, gateway.queue_size),
            answers=AnswerCache(
                gateway.answer_cache_size,
                gateway.answer_cache_ttl_s,
                store.knowledge_base_version,
                redis_url,
            ),
            numbers=numbers,
        )

    return build


async def _serving(channel: grpc.aio.Channel) -> bool:
    try:
        response = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=1.0
        )
    except grpc.aio.AioRpcError:
        return False
    return response.status == health_pb2.HealthCheckResponse.SERVING


# Shutdown, in order: uvicorn finishes the requests in flight (each answered within Twilio's
# 15 s), late answers get the llm deadline and a margin to be sent, then queued records get a
# while to reach the store. k8s/base/gateway.yaml's terminationGracePeriodSeconds covers the sum
# (tests/deploy checks it).
REQUESTS_FINISH_S = 15
LATE_ANSWER_MARGIN_S = 10
RECORDS_DRAIN_S = 10


def shutdown_budget_s(settings: GatewaySettings) -> float:
    """The longest a gateway takes to stop once asked to."""
    return REQUESTS_FINISH_S + settings.llm_deadline_s + LATE_ANSWER_MARGIN_S + RECORDS_DRAIN_S


async def _shutdown(gw: webhook.Gateway) -> None:
    """Finish late answers and write waiting records before the process goes."""
    if gw.tasks:
        await asyncio.wait(gw.tasks, timeout=gw.settings.llm_deadline_s + LATE_ANSWER_MARGIN_S)
    await gw.records.drain(timeout_s=RECORDS_DRAIN_S)
    if gw.rest is not None:
        await gw.rest.close()
    await gw.store.close()


# HTTP metrics as prometheus-fastapi-instrumentator names them, by method, route template and
# exact status: http_requests_total and http_request_duration_seconds{handler,method,status}.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15)
_HTTP_METRICS = [
    metrics.requests(should_include_handler=True, should_include_status=True),
    metrics.latency(should_include_status=True, buckets=HTTP_BUCKETS),
]


def instrument(app: FastAPI) -> None:
    """Count and time every request but the scrapes (unknown paths share the handler "none")."""
    instrumentator = Instrumentator(
        should_group_status_codes=False, excluded_handlers=["^/metrics"]
    )
    for metric in _HTTP_METRICS:
        instrumentator.add(metric)
    instrumentator.instrument(app)


def create_app() -> FastAPI:
    addresses = load(ServiceAddresses)
    build_gateway = gateway_factory()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        channels = {"rag": channel(addresses.rag_address), "llm": channel(addresses.llm_address)}
        app.state.channels = channels
        app.state.gateway = await build_gateway(channels)
        yield
        await _shutdown(app.state.gateway)
        for ch in channels.values():
            await ch.close()

    app = FastAPI(title="collegebot gateway", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(webhook.router)
    app.add_middleware(webhook.ServerTiming)
    instrument(app)
    app.mount("/metrics", make_asgi_app(metrics_registry()))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(response: Response) -> dict[str, str]:
        checks = {
            name: "serving" if await _serving(ch) else "unavailable"
            for name, ch in app.state.channels.items()
        }
        if any(v != "serving" for v in checks.values()):
            response.status_code = 503
        return checks

    return app
