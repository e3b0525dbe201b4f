"""Entry point of the llm container: `python -m services.llm`."""

import asyncio
import logging

import grpc

from collegebot.grpc_server import serve_forever
from collegebot.grpc_telemetry import client_interceptors
from collegebot.settings import (
    GroqSettings,
    InstitutionSettings,
    RuntimeSettings,
    SentrySettings,
    ServiceAddresses,
    load,
)
from collegebot.telemetry import setup_logging, setup_sentry, start_metrics_server
from collegebot.v1 import rag_pb2, rag_pb2_grpc
from collegebot.v1.common_pb2 import Passage
from services.llm.generate import GroqGenerator
from services.llm.responder import Responder
from services.llm.server import SERVICE_NAME, register

EMERGENCY_LOOKUP_DEADLINE_S = 1.0


def rag_lookup(address: str):
    """Emergency contacts come from the knowledge base: ask rag, briefly."""
    channel = grpc.aio.insecure_channel(address, interceptors=client_interceptors())
    stub = rag_pb2_grpc.RagStub(channel)

    async def lookup(query: str) -> list[Passage]:
        found = await stub.Retrieve(
            rag_pb2.RetrieveRequest(query=query), timeout=EMERGENCY_LOOKUP_DEADLINE_S
        )
        return list(found.passages)

    return lookup


def main() -> None:
    runtime, addresses, groq = load(RuntimeSettings), load(ServiceAddresses), load(GroqSettings)
    setup_logging("llm", runtime)
    setup_sentry("llm", load(SentrySettings))
    generator = GroqGenerator(groq) if groq.groq_api_key else None
    logging.getLogger("collegebot.llm").info(
        "answers from %s", f"Groq ({groq.groq_model})" if generator else "the offline answerer"
    )

    async def serve() -> None:
        responder = Responder(
            load(InstitutionSettings),
            generator,
            refine_labels=groq.groq_refine_labels,
            emergency_lookup=rag_lookup(addresses.rag_address),
        )
        await serve_forever(
            f"{addresses.bind_host}:{addresses.llm_port}", register(responder), [SERVICE_NAME]
        )

    start_metrics_server(addresses.llm_metrics_port, addresses.bind_host)
    asyncio.run(serve())


if __name__ == "__main__":
    main()
