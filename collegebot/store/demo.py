"""Synthetic history for demos, tests and the benchmark: `collegebot demo-data --weeks N`.

Realistic in the ways the dashboard shows: a daily cycle (quiet nights, a morning and an evening
peak in the college's time zone) and a weekly one (weekends quieter), the intents' mix, an exam
season, abstentions ("I don't know"), negative sentiment, escalations (the recent ones still
open), a few dependency outages (degraded answers, warnings in system_logs), emergencies and
errors, and several turns per student. The same seed, end and size give the same rows.

The rows are marked as demo data by their MessageSid prefix (`SMdemo<seed>`), so a real store
never mistakes them for students' messages and a second run with the same seed is refused.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import Engine, func, insert, select, text

from collegebot.store.models import (
    Conversation,
    Escalation,
    KnowledgeBaseDocument,
    PerformanceMetric,
    SystemLog,
)

BATCH = 5_000  # rows per INSERT: big enough to be quick, small enough for SQLite's limits

# Share of the day's messages in each local hour (0–23): night, morning peak, lunch, evening.
HOURLY = (
    0.4, 0.2, 0.1, 0.1, 0.1, 0.3, 0.8, 1.8, 3.5, 5.5, 7.0, 7.5,
    6.5, 6.0, 6.2, 6.0, 5.5, 5.0, 5.5, 6.5, 7.0, 5.5, 3.5, 1.5,
)  # fmt: skip
WEEKLY = (1.0, 1.05, 1.0, 0.95, 0.9, 0.6, 0.45)  # Monday … Sunday

# intent -> (weight, questions, the document that answers it)
TOPICS: dict[str, tuple[float, tuple[str, ...], str]] = {
    "fees": (16, ("When is the last date to pay the semester fee?",
                  "Can I pay the hostel fee in instalments?",
                  "How do I get a refund of the caution deposit?",
                  "What is the late fine for fees paid after the deadline?",
                  "fee receipt not generated after NEFT payment"), "fees_and_deadlines.md"),
    "admissions": (12, ("What documents do I need for admission?",
                        "Is lateral entry possible in second year?",
                        "When is the next CAP round?",
                        "What is the cutoff for computer engineering?"), "admissions.md"),
    "exams": (12, ("When does the end semester exam start?",
                   "How do I apply for revaluation?",
                   "What is the passing grade for a subject?",
                   "Where can I see my hall ticket?"), "examinations_and_grading.pdf"),
    "hostel": (9, ("How do I apply for a hostel room?", "What are the mess timings?",
                   "Can I change my hostel room?", "hostel wifi not working"),
               "hostel_and_mess.pdf"),
    "calendar": (8, ("When does the winter break start?", "Is there a holiday on Friday?",
                     "When do classes begin next semester?"), "academic_calendar_2026_27.md"),
    "scholarships": (7, ("How do I apply for a merit scholarship?",
                         "When will the scholarship money be credited?",
                         "Which scholarships are there for girls?"),
                     "scholarships_and_financial_aid.pdf"),
    "attendance": (6, ("What is the minimum attendance required?",
                       "Can medical leave count for attendance?",
                       "My attendance is 70%, can I sit the exam?"), "attendance_rules.md"),
    "placements": (6, ("When does the placement season start?",
                       "Which companies came last year?",
                       "How do I register for campus placements?"), "placements.md"),
    "library": (5, ("What are the library timings?", "How many books can I borrow?",
                    "How do I renew a book online?"), "library.md"),
    "it_services": (5, ("How do I reset my college email password?",
                        "How do I connect to campus wifi?"), "it_services_and_wifi.md"),
    "transport": (4, ("Which bus goes to the station?", "What is the bus pass fee?"),
                  "transport_and_bus_routes.txt"),
    "contacts": (3, ("What is the phone number of the accounts office?",
                     "Who is the head of department for civil?"), "contacts_directory.md"),
    "greeting": (3, ("hi", "hello", "good morning"), ""),
    "thanks": (3, ("thanks!", "thank you so much", "ok thx"), ""),
    "complaint": (3, ("The canteen food is terrible and nobody listens",
                      "Why is the portal always down? This is useless",
                      "Nobody answered my email for two weeks, very unfair"), ""),
    "human_request": (2, ("I want to talk to a human", "can I speak to someone in the office?"),
                      ""),
    "welfare": (1, ("I feel very stressed about exams, who can I talk to?",
                    "Is there a counsellor on campus?"), "student_welfare_and_counselling.txt"),
    "conduct": (1, ("How do I report ragging?", "What is the dress code?"),
                "code_of_conduct_and_anti_ragging.md"),
    "other": (3, ("Can I bring my dog to campus?", "Is there a swimming pool?",
                  "Who won the cricket match?", "Do you sell college hoodies?"), ""),
}  # fmt: skip
EMERGENCIES = (
    "my friend collapsed in the hostel and is not waking up",
    "I don't want to live anymore",
    "someone is threatening me outside the library",
)
ABSTAIN = (
    "I don't know that from the college's documents. Please ask the student services office "
    "(Mon–Fri, 9:30–17:30)."
)
CANNED = {  # the replies to what is not a question about the college
    "greeting": "Hello! Ask me anything about the college: fees, exams, hostel, timetable…",
    "thanks": "You're welcome! Ask me anything about the college.",
    "complaint": "I'm sorry about that. I've noted it; the student services office can help "
    '(Mon–Fri, 9:30–17:30), or write "human" and a member of staff will contact you.',
    "human_request": "I've asked a member of staff to contact you here as soon as possible.",
}
DEGRADED = "I can't reach the handbook right now. Please try again in a few minutes."
BUSY = "I'm busy right now: please send your question again in a minute."
EMERGENCY_REPLY = (
    "If anyone is in danger call 112 now. Campus security: +91 20 0000 0000 (24 hours). "
    "Counsellor on call: +91 20 0000 0001."
)
DOCUMENTS = (  # the demo knowledge base, when the store has none
    ("fees_and_deadlines.md", "md", 1, 14, "indexed", ""),
    ("admissions.md", "md", 1, 11, "indexed", ""),
    ("examinations_and_grading.pdf", "pdf", 9, 31, "indexed", ""),
    ("hostel_and_mess.pdf", "pdf", 6, 22, "indexed", ""),
    ("academic_calendar_2026_27.md", "md", 1, 8, "indexed", ""),
    ("scholarships_and_financial_aid.pdf", "pdf", 4, 17, "indexed", ""),
    ("library.md", "md", 1, 6, "indexed", ""),
    ("scanned_notice_board.pdf", "pdf", 3, 0, "failed", "no text layer: a scanned PDF (OCR it)"),
)


@dataclass
class DemoSummary:
    conversations: int
    students: int
    escalations: int
    open_escalations: int
    logs: int
    documents: int
    start: datetime
    end: datetime


class AlreadyThere(Exception):
    """The store already holds the demo rows of this seed."""


def sid_prefix(seed: int) -> str:
    return f"SMdemo{seed}x"


def generate(
    engine: Engine,
    weeks: float,
    seed: int = 7,
    per_day: float = 150.0,
    end: datetime | None = None,
    tz: tzinfo = UTC,
) -> DemoSummary:
    """Write `weeks` of history ending at `end` (default now), about `per_day` turns a day."""
    end = (end or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    start = end - timedelta(weeks=weeks)
    prefix = sid_prefix(seed)
    with engine.connect() as connection:
        if connection.scalar(
            select(func.count()).where(Conversation.message_sid.like(prefix + "%"))
        ):
            raise AlreadyThere(f"the store already has demo data of seed {seed}")
        first_id = (connection.scalar(select(func.max(Conversation.id))) or 0) + 1
    rng = random.Random(seed)
    students = max(10, int(per_day * weeks * 7 / 6))  # about six turns each
    # A few students write a lot, most a few times (a long tail).
    popularity = list(itertools.accumulate(1 / (i + 1) ** 0.35 for i in range(students)))
    outages = _outages(rng, start, end)
    intents = list(TOPICS)

    turns: list[dict] = []
    stages: list[dict] = []
    escalations: list[dict] = []
    logs: list[dict] = []
    for moment in _moments(rng, start, end, per_day, tz):
        n = len(turns)
        student = rng.choices(range(students), cum_weights=popularity)[0]
        sender = hashlib.sha256(f"demo-{seed}-{student}".encode()).hexdigest()
        boost = {"exams": 3.0} if _exam_season(moment, start, end) else {}
        intent = rng.choices(intents, [TOPICS[i][0] * boost.get(i, 1.0) for i in intents])[0]
        turn = _turn(rng, intent, moment, any(a <= moment < b for a, b in outages))
        turn.update(
            id=first_id + n,
            message_sid=f"{prefix}{n:012d}",
            sender_hash=sender,
            sender_masked=f"+91•••••{int(sender[:8], 16) % 10_000:04d}",
            created_at=moment,
        )
        turns.append(turn)
        if turn["total_ms"]:
            retrieve = min(turn["total_ms"] * 0.2, rng.uniform(25, 140))
            stages += [
                {"conversation_id": turn["id"], "service": "gateway", "stage": stage,
                 "duration_ms": ms, "created_at": moment}
                for stage, ms in (("retrieve", retrieve),
                                  ("respond", turn["total_ms"] - retrieve - rng.uniform(2, 15)),
                                  ("total", turn["total_ms"]))
            ]  # fmt: skip
        if turn["escalated"]:
            escalations.append(_case(rng, turn, end))
        if _unhelpful(rng, turn):  # the student's 👎 or "wrong" a minute or two later
            turn.update(
                feedback="unhelpful", feedback_at=moment + timedelta(seconds=rng.uniform(20, 300))
            )
        if turn["status"] == "degraded":
            logs.append(_log("gateway", "warning", "dependency_unavailable", "UNAVAILABLE", moment))
        elif turn["generator"] == "timeout":
            logs.append(_log("gateway", "warning", "llm_busy", "DEADLINE_EXCEEDED", moment))
    for a, b in outages:
        logs.append(_log("rag", "error", "rag_unreachable", "health check failed", a))
        logs.append(_log("rag", "info", "rag_back", f"after {(b - a).seconds // 60} min", b))

    documents = _documents(engine, end)
    _write(engine, turns, stages, escalations, logs, documents)
    return DemoSummary(
        conversations=len(turns),
        students=len({t["sender_hash"] for t in turns}),
        escalations=len(escalations),
        open_escalations=sum(e["status"] == "open" for e in escalations),
        logs=len(logs),
        documents=len(documents),
        start=start,
        end=end,
    )


def _moments(rng: random.Random, start: datetime, end: datetime, per_day: float, tz: tzinfo):
    """Turn times, oldest first: each local hour gets its share of the day, the day its share
    of the week, with some noise and a slow growth over the period."""
    hour = start.replace(minute=0, second=0)
    total = sum(HOURLY)
    span = (end - start).total_seconds() or 1
    while hour < end:
        local = hour.astimezone(tz)
        growth = 0.85 + 0.3 * (hour - start).total_seconds() / span
        mean = per_day * HOURLY[local.hour] / total * WEEKLY[local.weekday()] * growth
        for _ in range(_poisson(rng, mean)):
            moment = hour + timedelta(seconds=rng.uniform(0, 3600))
            if start <= moment < end:
                yield moment
        hour += timedelta(hours=1)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:  # the normal approximation; Knuth's method is slow for large means
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _exam_season(moment: datetime, start: datetime, end: datetime) -> bool:
    """The last fifth of the period: exams near, more questions about them."""
    return moment >= end - (end - start) / 5


def _outages(rng: random.Random, start: datetime, end: datetime) -> list[tuple]:
    """About one dependency outage a fortnight, 20 to 90 minutes each."""
    count = max(1, round((end - start) / timedelta(days=14)))
    out = []
    for _ in range(count):
        a = start + (end - start) * rng.uniform(0.05, 0.95)
        out.append((a, a + timedelta(minutes=rng.uniform(20, 90))))
    return sorted(out)


# Who works the cases in the demo (display names, as `collegebot staff add` records them).
STAFF = ("Asha Rao", "Ravi Iyer", "Meera Nair")


def _case(rng: random.Random, turn: dict, end: datetime) -> dict:
    """The escalation a turn raised: the newest still open, some of the last days' claimed by a
    staff member, the older ones handled (claimed first), an urgent one within minutes."""
    moment, urgent = turn["created_at"], turn["urgency"] == "critical"
    case = {
        "message_sid": turn["message_sid"],
        "sender_hash": turn["sender_hash"],
        "sender_masked": turn["sender_masked"],
        "reason": "urgent" if urgent else "requested",
        "status": "open",
        "created_at": moment,
        **dict.fromkeys(("claimed_by", "handled_by"), ""),
        **dict.fromkeys(("claimed_at", "handled_at")),
    }
    age = end - moment
    if age < timedelta(days=1) or (age < timedelta(days=3) and rng.random() < 0.4):
        return case
    claimed_at = moment + timedelta(minutes=rng.uniform(2, 15) if urgent else rng.uniform(20, 600))
    case.update(status="claimed", claimed_by=rng.choice(STAFF), claimed_at=min(claimed_at, end))
    if age >= timedelta(days=4) or rng.random() < 0.5:
        handled_at = claimed_at + timedelta(minutes=rng.uniform(10, 2 * 24 * 60))
        case.update(
            status="handled", handled_by=case["claimed_by"], handled_at=min(handled_at, end)
        )
    return case


def _unhelpful(rng: random.Random, turn: dict) -> bool:
    """Whether the student said the answer did not help: mostly after an "I don't know" or a
    weak answer, rarely after a good one; never after an emergency or a fixed reply."""
    if turn["generator"] not in ("groq", "offline") or turn["status"] != "answered":
        return False
    share = 0.1 if turn["abstained"] else 0.06 if turn["confidence"] < 0.5 else 0.015
    return rng.random() < share


def _turn(rng: random.Random, intent: str, moment: datetime, outage: bool) -> dict:
    """One turn's words, labels and timings."""
    _, questions, source = TOPICS[intent]
    question = rng.choice(questions)
    sentiment, score = _sentiment(rng, intent)
    turn = {
        "question": question,
        "intent": intent,
        "sentiment": sentiment,
        "sentiment_score": score,
        "urgency": "high"
        if intent in ("complaint", "welfare") and rng.random() < 0.3
        else "normal",
        "escalated": intent == "human_request",
        "abstained": False,
        "status": "answered",
        "sources": [],
        "feedback": "",
        "feedback_at": None,
    }
    roll = rng.random()
    if roll < 0.003:  # an emergency: always answered with the contacts, escalated as urgent
        turn.update(question=rng.choice(EMERGENCIES), intent="welfare", sentiment="negative",
                    sentiment_score=round(rng.uniform(-0.95, -0.6), 3), urgency="critical",
                    escalated=True, answer=EMERGENCY_REPLY, generator="emergency",
                    confidence=1.0, total_ms=rng.uniform(150, 600))  # fmt: skip
        return turn
    if outage:  # rag down: the polite degraded reply, from the offline path
        generator = "unavailable" if roll < 0.3 else "offline"
        turn.update(answer=DEGRADED, generator=generator, status="degraded", confidence=0.0,
                    total_ms=rng.uniform(1000, 1300))  # fmt: skip
        return turn
    if roll < 0.008:  # the llm too slow for the reply budget
        turn.update(answer=BUSY, generator="timeout", status="busy", confidence=0.0,
                    total_ms=rng.uniform(9000, 12000))  # fmt: skip
        return turn
    abstain = 0.45 if intent == "other" else 0.12 if not source else 0.06
    groq = rng.random() < 0.82
    turn["generator"] = "groq" if groq else "offline"
    turn["total_ms"] = rng.lognormvariate(math.log(1700 if groq else 450), 0.45)
    if rng.random() < abstain:
        turn.update(answer=ABSTAIN, abstained=True, confidence=round(rng.uniform(0.05, 0.35), 3))
        return turn
    if not source:
        turn.update(answer=CANNED.get(intent, ABSTAIN), abstained=intent not in CANNED,
                    confidence=round(rng.uniform(0.6, 0.9), 3))  # fmt: skip
        return turn
    turn.update(
        answer=f"From {source}: see the section on {intent.replace('_', ' ')} — {question.lower()}"
        " is covered there, with the dates and the office to contact.",
        confidence=round(rng.betavariate(6, 2), 3),
        sources=[{"source": source, "page": rng.randint(1, 6) if source.endswith(".pdf") else 0,
                  "section": intent.replace("_", " ").title()}],
    )  # fmt: skip
    return turn


