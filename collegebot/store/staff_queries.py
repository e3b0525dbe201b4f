"""Every query the staff dashboard runs: its pages, its CSV export and bench/dashboard.py share
them.

Reads go through the dashboard's database role (on PostgreSQL, row-level security lets it read
what the pages show and make only the few writes staff make: claiming, replying to and closing
cases, answering knowledge gaps).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, case, exists, func, insert, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collegebot.store.models import (
    Conversation,
    Escalation,
    ResolvedGap,
    StaffAccount,
    StaffAnswer,
    StaffReply,
    utcnow,
)

# ── What the pages show ──────────────────────────────────────────────────────────────────────


# ── The writes staff make: accounts, hand-off, feedback, knowledge gaps ─────────────────────
# Also the reads of the escalations and knowledge-gaps pages, beside the writes they serve.

WHATSAPP_WINDOW = timedelta(hours=24)  # WhatsApp's customer-service window
OPEN_CASES = ("open", "claimed")


class AccountExists(ValueError):
    """A staff account of that username exists already."""


def add_staff_account(engine: Engine, username: str, display_name: str, password_hash: str) -> None:
    """A new staff account (the hash is argon2id, made by the caller); AccountExists if taken."""
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(StaffAccount).values(
                    username=username,
                    display_name=display_name,
                    password_hash=password_hash,
                    disabled=False,
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        raise AccountExists(username) from None


def disable_staff_account(engine: Engine, username: str, display_name: str = "") -> bool:
    """The account can no longer sign in, and its open sessions are refused. The first account
    (DASHBOARD_USERNAME) has no row of its own: disabling it writes one with no password."""
    with engine.begin() as connection:
        changed = connection.execute(
            update(StaffAccount).where(StaffAccount.username == username).values(disabled=True)
        ).rowcount
        if changed == 0 and display_name:
            connection.execute(
                insert(StaffAccount).values(
                    username=username,
                    display_name=display_name,
                    password_hash="",
                    disabled=True,
                    created_at=utcnow(),
                )
            )
            return True
        return changed == 1


def staff_accounts(engine: Engine) -> list[StaffAccount]:
    with Session(engine) as session:
        return list(session.scalars(select(StaffAccount).order_by(StaffAccount.username)))


def staff_account(engine: Engine, username: str) -> StaffAccount | None:
    with Session(engine) as session:
        return session.scalar(select(StaffAccount).where(StaffAccount.username == username))


def cases(engine: Engine, statuses: tuple[str, ...] = OPEN_CASES, limit: int = 200) -> list[Case]:
    """Escalations in `statuses`: urgent first, then the oldest waiting first; each with when
    its student last wrote (WhatsApp's 24-hour window runs from there)."""
    last = _last_message().subquery()
    query = (
        select(Escalation, last.c.at)
        .outerjoin(last, last.c.sender_hash == Escalation.sender_hash)
        .where(Escalation.status.in_(statuses))
        .order_by(
            case((Escalation.reason == "urgent", 0), else_=1),
            Escalation.created_at.asc() if "handled" not in statuses else Escalation.id.desc(),
        )
        .limit(limit)
    )
    with Session(engine) as session:
        return [Case(e, _aware(at or e.created_at)) for e, at in session.execute(query)]


def handoff_case(engine: Engine, escalation_id: int) -> Case | None:
    last = _last_message().subquery()
    query = (
        select(Escalation, last.c.at)
        .outerjoin(last, last.c.sender_hash == Escalation.sender_hash)
        .where(Escalation.id == escalation_id)
    )
    with Session(engine) as session:
        row = session.execute(query).first()
    return None if row is None else Case(row[0], _aware(row[1] or row[0].created_at))


def _last_message():
    """When each student last wrote: their newest turn (paused ones too) or escalation."""
    turns = select(Conversation.sender_hash, Conversation.created_at.label("at"))
    asked = select(Escalation.sender_hash, Escalation.created_at.label("at"))
    both = union_all(turns, asked).subquery()
    return select(both.c.sender_hash, func.max(both.c.at).label("at")).group_by(both.c.sender_hash)


@dataclass
class Case:
    """An escalation as the escalations page shows it."""

    escalation: Escalation
    last_message_at: datetime

    @property
    def window_ends(self) -> datetime:
        return self.last_message_at + WHATSAPP_WINDOW

    def in_window(self, now: datetime | None = None) -> bool:
        """May free text be sent now (WhatsApp's 24 hours from the student's last message)?"""
        return (now or utcnow()) < self.window_ends


def claim_case(engine: Engine, escalation_id: int, by: str) -> bool:
    """A member of staff takes an open case: the bot stays quiet for that student (but for an
    emergency) until it is handled or HANDOFF_PAUSE_HOURS pass. False if it is not open."""
    with engine.begin() as connection:
        result = connection.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.status == "open")
            .values(status="claimed", claimed_by=by, claimed_at=utcnow())
        )
        return result.rowcount == 1


