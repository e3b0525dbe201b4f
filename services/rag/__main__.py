"""Entry point of the rag container: `python -m services.rag`."""

import asyncio

from collegebot.grpc_server import serve_forever
from collegebot.settings import RuntimeSettings, SentrySettings, ServiceAddresses, load
from collegebot.telemetry import setup_logging, setup_sentry, start_metrics_server
from services.rag.knowledge_base import KnowledgeBase
from services.rag.server import SERVICE_NAME, register


def main() -> None:
    runtime, addresses = load(RuntimeSettings), load(ServiceAddresses)
    setup_logging("rag", runtime)
    setup_sentry("rag", load(SentrySettings))
    # One thread per embedding: questions arrive from several threads at once.
    kb = KnowledgeBase.from_settings(embedding_threads=1)
    # Ready means able to answer within the deadline: nothing listens (so the readiness probe
    # and `collegebot up` wait) until the first question has nothing left to build.
    kb.warm()
    start_metrics_server(addresses.rag_metrics_port, addresses.bind_host)
    asyncio.run(
        serve_forever(f"{addresses.bind_host}:{addresses.rag_port}", register(kb), [SERVICE_NAME])
    )


if __name__ == "__main__":
    main()
