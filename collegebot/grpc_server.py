"""What both gRPC services share: an aio server with standard health and reflection, run until a
signal, then drained."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from collegebot.grpc_telemetry import server_interceptors

log = logging.getLogger("collegebot.grpc")

# Clients reconnect, and so look the name up again, at least every few minutes: replicas added
# since (scaling out) then get their share of calls. In-flight calls get a grace period.
SERVER_OPTIONS = [
    ("grpc.max_connection_age_ms", 5 * 60 * 1000),
    ("grpc.max_connection_age_grace_ms", 30 * 1000),
]


async def start_server(
    address: str,
    register: Callable[[grpc.aio.Server], None],
    service_names: Sequence[str],
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    """Start a server on `address` ("host:port"; port 0 picks one) serving health and reflection.

    Returns the server, the bound port and the health servicer (SERVING for every service).
    """
    # Metrics and the correlation id first, so they see every call as the client did.
    server = grpc.aio.server(
        interceptors=[*server_interceptors(), *interceptors], options=SERVER_OPTIONS
    )
    register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    port = server.add_insecure_port(address)
    await server.start()
    for name in ("", *service_names):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return server, port, health_servicer


async def serve_forever(
    address: str,
    register: Callable[[grpc.aio.Server], None],
    service_names: Sequence[str],
    grace_s: float = 5.0,
) -> None:
    """Serve until SIGINT/SIGTERM, then report NOT_SERVING and drain in-flight calls."""
    server, port, health_servicer = await start_server(address, register, service_names)
    log.info("listening on %s (port %d)", address, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await health_servicer.enter_graceful_shutdown()
    await server.stop(grace_s)
    log.info("stopped")
