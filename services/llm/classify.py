"""Offline classification of a student's message: intent, sentiment and urgency.

Keyword rules over the folded, lower-cased message (typos within one edit of a long keyword
still count), VADER for sentiment with a few Hinglish words added, and phrase rules for
emergencies. Fast, predictable, no model; Groq may refine the labels, but this path stands alone.

Urgency: critical = someone's life, safety or wellbeing is at risk now (self-harm, harassment or
ragging happening, a medical or safety emergency); high = a time-critical problem (a deadline
today, locked out before an exam, lost ID); low = greetings and thanks; normal = the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from collegebot.emergency import normalise, reply_kind, screen

# Topics follow the knowledge base's documents; the rest are conversational. A keyword matches at
# the start of a word ("admission" matches "admissions"); keywords of three letters or fewer
# match whole words only.
# fmt: off
TOPICS: dict[str, tuple[str, ...]] = {
    "admissions": (
        "admission", "apply", "application", "eligib", "entrance", "seat", "cap round",
        "merit list", "lateral entry", "document verification", "cet", "jee", "cutoff", "cut off",
        "intake", "enrol", "enroll",
    ),
    "fees": (
        "fee", "payment", "pay", "refund", "instalment", "installment", "challan", "receipt",
        "late fine", "dues", "paisa", "paise", "shulk", "bharna", "bharni", "neft",
        "education loan",
    ),
    "calendar": (
        "calendar", "holiday", "vacation", "chutti", "chhutti", "semester start", "sem start",
        "reopen", "fest", "diwali", "convocation", "orientation", "classes begin", "last working",
        "sports meet", "ptm", "working day", "saturday",
    ),
    "exams": (
        "exam", "grade", "cgpa", "sgpa", "result", "revaluation", "reval", "marks", "backlog",
        "supplementary", "hall ticket", "admit card", "mst", "end sem", "endsem", "paper",
        "grading", "pass", "fail", "kt", "atkt", "transcript", "re-exam", "reexam", "pariksha",
        "malpractice", "copying",
    ),
    "attendance": (
        "attendance", "absent", "leave", "condonation", "condone", "detain", "debar", "bunk",
        "proxy", "medical certificate", "shortage", "75%", "75 percent",
    ),
    "hostel": (
        "hostel", "room", "mess", "warden", "curfew", "in-time", "in time", "roommate", "food",
        "khana", "laundry", "kamra", "guest", "night out", "outpass", "out pass",
    ),
    "library": ("library", "book", "borrow", "librar", "journal", "opac", "kitab", "reading room"),
    "scholarships": (
        "scholarship", "scholarshp", "financial aid", "freeship", "stipend", "concession",
        "fee waiver", "mahadbt", "nsp", "merit award",
    ),
    "placements": (
        "placement", "job", "internship", "intern", "company", "companies", "recruit", "package",
        "ctc", "lpa", "offer letter", "naukri", "resume", "campus drive", "tpo", "dream offer",
    ),
    "it_services": (
        "wifi", "wi-fi", "internet", "password", "email id", "e-mail id", "login", "log in",
        "portal", "network", "laptop", "erp", "kvc connect", "lms", "moodle", "vpn", "printer",
        "printing", "software", "license", "eduroam", "netreg", "otp",
    ),
    "transport": (
        "bus", "buses", "transport", "route", "pickup", "pick up", "drop", "pass", "shuttle",
        "vehicle", "parking", "gaadi", "gadi", "two wheeler", "bike",
    ),
    "welfare": (
        "counsel", "stress", "anxiety", "anxious", "depress", "mental", "doctor", "medical",
        "health", "sick", "bimar", "beemar", "insurance", "lonely", "homesick", "therapy",
        "wellness", "medicine", "dawai", "clinic", "disab",
    ),
    "conduct": (
        "ragging", "ragged", "conduct", "discipline", "disciplin", "harass", "bully", "dress code",
        "alcohol", "daru", "smoking", "drugs", "fight", "misconduct", "suspension", "suspend",
        "anti-ragging", "affidavit", "mobile phone", "id card",
    ),
    "contacts": (
        "contact", "phone number", "number of", "email of", "e-mail of", "office", "whom to",
        "who do i", "who should i", "kisko", "kiske", "helpline", "where is", "kahan hai",
        "room no", "hod", "number", "ambulance", "mobile no",
    ),
}
GREETINGS = (
    "hi", "hii", "hiii", "hello", "helo", "hey", "heyy", "namaste", "namaskar", "good morning",
    "good afternoon", "good evening", "gm", "hola", "yo", "sup", "kaise ho", "hello bot",
)
THANKS = (
    "thanks", "thank you", "thank u", "thanku", "thnx", "thx", "ty", "tysm", "dhanyavad",
    "shukriya", "great help", "ok thanks", "okay thanks", "ok thank you", "thanks a lot", "got it",
)
HUMAN = (
    "human", "agent", "real person", "talk to someone", "speak to someone", "talk to a person",
    "speak to a person", "staff member", "connect me to", "call me back", "callback",
    "someone from the office", "not a bot", "insaan", "koi banda", "actual person",
)
COMPLAINT = (
    "complain", "complaint", "not working", "doesn't work", "does not work", "worst", "useless",
    "pathetic", "fed up", "no response", "no one respond", "nobody respond", "nobody is",
    "no one is", "bakwas", "bekar", "ghatiya", "unfair", "ridiculous", "disgusting", "still not",
    "kab tak", "since days", "since 3", "since two", "since three", "shikayat", "not resolved",
    "not solved", "terrible", "horrible",
)

HIGH = re.compile(
    r"\b(urgent|urgently|asap|immediately|right now|today itself|aaj hi|abhi|jaldi|"
    r"deadline (is )?today|last date (is )?today|exam (is )?tomorrow|tomorrow('s)? exam|"
    r"kal exam|lost my|stolen|chori|locked out|can'?t (log ?in|login)|fever|sick|bimar|"
    r"injured|missed (my|the) (exam|bus)|khoya|kho gaya|kho gayi)\b"
)

# fmt: on
_SENTIMENT = SentimentIntensityAnalyzer()
# VADER knows English; these are the Hinglish and texting words students use for feelings.
# fmt: off
_SENTIMENT.lexicon.update(
    {
        "bakwas": -2.5, "bekar": -2.0, "ghatiya": -3.0, "bura": -2.0, "pareshan": -2.0,
        "tension": -1.5, "dukhi": -2.0, "gussa": -2.0, "fed": -1.0, "worst": -3.1,
        "accha": 1.8, "acha": 1.8, "badhiya": 2.5, "mast": 2.0, "shukriya": 2.0,
        "dhanyavad": 2.0, "thanku": 2.0, "thnx": 1.8, "thx": 1.8, "tysm": 2.5,
        "pathetic": -3.0, "unfair": -2.1, "useless": -2.0, "not working": -1.5,
        "stuck": -1.2, "struggling": -1.8, "scared": -2.0, "worried": -1.8, "stressed": -2.0,
    }
)
# fmt: on

# VADER's own cut (0.05) calls "please" and "ok" positive; 0.2 was chosen on the dev split.
SENTIMENT_CUT = 0.2
INTENTS = (*TOPICS, "greeting", "thanks", "complaint", "human_request", "other")
URGENCIES = ("low", "normal", "high", "critical")
SENTIMENTS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Labels:
    intent: str
    sentiment: str
    sentiment_score: float  # VADER's compound score: -1 (negative) .. 1 (positive)
    urgency: str  # low | normal | high | critical
    emergency: str = ""  # for critical: self_harm | harassment | medical | safety


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    parts = [re.escape(w) + (r"\b" if len(w) <= 3 else "") for w in words]
    return re.compile(r"(?<![\w])(?:" + "|".join(parts) + ")")


_TOPIC_PATTERNS = {name: _pattern(words) for name, words in TOPICS.items()}
_TOPIC_WORDS = {w: name for name, words in TOPICS.items() for w in words if " " not in w}
_FUZZY_KEYWORDS = [w for w in _TOPIC_WORDS if len(w) >= 6]
_GREETING, _THANKS = _pattern(GREETINGS), _pattern(THANKS)
_HUMAN, _COMPLAINT = _pattern(HUMAN), _pattern(COMPLAINT)
_SMALL_TALK_WORDS = re.compile(r"\b(bot|sir|maam|ma'am|bhai|ji|there|all|everyone|again|so much)\b")


def _topic(text: str) -> str:
    hits = {name: len(p.findall(text)) for name, p in _TOPIC_PATTERNS.items()}
    # A typo of a long keyword ("scholarhsip", "hostle") still counts once.
    for word in set(text.split()):
        if len(word) >= 6 and not any(hits.values()):
            match = process.extractOne(word, _FUZZY_KEYWORDS, scorer=OSA.distance, score_cutoff=1)
            if match:
                hits[_TOPIC_WORDS[match[0]]] += 1
    best = max(hits, key=lambda name: hits[name])
    return best if hits[best] else ""


def _only(pattern: re.Pattern[str], text: str) -> bool:
    """The message is that and little else ("hi", "thanks a lot bhai")."""
    rest = _SMALL_TALK_WORDS.sub(" ", pattern.sub(" ", text))
    return bool(pattern.search(text)) and len(re.sub(r"[\W_]+", "", rest)) <= 4


def classify(message: str, sensed: str = "") -> Labels:
    """The message's labels; `sensed` is a kind of emergency recognised elsewhere (the gateway's
    reading, rag's sense of meaning), which counts as the message's own."""
    text = normalise(message)
    kind = screen(message) or reply_kind(sensed)
    if kind:
        urgency = "critical"
    elif HIGH.search(text):
        urgency = "high"
    else:
        urgency = "normal"

    score = round(float(_SENTIMENT.polarity_scores(text)["compound"]), 3)
    if kind:  # someone reporting an emergency is in distress, whatever words they use
        score = min(score, -0.5)
    sentiment = (
        "positive"
        if score >= SENTIMENT_CUT
        else "negative"
        if score <= -SENTIMENT_CUT
        else "neutral"
    )

    topic = _topic(text)
    if _HUMAN.search(text):
        intent = "human_request"
    elif _only(_THANKS, text):
        intent = "thanks"
    elif _only(_GREETING, text):
        intent = "greeting"
    elif _COMPLAINT.search(text) and sentiment == "negative":
        intent = "complaint"
    else:
        intent = topic or "other"
    # An emergency is about the emergency, whatever place or topic it mentions.
    intent = {"self_harm": "welfare", "medical": "welfare", "harassment": "conduct"}.get(
        kind, intent
    )
    if intent in ("greeting", "thanks") and urgency == "normal":
        urgency = "low"
    return Labels(intent, sentiment, score, urgency, kind)
