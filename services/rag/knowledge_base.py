"""One object that owns the index: what the rag server and the CLI's in-process commands share."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import func, select
from threadpoolctl import threadpool_limits

from collegebot import emergency
from collegebot.settings import IndexSettings, RuntimeSettings, StoreSettings
from collegebot.store import knowledge_base_version, sync_engine
from collegebot.store.models import KnowledgeBaseDocument
from services.rag.embedder import MiniLM, MiniLMEmbeddingFunction
from services.rag.emergencies import EmergencySense, read_as_written
from services.rag.index import open_index
from services.rag.ingest import DocumentOutcome, Ingestor, Text
from services.rag.retriever import Retrieval, Retriever

log = logging.getLogger("collegebot.rag")


class KnowledgeBase:
    def __init__(
        self,
        index: IndexSettings,
        store: StoreSettings,
        data_dir: Path,
        embedding_threads: int | None = None,
    ) -> None:
        # Scoring multiplies small matrices: BLAS worker threads gain nothing there and keep
        # spinning afterwards on the two cores the next question's embedding needs (measured:
        # 10k-chunk Retrieve p95 in-process 24 ms with them, 12 ms without).
        threadpool_limits(1, user_api="blas")
        self.model = MiniLM(embedding_threads)
        self.index = open_index(index, MiniLMEmbeddingFunction(self.model))
        self.engine = sync_engine(store.url, store.database_statement_cache)
        self.ingestor = Ingestor(self.index, self.model, self.engine, data_dir)
        self.retriever = Retriever(
            self.index,
            self.model,
            index.relevance_threshold,
            index.retrieval_mode,
            version=self.version,
            keep_in=index.collegebot_state_dir / "snapshots",
        )
        self.default_k = index.retrieve_k
        self.sense = EmergencySense(self.model, index.collegebot_state_dir)

    @classmethod
    def from_settings(cls, embedding_threads: int | None = None) -> KnowledgeBase:
        from collegebot.settings import load

        runtime = load(RuntimeSettings)
        return cls(
            load(IndexSettings), load(StoreSettings), runtime.collegebot_data_dir, embedding_threads
        )

    def ingest(
        self,
        paths: list[Path] | None = None,
        progress: Callable[[str], None] = lambda _: None,
        texts: Sequence[Text] = (),
    ) -> list[DocumentOutcome]:
        """Bring the index up to date; this process's retriever answers from it at once."""
        outcomes = self.ingestor.run(paths, progress, texts)
        if any(o.status != "unchanged" for o in outcomes):
            self.retriever.refresh()
        return outcomes

    def warm(self) -> None:
        """Build what the first question would otherwise wait for: the in-memory snapshot of the
        index and the emergency descriptions' vectors (seconds on a large index, past a
        Retrieve's deadline). The rag server does this before it reports itself ready; an index
        or store unreachable now leaves it to the first question (logged)."""
        try:
            self.retriever.snapshot()
        except Exception as e:  # Chroma or the store still starting: the first question retries
            log.warning("no snapshot of the index at start (%s)", type(e).__name__)
        self.emergency("start")

    def answer(self, query: str, k: int, history: list[str]) -> tuple[Retrieval, tuple[str, float]]:
        """What Retrieve returns: the passages for `query` and its emergency reading. The
        question is embedded both ways (normalised for retrieval, as written for the emergency
        reading) in one ONNX call, the two readings then finding their vectors in the cache:
        one call of two short texts costs little more than one of either."""
        self.model.embed_queries(self.retriever.texts(query, history) + [read_as_written(query)])
        return self.retriever.retrieve(query, k, history=history), self.emergency(query)

    def emergency(self, query: str) -> tuple[str, float]:
        """The kind of emergency `query` reads like by meaning (or ""), and how closely. Read as
        the student wrote it (folded, lower case): the knowledge base's own normalisation turns
        unknown words into its nearest words, which on a small knowledge base reads alarms into
        a canteen menu."""
        return self.emergencies([query])[0]

    def emergencies(self, texts: list[str]) -> list[tuple[str, float]]:
        """`emergency` of each text, embedded together: each read whole and, when it has several,
        sentence by sentence (`emergency.readings`); the first sentence that reads as an
        emergency decides, else the whole."""
        pieces = [(t, piece) for t in texts for piece in emergency.readings(t)]
        vectors = self.model.embed_queries([read_as_written(piece) for _, piece in pieces])
        found: dict[str, list[tuple[str, float]]] = {}
        for (text, piece), v in zip(pieces, vectors, strict=True):
            found.setdefault(text, []).append(self.sense.read(v, read_as_written, piece, text))
        return [next((r for r in found[t] if r[0]), found[t][0]) for t in texts]

    def version(self) -> str:
        """What the store says the index holds: changes with every document added, changed or
        removed, whichever replica did it (they share the store as they share the index)."""
        return knowledge_base_version(self.engine)

    def document_counts(self) -> dict[str, int]:
        """Documents the store tracks, by status (indexed, failed)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(KnowledgeBaseDocument.status, func.count()).group_by(
                    KnowledgeBaseDocument.status
                )
            ).all()
        return {status: count for status, count in rows}

    def newest_ingestion(self) -> object:
        """When the store's newest document was ingested (None: no document)."""
        with self.engine.connect() as connection:
            return connection.execute(select(func.max(KnowledgeBaseDocument.ingested_at))).scalar()

    def chunk_count(self) -> int:
        return self.index.chunks.count()
