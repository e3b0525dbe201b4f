"""BM25 over the chunks: exact terms, stopwords (English and Hinglish), typo correction."""

import numpy as np

from services.rag.lexical import LexicalIndex

TEXTS = [
    "Hostel fees are Rs. 42,000 per semester.",
    "The library opens at 8 am.",
    "Route 4 bus leaves Amberpur station at 7:10 am.",
    "Merit scholarships are awarded to the top ranked students.",
]
INDEX = LexicalIndex(["fees", "library", "bus", "scholarship"], TEXTS)


def best(query: str) -> str | None:
    scores = INDEX.match(INDEX.normalise(query)).scores
    return INDEX.ids[int(np.argmax(scores))] if scores.max() > 0 else None


def test_exact_terms_rank_their_chunk_first() -> None:
    assert best("bus from amberpur station") == "bus"


def test_queries_of_stopwords_alone_match_nothing() -> None:
    assert best("the of and") is None
    assert best("hai toh ke") is None  # Hinglish grammar words carry no topic either
    assert LexicalIndex([], []).match("fees").scores.size == 0


def test_misspelt_words_are_corrected_to_the_knowledge_bases_words() -> None:
    assert best("scholarshp") == "scholarship"  # one letter missing
    assert best("libary") == "library"
    assert INDEX.correct("hostle") == "hostel"  # two letters swapped count as one edit
    assert best("hostle fess") == "fees"
    assert INDEX.correct("xylophone") == "xylophone"  # nothing close: left alone, matches nothing
    assert best("xylophone") is None


def test_short_words_are_not_corrected_into_other_words() -> None:
    assert INDEX.correct("bag") == "bag"  # "bus" is two edits away; short words need one


def test_short_forms_are_expanded_to_the_knowledge_bases_words() -> None:
    assert INDEX.correct("schol") == "scholarships"  # begins a word of the knowledge base
    assert INDEX.normalise("mech sem fees") == "mechanical semester fees"  # college short forms
    assert INDEX.normalise("i cant pay") == "i cannot pay"  # texted without the apostrophe
    assert INDEX.correct("xyz") == "xyz"


def test_coverage_is_the_share_of_the_questions_weight_a_chunk_holds() -> None:
    assert INDEX.match("hostel fees semester").coverage[0] == 1.0  # every word
    halves = INDEX.match("hostel library").coverage  # one word each, equally rare
    assert halves[0] == halves[1] and 0.4 < halves[0] < 0.6 and halves[2] == 0
    unknown = INDEX.match("hostel fees zebra")  # a word no chunk uses still counts against it
    assert 0.5 < unknown.coverage[0] < 1
    many = LexicalIndex(["a", "b", "c"], ["fees hostel", "fees bus", "fees library"])
    common_and_rare = many.match("fees hostel").coverage  # "fees" is everywhere: weighs less
    assert common_and_rare[0] == 1.0 and 0 < common_and_rare[1] < 0.5


def test_hinglish_words_are_read_in_english() -> None:
    assert INDEX.normalise("library kab khulti hai") == "library when open"
    assert best("kitab kab milegi") is None  # "book", "when", "get": none of them indexed
    assert best("bus kahan se milegi") == "bus"


def test_a_query_is_read_as_it_looks() -> None:
    """A phone's fullwidth keyboard, a Cyrillic look-alike or a zero-width space pasted with the
    text: the same words to retrieval (embedded and matched) as the plain ones."""
    assert INDEX.normalise("ｈｏｓｔｅｌ ｆｅｅｓ") == "hostel fees"
    assert INDEX.normalise("h\u043estel fe\u200bes") == "hostel fees"  # Cyrillic o, zero width
    assert best("ｌｉｂｒａｒｙ") == "library"


def test_dictionary_words_are_never_corrected() -> None:
    assert INDEX.correct("fess") == "fees"
    careful = LexicalIndex(["fees"], TEXTS[:1], dictionary=frozenset({"fess"}))
    assert careful.correct("fess") == "fess"  # a real word, though one edit from "fees"
