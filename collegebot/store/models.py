"""The store's schema: one definition for SQLite and PostgreSQL. Migrations create it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    """One student turn: what was asked, what was answered, from which sources."""

    __tablename__ = "conversations"
    # What the staff pages count over a date range, in one index they can read alone (0006).
    __table_args__ = (
        Index(
            "ix_conversations_staff_counts",
            "created_at",
            "sender_hash",
            "status",
            "generator",
            "abstained",
            "escalated",
            "feedback",
            "intent",
            "sentiment",
            "total_ms",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    # A keyed hash of the number (never the number itself) and the masked form staff see.
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    sender_masked: Mapped[str] = mapped_column(String(32))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    sources: Mapped[list] = mapped_column(JSON, default=list)
    intent: Mapped[str] = mapped_column(String(32), default="")
    sentiment: Mapped[str] = mapped_column(String(16), default="")
    sentiment_score: Mapped[float] = mapped_column(Float, default=0.0)
    urgency: Mapped[str] = mapped_column(String(16), default="")
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    abstained: Mapped[bool] = mapped_column(Boolean, default=False)
    generator: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16), default="answered")
    total_ms: Mapped[float] = mapped_column(Float, default=0.0)
    # "unhelpful" once the student said this answer did not help (👎, "wrong"…), else "".
    feedback: Mapped[str] = mapped_column(String(16), default="")
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class PerformanceMetric(Base):
    """A measured duration of one stage of one turn (retrieve, respond, total…)."""

    __tablename__ = "performance_metrics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    service: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(32))
    duration_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class SystemLog(Base):
    """Operational events staff may need to see (degraded answers, failures). Never PII."""

    __tablename__ = "system_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(8))
    event: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class KnowledgeBaseDocument(Base):
    """One file of the knowledge base and the outcome of its last ingestion."""

    __tablename__ = "knowledge_base_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(512), unique=True)
    title: Mapped[str] = mapped_column(String(256), default="")
    doc_type: Mapped[str] = mapped_column(String(8))
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(Text, default="")
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Delivery(Base):
    """One inbound webhook, claimed by its MessageSid before it is answered.

    The primary key is what makes a repeated delivery (Twilio retries, two replicas at once) get
    the reply of the first instead of a second answer.
    """

    __tablename__ = "deliveries"

    message_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Empty once the student asked to erase their data (the row only remembers the reply).
    sender_hash: Mapped[str] = mapped_column(String(64), index=True, default="")
    kind: Mapped[str] = mapped_column(String(16))  # question, help, human, delete_request…
    # pending (being answered), replied (in the webhook's TwiML), sent_later (REST), unsent
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reply: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class Escalation(Base):
    """A student staff should contact: asked for a human, or flagged urgent by the llm."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    sender_masked: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(16))  # requested | urgent
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | claimed | handled
    # The staff member's display name, and when; the bot keeps quiet while a case is claimed.
    claimed_by: Mapped[str] = mapped_column(String(128), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handled_by: Mapped[str] = mapped_column(String(128), default="")
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The student's number, Fernet-encrypted (NUMBER_ENCRYPTION_KEYS), to reply with; only while
    # the case is open or claimed: "" once handled, and the row goes with "delete my data".
    number_encrypted: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class StaffAccount(Base):
    """A member of staff who signs in to the dashboard (DASHBOARD_USERNAME is the first)."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))  # argon2id, never the password
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffReply(Base):
    """What a member of staff sent a student from the escalations page (shown in the thread)."""

    __tablename__ = "staff_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("escalations.id", ondelete="CASCADE"), index=True
    )
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # free_text | template
    sent_by: Mapped[str] = mapped_column(String(128))
    twilio_sid: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class StaffAnswer(Base):
    """An answer staff wrote to a knowledge gap: a Markdown document of the knowledge base."""

    __tablename__ = "staff_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(String(512))  # relative to COLLEGEBOT_DATA_DIR
    written_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ResolvedGap(Base):
    """A turn of a knowledge gap that a staff answer resolved (no longer listed as a gap)."""

    __tablename__ = "resolved_gaps"

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    staff_answer_id: Mapped[int] = mapped_column(
        ForeignKey("staff_answers.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
