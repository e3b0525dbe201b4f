"""Dense, lexical and hybrid ranking over the index of data/."""

import pytest

from services.rag.lexical import LexicalIndex
from services.rag.retriever import MODES, Retriever


def test_bm25_ranks_exact_terms_and_ignores_stopword_only_queries() -> None:
    index = LexicalIndex(
        ["fees", "library", "bus"],
        [
            "Hostel fees are Rs. 42,000 per semester.",
            "The library opens at 8 am.",
            "Route 4 bus leaves Amberpur station at 7:10 am.",
        ],
    )
    assert [cid for cid, _ in index.search("bus from amberpur station", 3)][0] == "bus"
    assert index.search("the of and", 3) == []
    assert index.search("xylophone", 3) == []
    assert LexicalIndex([], []).search("fees", 3) == []


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
        Retriever(kb.collection, kb.model, 0.3, mode="magic")
