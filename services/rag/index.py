"""The vector index: an embedded Chroma directory, or a Chroma server when CHROMA_HOST is set."""

from __future__ import annotations

import chromadb
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaClientSettings

from collegebot.settings import IndexSettings
from services.rag.embedder import MiniLMEmbeddingFunction


def open_collection(settings: IndexSettings, embedding: MiniLMEmbeddingFunction) -> Collection:
    """The knowledge-base collection, created if missing (cosine distance)."""
    client_settings = ChromaClientSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        client = chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=client_settings
        )
    else:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(settings.chroma_path), settings=client_settings)
    # Always pass our embedding function: without it Chroma falls back to one that downloads.
    return client.get_or_create_collection(
        settings.chroma_collection,
        embedding_function=embedding,  # type: ignore[arg-type]
        metadata={"hnsw:space": "cosine"},
    )
