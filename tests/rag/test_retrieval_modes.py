"""Dense, lexical and hybrid ranking over the index of data/."""

import time

import numpy as np
import pytest

from services.rag.evaluation import first_hit, load_qa, throwaway_knowledge_base
from services.rag.retriever import MODES, Retriever
from tests.conftest import ROOT, SHARED_EVAL


@pytest.mark.parametrize("mode", MODES)
def test_every_mode_finds_a_plainly_worded_fact(kb, mode) -> None:
    result = kb.retriever.retrieve("library timings monday to friday", 5, mode)
    assert result.relevant
    assert any("8:00 am to 10:00 pm" in p.text for p in result.passages)
    scores = [p.score for p in result.passages]
    assert scores == sorted(scores, reverse=True)


def test_a_rare_exact_term_is_found_lexically_and_kept_by_fusion(kb) -> None:
    query = "DELNET"  # a name, not a meaning: the case BM25 is there for
    lexical = kb.retriever.retrieve(query, 3, "lexical").passages
    hybrid = kb.retriever.retrieve(query, 3, "hybrid").passages
    assert "DELNET" in lexical[0].text
    assert any("DELNET" in p.text for p in hybrid)


def test_off_topic_questions_are_not_relevant_in_any_mode(kb) -> None:
    for mode in MODES:
        assert not kb.retriever.retrieve("what is the capital of france", 5, mode).relevant


def test_unknown_mode_is_refused(kb) -> None:
    with pytest.raises(ValueError, match="hybrid"):
        Retriever(kb.index, kb.model, 0.3, mode="magic")


def test_a_follow_up_takes_its_topic_from_the_previous_question(kb) -> None:
    alone = kb.retriever.retrieve("and for the hostel?", 3).passages
    followed = kb.retriever.retrieve("and for the hostel?", 3, history=["mess fee kitni hai"])

    def fees(passages) -> bool:
        return all("fee" in p.text.lower() for p in passages)

    assert not fees(alone)  # alone, "the hostel" is anything about hostels
    assert fees(followed.passages)  # after a fee question, it is the hostel's fees
    assert "mess" in followed.passages[0].text.lower()


def test_a_new_topic_is_not_dragged_back_to_the_previous_one(kb) -> None:
    result = kb.retriever.retrieve(
        "library timings monday to friday", 3, history=["hostel fees kitni hai"]
    )
    assert "8:00 am to 10:00 pm" in result.passages[0].text


def test_a_heading_that_matches_the_question_lifts_its_sections_first_chunk(kb) -> None:
    question = "regular timings"
    top = kb.retriever.retrieve(question, 1, "dense").passages[0]
    assert top.section.endswith("2.1 Regular timings")
    vector = kb.model.embed([question])[0]
    stored = kb.index.chunks.get(ids=[top.chunk_id], include=["embeddings"])["embeddings"][0]
    heading = kb.model.embed(["2.1 Regular timings"])[0]
    assert top.score > float(vector @ stored)  # the passage alone scores lower
    assert top.score == pytest.approx(float(vector @ heading), abs=0.01)


def test_a_sentence_that_matches_the_question_lifts_its_chunk(kb) -> None:
    question = "bsc physics fee"
    top = kb.retriever.retrieve(question, 1, "dense").passages[0]
    assert "B.Sc. Physics: Rs. 28,500 per semester" in top.text  # one row of an 11-row list
    asked = kb.retriever.snapshot().lexical.normalise(question)  # what is embedded: "b.sc ..."
    vector = kb.model.embed([asked])[0]
    stored = kb.index.chunks.get(ids=[top.chunk_id], include=["embeddings"])["embeddings"][0]
    rows = kb.index.sentences.get(where={"chunk": top.chunk_id}, include=["embeddings"])
    alone = float(vector @ stored)
    best = max(float(vector @ row) for row in rows["embeddings"])
    heading = float(vector @ kb.model.embed(["1. Tuition Fee per Semester"])[0])
    assert len(rows["ids"]) >= 11 and best > alone > heading
    assert top.score == pytest.approx((alone + best) / 2, abs=0.01)


def test_dense_ranking_is_exact_over_every_chunk(kb) -> None:
    """The candidates are found by an exact search, so no chunk that belongs in the top k is
    left out, and the same question always gets the same passages."""
    snap = kb.retriever.snapshot()
    every = np.arange(len(snap.ids))
    questions = ["hostel fee for a double room", "when is the library open on sunday", "ragging"]
    for question in questions:
        vector = kb.model.embed([snap.lexical.normalise(question)])
        brute = snap.dense(every, vector)[:, 0]
        expected = [snap.ids[r] for r in np.argsort(-brute, kind="stable")[:5]]
        found = kb.retriever.retrieve(question, 5, "dense").passages
        assert [p.chunk_id for p in found] == expected
        assert [p.score for p in found] == pytest.approx(sorted(brute, reverse=True)[:5], abs=1e-5)


