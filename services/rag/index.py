"""The vector index: an embedded Chroma directory, or a Chroma server when CHROMA_HOST is set.

Three collections: the chunks, the section headings embedded on their own (a short question
matches a short heading better than the long passage under it), and the chunks' lines and
sentences embedded on their own (a question about one row of a list matches that row).
"""

from __future__ import annotations

from dataclasses import dataclass

import chromadb
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaClientSettings

from collegebot.settings import IndexSettings
from services.rag.embedder import MiniLMEmbeddingFunction


@dataclass(frozen=True)
class Index:
    chunks: Collection
    headings: Collection  # id: the section's first chunk; document: the heading line
    sentences: Collection  # metadata "chunk": the chunk a line or sentence belongs to

    def delete_source(self, source: str) -> None:
        for collection in (self.chunks, self.headings, self.sentences):
            collection.delete(where={"source": source})

    def holds(self, source: str) -> bool:
        """Whether any chunk of `source` is in the index (a lost index holds none)."""
        return bool(self.chunks.get(where={"source": source}, limit=1, include=[])["ids"])


def open_index(settings: IndexSettings, embedding: MiniLMEmbeddingFunction) -> Index:
    """The knowledge-base collections, created if missing (cosine distance)."""
    client_settings = ChromaClientSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        client = chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=client_settings
        )
    else:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(settings.chroma_path), settings=client_settings)

    def collection(name: str) -> Collection:
        # Always pass our embedding function: without it Chroma falls back to one that downloads.
        return client.get_or_create_collection(
            name,
            embedding_function=embedding,  # type: ignore[arg-type]
            metadata={"hnsw:space": "cosine"},
        )

    name = settings.chroma_collection
    return Index(
        chunks=collection(name),
        headings=collection(f"{name}-headings"),
        sentences=collection(f"{name}-sentences"),
    )
