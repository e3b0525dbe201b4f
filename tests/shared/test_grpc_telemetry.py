"""The gRPC interceptors of collegebot.grpc_telemetry on a real grpc.aio server and channel on
loopback: go-grpc-prometheus's families and labels on both sides, the status a call really ended
with, and the MessageSid carried from the caller into the handler."""

import asyncio

import grpc
import pytest
from prometheus_client import REGISTRY

from collegebot import correlation
from collegebot.grpc_telemetry import client_interceptors, server_interceptors, split_method

SERVICE = "collegebot.test.Probe"
SID = "SM" + "ab" * 16


async def _echo_sid(request: bytes, context) -> bytes:
    return correlation.current().encode()  # what the server side knows the call by


async def _not_found(request: bytes, context) -> bytes:
    await context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
    return b""


async def _bug(request: bytes, context) -> bytes:
    raise RuntimeError("a bug in the handler")


async def _slow(request: bytes, context) -> bytes:
    await asyncio.sleep(5)
    return b""


HANDLERS = {"Echo": _echo_sid, "Missing": _not_found, "Bug": _bug, "Slow": _slow}


@pytest.fixture
async def probe():
    server = grpc.aio.server(interceptors=server_interceptors())
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                SERVICE,
                {name: grpc.unary_unary_rpc_method_handler(h) for name, h in HANDLERS.items()},
            )
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}", interceptors=client_interceptors())

    async def call(method: str, timeout: float = 10) -> bytes:
        return await channel.unary_unary(f"/{SERVICE}/{method}")(b"", timeout=timeout)

    yield call
    await channel.close()
    await server.stop(None)


def sample(name: str, **labels: str) -> float:
    return (
        REGISTRY.get_sample_value(name, {"grpc_type": "unary", "grpc_service": SERVICE, **labels})
        or 0.0
    )


def test_a_method_name_splits_into_service_and_method() -> None:
    assert split_method("/collegebot.v1.Rag/Retrieve") == ("collegebot.v1.Rag", "Retrieve")
    assert split_method(b"/grpc.health.v1.Health/Check") == ("grpc.health.v1.Health", "Check")


async def test_each_call_is_counted_on_both_sides_with_the_code_it_ended_with(probe) -> None:
    before = {
        (side, method, code): sample(
            f"grpc_{side}_handled_total", grpc_method=method, grpc_code=code
        )
        for side in ("server", "client")
        for method, code in (("Echo", "OK"), ("Missing", "NOT_FOUND"), ("Bug", "UNKNOWN"))
    }
    started = sample("grpc_server_started_total", grpc_method="Echo")
    timed = sample("grpc_client_handling_seconds_count", grpc_method="Echo")

    for _ in range(3):
        await probe("Echo")
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await probe("Missing")
    assert missing.value.code() is grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as bug:
        await probe("Bug")
    assert bug.value.code() is grpc.StatusCode.UNKNOWN

    expected = {"Echo": 3, "Missing": 1, "Bug": 1}
    for (side, method, code), was in before.items():
        now = sample(f"grpc_{side}_handled_total", grpc_method=method, grpc_code=code)
        assert now - was == expected[method], (side, method, code)
    assert sample("grpc_server_started_total", grpc_method="Echo") - started == 3
    assert sample("grpc_client_handling_seconds_count", grpc_method="Echo") - timed == 3
    assert sample("grpc_server_handling_seconds_bucket", grpc_method="Echo", le="+Inf") >= 3


async def test_a_deadline_is_what_the_client_saw_and_a_cancel_what_the_server_saw(probe) -> None:
    client_was = sample(
        "grpc_client_handled_total", grpc_method="Slow", grpc_code="DEADLINE_EXCEEDED"
    )
    server_was = sample("grpc_server_handled_total", grpc_method="Slow", grpc_code="CANCELLED")
    with pytest.raises(grpc.aio.AioRpcError) as late:
        await probe("Slow", timeout=0.2)
    assert late.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    now = "grpc_client_handled_total"
    assert sample(now, grpc_method="Slow", grpc_code="DEADLINE_EXCEEDED") - client_was == 1
    for _ in range(100):  # the server notices the cancellation on its own time
        if (
            sample("grpc_server_handled_total", grpc_method="Slow", grpc_code="CANCELLED")
            > server_was
        ):
            break
        await asyncio.sleep(0.05)
    assert (
        sample("grpc_server_handled_total", grpc_method="Slow", grpc_code="CANCELLED") - server_was
        == 1
    )


async def test_the_message_sid_goes_with_the_call_and_nothing_else_does(probe) -> None:
    assert await probe("Echo") == b""  # outside a message: no correlation id
    token = correlation.bind(SID)
    try:
        assert await probe("Echo") == SID.encode()
    finally:
        correlation.unbind(token)
    assert correlation.bind("not-a-sid; DROP TABLE") is None  # only Twilio-shaped ids are taken
    assert correlation.current() == ""
