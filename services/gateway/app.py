"""Wiring of the gateway: settings, gRPC channels, store, health and metrics around the webhook."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import asynccontextmanager

import grpc
from fastapi import FastAPI, Response
from grpc_health.v1 import health_pb2, health_pb2_grpc
from limits import parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter
from prometheus_client import make_asgi_app

from collegebot.privacy import Pseudonymiser
from collegebot.settings import (
    GatewaySettings,
    InstitutionSettings,
    PrivacySettings,
    ServiceAddresses,
    StoreSettings,
    TwilioSettings,
    load,
)
from collegebot.store import Store
from collegebot.v1 import llm_pb2_grpc, rag_pb2_grpc
from services.gateway import webhook
from services.gateway.twilio_io import SignatureCheck

log = logging.getLogger("collegebot.gateway")
WEBHOOK_PATH = "/webhook/whatsapp"


def gateway_factory() -> Callable[[dict[str, grpc.aio.Channel]], webhook.Gateway]:
    """Read and check every setting now (so a bad one stops start-up); build on demand."""
    twilio, privacy, gateway = load(TwilioSettings), load(PrivacySettings), load(GatewaySettings)
    twilio.require_for_gateway()
    store_url, institution = load(StoreSettings).url, load(InstitutionSettings)
    token = twilio.twilio_auth_token.get_secret_value() if twilio.twilio_auth_token else None
    signature = SignatureCheck(token, twilio.webhook_url(WEBHOOK_PATH))
    if not signature.enforced:
        log.warning(
            "DEVELOPMENT MODE: no TWILIO_AUTH_TOKEN, webhook signatures are NOT checked. "
            "Never expose this gateway to the internet."
        )
    assert privacy.sender_hash_key is not None  # the settings class fills it in development
    hash_key = privacy.sender_hash_key.get_secret_value()

    def build(channels: dict[str, grpc.aio.Channel]) -> webhook.Gateway:
        return webhook.Gateway(
            signature=signature,
            rag=rag_pb2_grpc.RagStub(channels["rag"]),
            llm=llm_pb2_grpc.LlmStub(channels["llm"]),
            store=Store(store_url),
            pseudonyms=Pseudonymiser(hash_key),
            institution=institution,
            settings=gateway,
            limiter=MovingWindowRateLimiter(MemoryStorage()),
            per_sender=parse(gateway.rate_limit_per_sender),
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


def create_app() -> FastAPI:
    addresses = load(ServiceAddresses)
    build_gateway = gateway_factory()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        channels = {
            "rag": grpc.aio.insecure_channel(addresses.rag_address),
            "llm": grpc.aio.insecure_channel(addresses.llm_address),
        }
        app.state.channels = channels
        app.state.gateway = build_gateway(channels)
        yield
        await app.state.gateway.store.close()
        for channel in channels.values():
            await channel.close()

    app = FastAPI(title="collegebot gateway", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(webhook.router)
    app.mount("/metrics", make_asgi_app())

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
