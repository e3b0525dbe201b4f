"""The one way our services open a gRPC channel to another (gateway → rag and llm, llm → rag)."""

from __future__ import annotations

import json

import grpc

from collegebot.grpc_telemetry import client_interceptors

# Calls that fail before reaching rag or llm (a restarting pod) are tried again by gRPC itself,
# within each call's deadline. Round robin over every address the name resolves to: behind a
# headless Kubernetes Service that is every ready replica (one long-lived HTTP/2 connection
# through a ClusterIP would pin this gateway to one of them, and scaling rag or llm out would
# not spread the load).
SERVICE_CONFIG = json.dumps(
    {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [
            {
                "name": [{"service": "collegebot.v1.Rag"}, {"service": "collegebot.v1.Llm"}],
                "retryPolicy": {
                    "maxAttempts": 3,
                    "initialBackoff": "0.05s",
                    "maxBackoff": "0.5s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ],
    }
)

# While a server is down every call fails at once (UNAVAILABLE: the polite degraded reply) and
# gRPC tries to reconnect with a backoff that grows by 1.6x from 1 s up to 120 s by default: a
# rag down for half a minute was then waited for up to 20 s more after it was back, with every
# student told "can't reach the handbook" meanwhile. A connection attempt on a private network
# costs next to nothing, so try at least once a second; a restarted server is found within it.
RECONNECT_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 1000),
]


OPTIONS = [("grpc.enable_retries", 1), ("grpc.service_config", SERVICE_CONFIG), *RECONNECT_OPTIONS]


def channel(address: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(address, options=OPTIONS, interceptors=client_interceptors())


def sync_channel(address: str) -> grpc.Channel:
    """The same, for a caller without an event loop (the dashboard's callbacks)."""
    return grpc.insecure_channel(address, options=OPTIONS)


def health(address: str, timeout_s: float = 1.0) -> tuple[bool, str]:
    """Whether the server at `address` says SERVING to the standard health check, within the
    deadline: (serving, the status or the gRPC code when it did not answer)."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(address) as probe:
        try:
            reply = health_pb2_grpc.HealthStub(probe).Check(
                health_pb2.HealthCheckRequest(), timeout=timeout_s
            )
        except grpc.RpcError as e:
            return False, e.code().name  # type: ignore[attr-defined]
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    return reply.status == health_pb2.HealthCheckResponse.SERVING, status
