"""Offline classification of a student's message: intent, sentiment and urgency.

Keyword rules over a normalised message: fast, predictable, and good enough to route greetings,
spot emergencies and label topics without any model. Groq may refine these later; this path must
stand on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Topics follow the knowledge base's documents; the others are conversational.
INTENT_KEYWORDS: dict[str, tuple[str, ...]] = {
    "admissions": ("admission", "apply", "eligib", "entrance", "seat", "counselling round"),
    "fees": ("fee", "fees", "payment", "pay ", "refund", "instalment", "installment", "due"),
    "calendar": ("calendar", "holiday", "vacation", "semester start", "reopen", "fest", "break"),
    "exams": (
        "exam",
        "grade",
        "cgpa",
        "sgpa",
        "result",
        "revaluation",
        "marks",
        "backlog",
        "supplementary",
        "hall ticket",
    ),
    "attendance": ("attendance", "absent", "leave", "condonation", "detain", "bunk"),
    "hostel": ("hostel", "room", "mess", "warden", "curfew", "in-time", "food"),
    "library": ("library", "book", "borrow", "librar", "journal"),
    "scholarships": ("scholarship", "financial aid", "freeship", "stipend", "concession"),
    "placements": ("placement", "job", "internship", "company", "recruit", "package", "ctc"),
    "it_services": (
        "wifi",
        "wi-fi",
        "internet",
        "password",
        "email id",
        "login",
        "portal",
        "network",
        "laptop",
    ),
    "welfare": (
        "counsel",
        "stress",
        "anxiety",
        "depress",
        "mental",
        "doctor",
        "medical",
        "health",
        "sick",
    ),
    "conduct": ("ragging", "rag ", "conduct", "discipline", "harass", "bully", "dress code"),
    "contacts": ("contact", "phone number", "email of", "office", "whom to", "who do i"),
}
GREETINGS = ("hi", "hii", "hello", "hey", "namaste", "good morning", "good evening", "hola", "yo")
THANKS = ("thanks", "thank you", "thx", "ty", "dhanyavad", "shukriya", "great help")
HUMAN = ("human", "agent", "real person", "talk to someone", "speak to someone", "staff member")
COMPLAINT = ("complain", "complaint", "not working", "worst", "useless", "pathetic", "fed up")

CRITICAL = (
    "suicide",
    "kill myself",
    "end my life",
    "self harm",
    "self-harm",
    "hurt myself",
    "want to die",
    "overdose",
    "being harassed",
    "sexual harassment",
    "assault",
    "molest",
    "stalking",
    "ragging me",
    "ragged",
    "emergency",
    "ambulance",
    "bleeding",
    "unconscious",
    "fire",
    "accident",
    "heart attack",
    "attacked",
    "threatening me",
)
HIGH = (
    "urgent",
    "asap",
    "immediately",
    "today itself",
    "deadline today",
    "last date today",
    "lost my",
    "stolen",
    "locked out",
    "sick",
    "fever",
    "injured",
)

NEGATIVE = (
    "not",
    "no ",
    "worst",
    "bad",
    "angry",
    "upset",
    "sad",
    "useless",
    "problem",
    "issue",
    "complain",
    "stress",
    "worried",
    "scared",
    "hate",
    "pathetic",
    "unfair",
    "fail",
)
POSITIVE = (
    "thanks",
    "thank",
    "great",
    "good",
    "awesome",
    "love",
    "helpful",
    "nice",
    "happy",
    "excellent",
    "perfect",
)


@dataclass(frozen=True)
class Labels:
    intent: str
    sentiment: str
    sentiment_score: float  # -1 (negative) .. 1 (positive)
    urgency: str  # low | normal | high | critical


def normalise(text: str) -> str:
    return " " + re.sub(r"\s+", " ", re.sub(r"[^\w\s'-]", " ", text.lower())).strip() + " "


def _has(text: str, words: tuple[str, ...]) -> int:
    return sum(1 for w in words if f" {w.strip()}" in text or (len(w) > 4 and w in text))


def _is_only(text: str, words: tuple[str, ...]) -> bool:
    stripped = text.strip()
    return any(
        stripped == w or stripped.startswith(w + " ") and len(stripped) <= len(w) + 12
        for w in words
    )


def classify(message: str) -> Labels:
    text = normalise(message)
    if _has(text, CRITICAL):
        urgency = "critical"
    elif _has(text, HIGH):
        urgency = "high"
    else:
        urgency = "normal"

    neg, pos = _has(text, NEGATIVE), _has(text, POSITIVE)
    score = 0.0 if neg == pos else (pos - neg) / (pos + neg)
    sentiment = "positive" if score > 0.2 else "negative" if score < -0.2 else "neutral"

    if _has(text, HUMAN):
        intent = "human_request"
    elif _is_only(text, THANKS):
        intent = "thanks"
    elif _is_only(text, GREETINGS):
        intent = "greeting"
    else:
        hits = {name: _has(text, words) for name, words in INTENT_KEYWORDS.items()}
        best = max(hits, key=lambda name: hits[name])
        intent = best if hits[best] else ("complaint" if _has(text, COMPLAINT) else "other")
    if intent in ("greeting", "thanks") and urgency == "normal":
        urgency = "low"
    return Labels(intent, sentiment, round(score, 2), urgency)