def _sentiment(rng: random.Random, intent: str) -> tuple[str, float]:
    negative = {"complaint": 0.95, "welfare": 0.6, "human_request": 0.35}.get(intent, 0.06)
    positive = 0.9 if intent == "thanks" else 0.0 if intent == "complaint" else 0.2
    roll = rng.random()
    if roll < negative:
        return "negative", round(rng.uniform(-0.95, -0.21), 3)
    if roll < negative + positive:
        return "positive", round(rng.uniform(0.21, 0.95), 3)
    return "neutral", round(rng.uniform(-0.19, 0.19), 3)


def _log(service: str, level: str, event: str, detail: str, moment: datetime) -> dict:
    return {"service": service, "level": level, "event": event, "detail": detail,
            "created_at": moment}  # fmt: skip


def _documents(engine: Engine, end: datetime) -> list[dict]:
    """The demo knowledge base, only into a store that has no documents of its own."""
    with engine.connect() as connection:
        if connection.scalar(select(func.count()).select_from(KnowledgeBaseDocument)):
            return []
    return [
        {"path": f"data/{path}", "title": path.rsplit(".", 1)[0].replace("_", " ").title(),
         "doc_type": kind, "content_hash": hashlib.sha256(path.encode()).hexdigest(),
         "pages": pages, "chunks": chunks, "status": status, "error": error,
         "ingested_at": end - timedelta(hours=6 + i)}
        for i, (path, kind, pages, chunks, status, error) in enumerate(DOCUMENTS)
    ]  # fmt: skip


def _write(engine: Engine, *tables: list[dict]) -> None:
    turns, stages, escalations, logs, documents = tables
    with engine.begin() as connection:
        for model, rows in (
            (Conversation, turns),
            (PerformanceMetric, stages),
            (Escalation, escalations),
            (SystemLog, logs),
            (KnowledgeBaseDocument, documents),
        ):
            for i in range(0, len(rows), BATCH):
                connection.execute(insert(model), rows[i : i + BATCH])
        if engine.dialect.name == "postgresql" and turns:
            # The ids were given: move the sequence past them for the gateway's next insert.
            connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('conversations', 'id'), "
                    "(SELECT max(id) FROM conversations))"
                )
            )
    with engine.begin() as connection:
        # The planner's statistics of the new rows, as autovacuum would gather them in time.
        connection.execute(text("ANALYZE"))
