"""A channel reaches a restarted server again within a few calls, however long it was down:
gRPC's default reconnect backoff (1 s growing 1.6x to 120 s) left the gateway telling students
"can't reach the handbook" for many seconds after rag was back."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from collegebot.grpc_client import channel
from collegebot.grpc_server import start_server

DOWN_ATTEMPTS = 6  # reconnections refused while down: the default backoff is then past 10 s
CALL_EVERY_S = 0.05  # a student's message every 50 ms, as on a busy afternoon


async def test_a_restarted_server_is_answered_again_within_a_bounded_number_of_calls() -> None:
    server, port, _ = await start_server("127.0.0.1:0", lambda _: None, [])
    ch = channel(f"127.0.0.1:{port}")
    stub = health_pb2_grpc.HealthStub(ch)

    async def answered() -> bool:
        try:
            await stub.Check(health_pb2.HealthCheckRequest(), timeout=2)
        except grpc.aio.AioRpcError:
            return False
        return True

    attempts = 0

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal attempts
        attempts += 1
        writer.close()

    try:
        assert await answered()
        await server.stop(None)
        # Down: something on the port that is no gRPC server (a pod still starting), counting
        # the channel's attempts to reconnect; every call meanwhile fails at once.
        listener = await asyncio.start_server(refuse, "127.0.0.1", port)
        calls = 0
        while attempts < DOWN_ATTEMPTS:
            assert not await answered()
            calls += 1
            assert calls < 2000, f"only {attempts} reconnection attempts"
            await asyncio.sleep(CALL_EVERY_S)
        listener.close()
        await listener.wait_closed()
        server, _, _ = await start_server(f"127.0.0.1:{port}", lambda _: None, [])
        # Back: answered within about a second of calls (the longest backoff, 1 s, is 20
        # calls; the default would be past 200).
        failed = 0
        while not await answered():
            failed += 1
            assert failed <= 60, "still not reconnected after 60 calls"
            await asyncio.sleep(CALL_EVERY_S)
    finally:
        await ch.close()
        await server.stop(None)
