"""gRPC metrics with the ecosystem's names, and the MessageSid carried from call to call.

The families and labels are go-grpc-prometheus's (and py-grpc-prometheus's), so the standard
gRPC dashboards and alerts work unchanged: `grpc_server_started_total`,
`grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}`,
`grpc_server_handling_seconds` (histogram), `grpc_server_msg_received_total`,
`grpc_server_msg_sent_total`, and the same with `grpc_client_`. py-grpc-prometheus has no
grpc.aio interceptors (its asyncio issue is open), so these are ours: one server interceptor for
rag and llm, one client interceptor for the gateway's channels and llm's rag client.

The client interceptor also sends the correlation id (collegebot.correlation) in metadata, and
the server interceptor binds it for the call and logs one line per call (never the request).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from collegebot import correlation

log = logging.getLogger("collegebot.grpc")

_CALL = ["grpc_type", "grpc_service", "grpc_method"]
_DONE = [*_CALL, "grpc_code"]

SERVER_STARTED = Counter("grpc_server_started_total", "RPCs started on the server", _CALL)
SERVER_HANDLED = Counter(
    "grpc_server_handled_total", "RPCs completed on the server, whatever their status", _DONE
)
SERVER_SECONDS = Histogram(
    "grpc_server_handling_seconds", "Time the server took to handle an RPC", _CALL
)
SERVER_RECEIVED = Counter(
    "grpc_server_msg_received_total", "Stream messages received by the server", _CALL
)
SERVER_SENT = Counter("grpc_server_msg_sent_total", "Stream messages sent by the server", _CALL)

CLIENT_STARTED = Counter("grpc_client_started_total", "RPCs started by the client", _CALL)
CLIENT_HANDLED = Counter(
    "grpc_client_handled_total", "RPCs completed by the client, whatever their status", _DONE
)
CLIENT_SECONDS = Histogram(
    "grpc_client_handling_seconds", "Time until the client had the RPC's status", _CALL
)
CLIENT_RECEIVED = Counter(
    "grpc_client_msg_received_total", "Stream messages received by the client", _CALL
)
CLIENT_SENT = Counter("grpc_client_msg_sent_total", "Stream messages sent by the client", _CALL)


def split_method(method: str | bytes) -> tuple[str, str]:
    """ "/collegebot.v1.Rag/Retrieve" -> ("collegebot.v1.Rag", "Retrieve")."""
    text = method.decode() if isinstance(method, bytes) else method
    service, _, name = text.lstrip("/").rpartition("/")
    return service or "unknown", name


def _code_name(code: Any) -> str:
    return code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"


def _metadata_value(metadata: Any, key: str) -> str:
    for item in metadata or ():
        name, value = item[0], item[1]
        if name == key:
            return value.decode() if isinstance(value, bytes) else str(value)
    return ""


class ServerTelemetry(grpc.aio.ServerInterceptor):
    """Counts and times every RPC the server handles, and binds its MessageSid."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return handler
        service, method = split_method(details.method)
        sid = _metadata_value(details.invocation_metadata, correlation.METADATA_KEY)
        quiet = service.startswith("grpc.")  # health probes and reflection: counted, not logged
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, "unary", service, method, sid, quiet),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(handler.unary_stream, service, method, sid),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler  # client streams: none of our services has one (reflection passes through)

    @staticmethod
    def _unary(inner, kind: str, service: str, method: str, sid: str, quiet: bool):
        labels = (kind, service, method)

        async def handled(request: Any, context: grpc.aio.ServicerContext) -> Any:
            token = correlation.bind(sid)
            SERVER_STARTED.labels(*labels).inc()
            SERVER_RECEIVED.labels(*labels).inc()
            started = time.perf_counter()
            code = "OK"
            try:
                response = await inner(request, context)
                SERVER_SENT.labels(*labels).inc()
                code = _code_name(context.code()) if context.code() is not None else "OK"
                return response
            except BaseException as e:
                code = _status_of(e, context)
                raise
            finally:
                seconds = time.perf_counter() - started
                SERVER_HANDLED.labels(*labels, code).inc()
                SERVER_SECONDS.labels(*labels).observe(seconds)
                if not quiet:
                    log.info(
                        "rpc handled",
                        extra={"grpc_method": method, "grpc_code": code, "ms": seconds * 1000},
                    )
                correlation.unbind(token)

        return handled

    @staticmethod
    def _streaming(inner, service: str, method: str, sid: str):
        labels = ("server_stream", service, method)

        async def handled(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            token = correlation.bind(sid)
            SERVER_STARTED.labels(*labels).inc()
            SERVER_RECEIVED.labels(*labels).inc()
            started = time.perf_counter()
            code = "OK"
            try:
                async for response in inner(request, context):
                    SERVER_SENT.labels(*labels).inc()
                    yield response
            except BaseException as e:
                code = _status_of(e, context)
                raise
            finally:
                SERVER_HANDLED.labels(*labels, code).inc()
                SERVER_SECONDS.labels(*labels).observe(time.perf_counter() - started)
                correlation.unbind(token)

        return handled


def _status_of(error: BaseException, context: grpc.aio.ServicerContext) -> str:
    """The status an RPC that raised ends with: the one `context.abort` set, CANCELLED when the
    client went away (or its deadline passed), else UNKNOWN (what gRPC sends for a bug)."""
    import asyncio

    code = context.code()
    if isinstance(code, grpc.StatusCode) and code is not grpc.StatusCode.OK:
        return code.name
    if isinstance(error, asyncio.CancelledError):
        return "CANCELLED"
    return "UNKNOWN"


class ClientTelemetry(grpc.aio.UnaryUnaryClientInterceptor):
    """Counts and times every unary call a channel makes, and sends the MessageSid along."""

    async def intercept_unary_unary(self, continuation, client_call_details, request):
        service, method = split_method(client_call_details.method)
        labels = ("unary", service, method)
        details = client_call_details
        sid = correlation.current()
        if sid:
            metadata = grpc.aio.Metadata(*(tuple(details.metadata or ())))
            metadata.add(correlation.METADATA_KEY, sid)
            details = grpc.aio.ClientCallDetails(
                details.method,
                details.timeout,
                metadata,
                details.credentials,
                details.wait_for_ready,
            )
        CLIENT_STARTED.labels(*labels).inc()
        CLIENT_SENT.labels(*labels).inc()
        started = time.perf_counter()
        call = await continuation(details, request)
        code = await call.code()  # waits for the status; the caller still reads the response
        CLIENT_HANDLED.labels(*labels, _code_name(code)).inc()
        CLIENT_SECONDS.labels(*labels).observe(time.perf_counter() - started)
        if code is grpc.StatusCode.OK:
            CLIENT_RECEIVED.labels(*labels).inc()
        return call


_CLIENT = ClientTelemetry()
_SERVER = ServerTelemetry()


def client_interceptors() -> list[grpc.aio.ClientInterceptor]:
    """What every channel of ours is opened with."""
    return [_CLIENT]


def server_interceptors() -> list[grpc.aio.ServerInterceptor]:
    """What every server of ours runs first."""
    return [_SERVER]