def handle_case(engine: Engine, escalation_id: int, by: str) -> bool:
    """The case is done: the bot answers the student again, and their number is erased. False
    if it was not open or claimed."""
    with engine.begin() as connection:
        result = connection.execute(
            update(Escalation)
            .where(Escalation.id == escalation_id, Escalation.status.in_(OPEN_CASES))
            .values(status="handled", handled_by=by, handled_at=utcnow(), number_encrypted="")
        )
        return result.rowcount == 1


def record_staff_reply(
    engine: Engine, escalation: Escalation, body: str, kind: str, sent_by: str, twilio_sid: str
) -> None:
    """What staff sent the student (after Twilio took it), for the thread."""
    with engine.begin() as connection:
        connection.execute(
            insert(StaffReply).values(
                escalation_id=escalation.id,
                sender_hash=escalation.sender_hash,
                body=body,
                kind=kind,
                sent_by=sent_by,
                twilio_sid=twilio_sid,
                created_at=utcnow(),
            )
        )


@dataclass(frozen=True)
class ThreadEntry:
    at: datetime
    who: str  # student | bot | staff
    text: str
    detail: str = ""  # the staff member's name, or the turn's status (paused, abstained…)


def case_thread(engine: Engine, sender_hash: str, limit: int = 200) -> list[ThreadEntry]:
    """A student's whole thread, oldest first: each turn (question, then the bot's answer unless
    the bot kept quiet) and what staff sent them."""
    with Session(engine) as session:
        turns = session.execute(
            select(
                Conversation.created_at,
                Conversation.question,
                Conversation.answer,
                Conversation.status,
                Conversation.abstained,
            )  # fmt: skip
            .where(Conversation.sender_hash == sender_hash)
            .order_by(Conversation.id.desc())
            .limit(limit)
        ).all()
        replies = session.execute(
            select(StaffReply.created_at, StaffReply.body, StaffReply.sent_by, StaffReply.kind)
            .where(StaffReply.sender_hash == sender_hash)
            .order_by(StaffReply.id.desc())
            .limit(limit)
        ).all()
    entries = []
    for at, question, answer, status, abstained in turns:
        entries.append(ThreadEntry(_aware(at), "student", question, status))
        if answer:
            entries.append(ThreadEntry(_aware(at), "bot", answer, "abstained" if abstained else ""))
    for at, body, by, kind in replies:
        entries.append(ThreadEntry(_aware(at), "staff", body, f"{by} ({kind.replace('_', ' ')})"))
    order = {"student": 0, "bot": 1, "staff": 2}
    return sorted(entries, key=lambda e: (e.at, order[e.who]))


def rotate_numbers(engine: Engine, rotate: Callable[[str], str]) -> int:
    """Every stored number re-encrypted under the first key (`NumberCipher.rotate`)."""
    with engine.begin() as connection:
        rows = connection.execute(
            select(Escalation.id, Escalation.number_encrypted).where(
                Escalation.number_encrypted != ""
            )
        ).all()
        for escalation_id, token in rows:
            connection.execute(
                update(Escalation)
                .where(Escalation.id == escalation_id)
                .values(number_encrypted=rotate(token))
            )
    return len(rows)


def feedback_count(engine: Engine, since: datetime | None = None) -> int:
    """Answers students marked unhelpful (since `since`)."""
    query = select(func.count()).where(Conversation.feedback == "unhelpful")
    if since is not None:
        query = query.where(Conversation.feedback_at >= since)
    with engine.connect() as connection:
        return connection.execute(query).scalar() or 0


