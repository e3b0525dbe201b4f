"""The gateway spreads its calls over every rag (or llm) replica its address resolves to: behind a
headless Kubernetes Service, scaling rag or llm out must take load off the others."""

from __future__ import annotations

import collections

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from collegebot.grpc_client import channel
from collegebot.grpc_server import start_server


class Arrivals(grpc.aio.ServerInterceptor):
    """Counts every call that reaches one server."""

    def __init__(self, counts: collections.Counter, name: str) -> None:
        self.counts, self.name = counts, name

    async def intercept_service(self, continuation, details):
        self.counts[self.name] += 1
        return await continuation(details)


async def test_calls_are_spread_over_every_resolved_replica() -> None:
    counts: collections.Counter[str] = collections.Counter()
    servers, ports = [], []
    for name in ("a", "b"):
        server, port, _ = await start_server(
            "127.0.0.1:0", lambda _: None, [], [Arrivals(counts, name)]
        )
        servers.append(server)
        ports.append(port)
    # One name resolving to two addresses, as a headless Service's DNS name does.
    ch = channel("ipv4:" + ",".join(f"127.0.0.1:{p}" for p in ports))
    try:
        stub = health_pb2_grpc.HealthStub(ch)
        for _ in range(20):
            await stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
    finally:
        await ch.close()
        for server in servers:
            await server.stop(None)
    assert counts["a"] + counts["b"] == 20
    assert counts["a"] >= 5 and counts["b"] >= 5, counts
