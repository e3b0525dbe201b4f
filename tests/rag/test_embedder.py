"""The local ONNX MiniLM: right shape, unit length, and meaning-aware."""

import numpy as np

from services.rag.embedder import DIMENSIONS, MiniLM


def test_vectors_are_unit_length_and_similar_texts_are_closer() -> None:
    model = MiniLM()
    v = model.embed(
        [
            "When is the last date to pay the semester fee?",
            "fee payment deadline for this semester",
            "The football ground is behind the mechanical workshop.",
        ]
    )
    assert v.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > 0.5 > v[0] @ v[2]


def test_batching_by_length_keeps_each_text_with_its_own_vector() -> None:
    model = MiniLM()
    texts = [("word " * n).strip() for n in (40, 1, 13, 70, 2)] * 10  # several batches, unsorted
    together = model.embed(texts)
    alone = np.stack([model.embed([t])[0] for t in texts[:5]])
    assert np.allclose(together[:5], alone, atol=1e-3)
