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


def test_batched_vectors_equal_one_text_per_call_padding_ignored() -> None:
    """Texts of very different lengths share ONNX calls (padded to the longest), yet each gets
    exactly the vector it gets alone: the attention mask keeps the padding out."""
    model = MiniLM()
    texts = [("word " * n).strip() for n in (40, 1, 13, 300, 70, 2)] * 3  # unsorted, repeated
    texts += ["Hostel fees are paid each semester.", "Library: 8 am to 8 pm"]
    widths = []
    embed_batch = model._embed_batch

    def spy(encodings):
        widths.append([len(e.ids) for e in encodings])
        return embed_batch(encodings)

    model._embed_batch = spy  # type: ignore[method-assign]
    together = model.embed(texts)
    model._embed_batch = embed_batch  # type: ignore[method-assign]
    assert any(len(set(batch)) > 1 for batch in widths), "no batch mixed lengths"
    assert sum(map(len, widths)) == len(set(texts))  # each distinct text embedded once
    alone = np.stack([model.embed([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)