@dataclass(frozen=True)
class GapTurn:
    conversation_id: int
    question: str
    reason: str  # abstained | low confidence | unhelpful
    at: datetime


@dataclass
class Gap:
    """Questions of one meaning the bot could not answer well, most recent first."""

    turns: list[GapTurn]

    @property
    def key(self) -> int:
        """Stable while the group stands: its oldest turn."""
        return min(t.conversation_id for t in self.turns)

    @property
    def count(self) -> int:
        return len(self.turns)

    @property
    def question(self) -> str:
        """The group's most common wording, the latest on a tie."""
        seen = Counter(t.question.strip() for t in self.turns)
        return max(self.turns, key=lambda t: seen[t.question.strip()]).question.strip()

    def examples(self, n: int = 5) -> list[str]:
        return list(dict.fromkeys(t.question.strip() for t in self.turns))[:n]

    @property
    def reasons(self) -> dict[str, int]:
        return dict(Counter(t.reason for t in self.turns))

    @property
    def last_asked(self) -> datetime:
        return max(t.at for t in self.turns)


def gap_turns(
    engine: Engine, confidence_below: float, limit: int, since: datetime | None = None
) -> list[GapTurn]:
    """Answered turns the bot abstained on, answered with confidence below `confidence_below`,
    or that the student marked unhelpful, not yet resolved by a staff answer; newest first.
    Emergencies and the fixed replies (greetings, a request for a person) are not gaps."""
    weak = or_(
        Conversation.abstained.is_(True),
        Conversation.confidence < confidence_below,
        Conversation.feedback == "unhelpful",
    )
    query = (
        select(
            Conversation.id,
            Conversation.question,
            Conversation.abstained,
            Conversation.feedback,
            Conversation.created_at,
        )
        .where(
            Conversation.status == "answered",
            Conversation.urgency != "critical",
            Conversation.generator.not_in(("canned", "emergency_gateway", "cached")),
            weak,
            ~exists().where(ResolvedGap.conversation_id == Conversation.id),
        )
        .order_by(Conversation.id.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(Conversation.created_at >= since)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        GapTurn(
            cid,
            question,
            "unhelpful" if feedback else "abstained" if abstained else "low confidence",
            _aware(at),
        )
        for cid, question, abstained, feedback, at in rows
    ]


def knowledge_gaps(turns: list[GapTurn], groups: list[int]) -> list[Gap]:
    """`turns` gathered by `groups` (a group number per turn, by meaning: rag's Group), the most
    frequent first, then the most recently asked."""
    gathered: dict[int, list[GapTurn]] = {}
    for turn, group in zip(turns, groups, strict=True):
        gathered.setdefault(group, []).append(turn)
    return sorted(
        (Gap(ts) for ts in gathered.values()), key=lambda g: (-g.count, -g.last_asked.timestamp())
    )


def resolve_gap(
    engine: Engine, conversation_ids: list[int], question: str, answer: str, path: str, by: str
) -> int:
    """Record a staff answer (already a document of the knowledge base at `path`) and mark the
    group's turns resolved; returns the answer's id."""
    with engine.begin() as connection:
        answer_id = connection.execute(
            insert(StaffAnswer)
            .values(question=question, answer=answer, path=path, written_by=by, created_at=utcnow())
            .returning(StaffAnswer.id)
        ).scalar_one()
        already = set(
            connection.execute(
                select(ResolvedGap.conversation_id).where(
                    ResolvedGap.conversation_id.in_(conversation_ids)
                )
            ).scalars()
        )
        rows = [
            {"conversation_id": c, "staff_answer_id": answer_id, "created_at": utcnow()}
            for c in dict.fromkeys(conversation_ids)
            if c not in already
        ]
        if rows:
            connection.execute(insert(ResolvedGap), rows)
    return answer_id


def staff_answers(engine: Engine, limit: int = 50) -> list[StaffAnswer]:
    with Session(engine) as session:
        query = select(StaffAnswer).order_by(StaffAnswer.id.desc()).limit(limit)
        return list(session.scalars(query))


def _aware(at: datetime | str) -> datetime:
    """SQLite hands back naive datetimes (the store writes UTC)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo else at.replace(tzinfo=UTC)