def test_the_snapshot_reads_the_index_a_page_at_a_time_and_misses_nothing(kb, monkeypatch) -> None:
    from services.rag import retriever

    whole = retriever._Snapshot(kb.index, kb.model.words)
    monkeypatch.setattr(retriever, "PAGE", 7)  # data/'s index is many pages of 7
    paged = retriever._Snapshot(kb.index, kb.model.words)
    assert len(paged.ids) == kb.index.chunks.count() > 7 * 10
    assert len(paged.sentences) == len(paged.sentence_texts) == kb.index.sentences.count()
    assert paged.ids == whole.ids and paged.sentence_texts == whole.sentence_texts
    assert np.array_equal(paged.embeddings, whole.embeddings)
    assert np.array_equal(paged.sentences, whole.sentences)
    assert np.array_equal(paged.heading_rows, whole.heading_rows)


def test_a_kept_snapshot_is_read_instead_of_the_index_and_only_for_its_version(
    kb, tmp_path, monkeypatch, caplog
) -> None:
    from services.rag import retriever as module

    version = ["v1"]
    first = Retriever(kb.index, kb.model, 0.25, version=lambda: version[0], keep_in=tmp_path)
    answer = first.retrieve("library timings", 3)
    assert [f.name for f in tmp_path.iterdir()] == [f"snapshot-{module.SNAPSHOT_FORMAT}-v1.npz"]
    reads = []
    read = module._read
    monkeypatch.setattr(module, "_read", lambda *a, **k: reads.append(a) or read(*a, **k))

    # A second start (another process) answers the same from the file, the index untouched.
    second = Retriever(kb.index, kb.model, 0.25, version=lambda: version[0], keep_in=tmp_path)
    again = second.retrieve("library timings", 3)
    assert reads == []
    assert [(p.chunk_id, p.text, p.sentences) for p in again.passages] == [
        (p.chunk_id, p.text, p.sentences) for p in answer.passages
    ]
    kept, read_now = second.snapshot(), module._Snapshot(kb.index, kb.model.words)
    assert kept.ids == read_now.ids and kept.sentence_texts == read_now.sentence_texts
    assert np.array_equal(kept.sentences, read_now.sentences)
    reads.clear()

    # Another version is read from the index, and only the newest file is kept.
    version[0] = "v2"
    Retriever(kb.index, kb.model, 0.25, version=lambda: version[0], keep_in=tmp_path).snapshot()
    assert reads and [f.name for f in tmp_path.iterdir()] == [
        f"snapshot-{module.SNAPSHOT_FORMAT}-v2.npz"
    ]
    reads.clear()

    # A damaged file is read from the index again (and written whole again).
    (tmp_path / f"snapshot-{module.SNAPSHOT_FORMAT}-v2.npz").write_bytes(b"not a snapshot")
    third = Retriever(kb.index, kb.model, 0.25, version=lambda: version[0], keep_in=tmp_path)
    assert [p.chunk_id for p in third.retrieve("library timings", 3).passages] == [
        p.chunk_id for p in answer.passages
    ]
    assert reads and "kept snapshot unreadable" in caplog.text
    assert module._Snapshot.load(next(tmp_path.iterdir()), kb.model.words, "v2").ids == kept.ids


def test_a_newer_version_is_built_in_the_background_while_the_old_one_answers(
    kb, monkeypatch
) -> None:
    """Another replica's ingestion must not stall this one's questions for the seconds a large
    snapshot takes to build: they are answered from the previous snapshot meanwhile."""
    import threading

    from services.rag import retriever as module

    monkeypatch.setattr(module, "VERSION_CHECK_SECONDS", 0.0)  # every question asks the store
    version = ["v1"]
    retriever = Retriever(kb.index, kb.model, 0.25, version=lambda: version[0])
    before = retriever.retrieve("library timings", 3)
    release, started = threading.Event(), threading.Event()

    class SlowSnapshot(module._Snapshot):
        def __init__(self, *args) -> None:
            started.set()
            assert release.wait(30)
            super().__init__(*args)

    monkeypatch.setattr(module, "_Snapshot", SlowSnapshot)
    old = retriever.snapshot()
    version[0] = "v2"  # what another replica's ingestion does to the store
    during = retriever.retrieve("library timings", 3)  # would hang here if built in the way
    assert started.wait(10) and retriever.snapshot() is old
    assert [p.chunk_id for p in during.passages] == [p.chunk_id for p in before.passages]
    release.set()
    for _ in range(200):
        if retriever.snapshot() is not old:
            break
        time.sleep(0.05)
    assert isinstance(retriever.snapshot(), SlowSnapshot)  # the new version replaced it


UCD_FAQ = SHARED_EVAL / "external" / "ucd_studentdesk" / "kb"


@pytest.mark.skipif(not UCD_FAQ.is_dir(), reason=f"needs the external eval data {UCD_FAQ}")
def test_hybrid_finds_at_least_what_each_mode_alone_finds_on_a_foreign_faq(tmp_path) -> None:
    # Students' paraphrases of another university's FAQ, held out from choosing the fusion: the
    # lexical side must not cost what dense alone finds on plain English over documents not ours.
    kb = throwaway_knowledge_base(UCD_FAQ, tmp_path)
    kb.ingest()
    qa = load_qa(ROOT / "tests" / "eval" / "ucd_paraphrases.jsonl")
    recall = {
        mode: sum(
            first_hit(
                kb.retriever.retrieve(line["question"], 5, mode).passages, line["expected_text"]
            )
            is not None
            for line in qa
        )
        for mode in MODES
    }
    assert recall["hybrid"] >= recall["dense"] and recall["hybrid"] >= recall["lexical"], recall
