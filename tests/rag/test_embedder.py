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


def test_the_emergency_vectors_kept_between_starts_are_read_only_by_the_same_model(
    tmp_path,
) -> None:
    from services.rag.emergencies import EmergencySense, read_as_written

    model = MiniLM(1)
    calls: list[int] = []
    embed = model.embed
    model.embed = lambda texts: calls.append(len(texts)) or embed(texts)  # type: ignore[method-assign]
    question = read_as_written("my friend took too many pills and won't wake up")
    vector = model.embed([question])[0]
    calls.clear()

    first = EmergencySense(model, tmp_path).read(vector, read_as_written)
    assert calls and sum(calls) > 100  # the descriptions embedded at the first start
    assert list(tmp_path.glob("emergency-vectors-*.npy"))

    calls.clear()
    again = EmergencySense(model, tmp_path).read(vector, read_as_written)
    assert calls == [] and again == first  # the next start reads the same vectors back

    model.fingerprint = "another model"  # e.g. an upgraded model package: the file is not its
    EmergencySense(model, tmp_path).read(vector, read_as_written)
    assert sum(calls) > 100
    assert len(list(tmp_path.glob("emergency-vectors-*.npy"))) == 2

    calls.clear()
    for kept in tmp_path.glob("emergency-vectors-*.npy"):
        kept.write_bytes(b"not an array")  # a torn or foreign file is embedded anew, not trusted
    assert EmergencySense(model, tmp_path).read(vector, read_as_written)[0] == first[0]
    assert sum(calls) > 100
