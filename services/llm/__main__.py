"""Entry point of the llm container: `python -m services.llm`."""

import asyncio
import logging

from collegebot.emergency import rag_lookup
from collegebot.grpc_client import channel
from collegebot.grpc_server import serve_forever
from collegebot.settings import (
    GroqSettings,
    InstitutionSettings,
    RuntimeSettings,
    SentrySettings,
    ServiceAddresses,
    load,
)
from collegebot.telemetry import setup_logging, setup_sentry, start_metrics_server
from collegebot.v1 import rag_pb2_grpc
from services.llm.generate import ChatGenerator
from services.llm.responder import Responder
from services.llm.server import SERVICE_NAME, register

EMERGENCY_LOOKUP_DEADLINE_S = 1.0


def main() -> None:
    runtime, addresses, groq = load(RuntimeSettings), load(ServiceAddresses), load(GroqSettings)
    setup_logging("llm", runtime)
    setup_sentry("llm", load(SentrySettings))
    generator = ChatGenerator(groq) if groq.enabled else None
    logging.getLogger("collegebot.llm").info(
        "answers from %s",
        f"{generator.name} ({generator.model})" if generator else "the offline answerer",
    )

    async def serve() -> None:
        responder = Responder(
            load(InstitutionSettings),
            generator,
            refine_labels=groq.groq_refine_labels,
            emergency_lookup=rag_lookup(
                rag_pb2_grpc.RagStub(channel(addresses.rag_address)),
                EMERGENCY_LOOKUP_DEADLINE_S,
            ),
        )
        await serve_forever(
            f"{addresses.bind_host}:{addresses.llm_port}", register(responder), [SERVICE_NAME]
        )

    start_metrics_server(addresses.llm_metrics_port, addresses.bind_host)
    asyncio.run(serve())


if __name__ == "__main__":
    main()
