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

from services.llm.sanitise import fold

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

# Emergencies. Strong phrases are critical whatever else the message says; weak ones are critical
# unless the message asks about a rule, a number or a procedure ("what is the ambulance number").
EMERGENCY_STRONG: dict[str, tuple[str, ...]] = {
    "self_harm": (
        r"su[i]?c[i]?d", r"kill(ing)? my ?self", r"end(ing)? (my|it) (life|all)", r"end it all",
        r"take my (own )?life", r"(want|wanna|going) to die", r"wanna die", r"better off dead",
        r"(don'?t|do not|dont) want to (live|be alive)", r"no reason to live",
        r"(hurt|harm|cut)(ting|ing)? my ?self", r"self[- ]?harm", r"overdose",
        r"(jump|jumping) (off|from)", r"hang my ?self", r"mar (jaun|jau|jaungi|jaunga)",
        r"marna chahta", r"marna chahti", r"jeena nahi", r"jina nahi", r"zindagi khatam",
        r"khud ?kushi", r"aatmahatya", r"atmahatya", r"life khatam", r"sleeping pills",
    ),
    "harassment": (
        r"harass(ing|es)? me", r"(being|getting|was|been|got) (sexually )?harass",
        r"sexually (harass|abus|assault)(ing|ed) me", r"molest", r"grop(ed|ing)", r"\brap(e|ed)\b",
        r"touch(ed|ing|es)? me", r"stalk(ing|s)? me", r"(threaten|blackmail)(ing|ed|s)? me",
        r"(are|is|were|was|been|keep|keeps|kept|started|start) ragg(ing|ed)? me", r"ragged me",
        r"(being|getting|got|were) ragged", r"ragging (ho )?rah",
        r"(beat|beating|hit|hitting|slapp?ing|slapped|punch(ed|ing)?) me",
        r"(forcing|forced|force) me", r"pareshan kar rahe", r"maar rahe", r"chhed",
        r"bully(ing)? me", r"assault", r"abus(ing|ed) me",
    ),
    "medical": (
        r"unconscious", r"faint(ed|ing)", r"not breathing", r"can'?t breathe", r"cannot breathe",
        r"bleeding", r"heart attack", r"seizure", r"\bfits\b", r"collapsed", r"chest pain",
        r"poison", r"allergic reaction", r"behosh", r"saans nahi", r"(need|send|call) (an |the )?"
        r"ambulance", r"ambulance (chahiye|bhejo|bulao)", r"severe(ly)? (injured|pain|bleeding)",
        r"badly (hurt|injured)", r"got hurt", r"electric shock", r"snake ?bite",
    ),
    "safety": (
        r"fire (in|at|on|broke)", r"there'?s a fire", r"on fire", r"aag lag", r"gas leak",
        r"(had|met with|got into) an? accident", r"accident (ho|hua|happened)", r"\battacked\b",
        r"knife", r"\bgun\b", r"kidnap", r"missing since", r"is missing", r"trapped in",
        # stuck in a lift is an emergency; stuck in traffic or in a course is not
        r"stuck in (the |a |an |my )?(lift|elevator|washroom|bathroom|toilet|room|fire)",
        r"short circuit", r"someone broke in", r"break-?in", r"following me", r"chasing me",
        r"(he|she|they) (has|have) a weapon",
    ),
}
EMERGENCY_WEAK: dict[str, tuple[str, ...]] = {
    # "emergency money" or an "emergency fund" is a question about money, not an emergency
    "safety": (r"emergency(?! (fund|funds|money|loan|loans|grant|grants|financial|aid|leave))",
               r"\bfire\b", r"accident", r"\bfight", r"\bsos\b",
               # "help me!" is a cry; "help me with the fee form" is a question.
               r"\bhelp+ me\b(?!\s+(with|to|in|on|find|out|understand|know|regarding|about|get|"
               r"apply|fill|choose|figure)\b)"),
    "medical": (r"ambulance", r"injured", r"\bhurt\b"),
    "harassment": (r"harass", r"ragging", r"ragged", r"sexual(ly)? (abuse|assault)"),
}
INFORMATIONAL = re.compile(
    r"\b(polic(y|ies)|rules?|insurance|number|numbers|contact|procedure|process|how (to|do|can)|"
    r"what (is|are)|kya hai|drill|fine|penalty|punishment|leave|committee|form|claim|cover|"
    r"report(ing)? (a|an)?|where (is|can)|kaise|who (is|handles)|helpline|extinguisher|"
    r"safety measures|mock|cell|squad|affidavit|undertaking|confidential|complain(t|ts)?|"
    r"case|when|kab|last date|deadline)\b"
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


def normalise(message: str) -> str:
    """Folded, lower-cased, punctuation as spaces, one space between words, padded with spaces."""
    text = fold(message).lower().replace("’", "'")
    return " " + re.sub(r"\s+", " ", re.sub(r"[^\w\s'%-]", " ", text)).strip() + " "


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    parts = [re.escape(w) + (r"\b" if len(w) <= 3 else "") for w in words]
    return re.compile(r"(?<![\w])(?:" + "|".join(parts) + ")")


_TOPIC_PATTERNS = {name: _pattern(words) for name, words in TOPICS.items()}
_TOPIC_WORDS = {w: name for name, words in TOPICS.items() for w in words if " " not in w}
_FUZZY_KEYWORDS = [w for w in _TOPIC_WORDS if len(w) >= 6]
_GREETING, _THANKS = _pattern(GREETINGS), _pattern(THANKS)
_HUMAN, _COMPLAINT = _pattern(HUMAN), _pattern(COMPLAINT)
_STRONG = {k: re.compile("|".join(v)) for k, v in EMERGENCY_STRONG.items()}
_WEAK = {k: re.compile("|".join(v)) for k, v in EMERGENCY_WEAK.items()}
_SMALL_TALK_WORDS = re.compile(r"\b(bot|sir|maam|ma'am|bhai|ji|there|all|everyone|again|so much)\b")


def emergency(text: str) -> str:
    """The kind of emergency a normalised message describes, or ""."""
    for kind, pattern in _STRONG.items():
        if pattern.search(text):
            return kind
    if not INFORMATIONAL.search(text):
        for kind, pattern in _WEAK.items():
            if pattern.search(text):
                return kind
    return ""


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


def classify(message: str) -> Labels:
    text = normalise(message)
    kind = emergency(text)
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
