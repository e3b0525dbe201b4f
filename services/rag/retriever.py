"""Finding the passages that answer a question."""

from __future__ import annotations

from dataclasses import dataclass

from chromadb.api.models.Collection import Collection

from services.rag.embedder import MiniLM


@dataclass(frozen=True)
class Passage:
    chunk_id: str
    text: str
    source: str
    title: str
    section: str
    page: int
    score: float


@dataclass(frozen=True)
class Retrieval:
    passages: list[Passage]
    relevant: bool  # False: the best passage is too weak to answer from


class Retriever:
    """Dense retrieval over the collection, with a "nothing relevant" signal."""

    def __init__(self, collection: Collection, model: MiniLM, threshold: float) -> None:
        self.collection = collection
        self.model = model
        self.threshold = threshold

    def retrieve(self, query: str, k: int) -> Retrieval:
        count = self.collection.count()
        if not query.strip() or count == 0:
            return Retrieval([], False)
        vector = self.model.embed([query])
        result = self.collection.query(
            query_embeddings=vector,
            n_results=min(k, count),
            include=["documents", "metadatas", "distances"],
        )
        passages = [
            Passage(
                chunk_id=cid,
                text=text,
                source=str(meta["source"]),
                title=str(meta["title"]),
                section=str(meta["section"]),
                page=int(str(meta["page"])),
                score=1.0 - float(distance),  # cosine distance -> similarity
            )
            for cid, text, meta, distance in zip(
                result["ids"][0],
                (result["documents"] or [[]])[0],
                (result["metadatas"] or [[]])[0],
                (result["distances"] or [[]])[0],
                strict=True,
            )
        ]
        return Retrieval(passages, bool(passages) and passages[0].score >= self.threshold)
