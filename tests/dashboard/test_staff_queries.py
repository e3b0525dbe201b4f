"""The pages' reads (collegebot.store.staff_queries) on demo data: the same answers on SQLite and
PostgreSQL, local-time buckets in any zone (daylight saving included), and bounded results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from collegebot.store import migrate, staff_queries, sync_engine
from collegebot.store.demo import AlreadyThere, generate
from collegebot.store.models import Conversation

END = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
KOLKATA = ZoneInfo("Asia/Kolkata")


def sqlite_engine(path):
    url = f"sqlite:///{path / 'demo.db'}"
    migrate(url)
    return sync_engine(url)


@pytest.fixture
def demo(tmp_path):
    engine = sqlite_engine(tmp_path)
    generate(engine, weeks=3, seed=3, per_day=120, end=END, tz=KOLKATA)
    yield engine
    engine.dispose()


def window(days: int = 21, intent: str | None = None) -> staff_queries.Window:
    return staff_queries.Window(END - timedelta(days=days), END, intent)


def every_read(engine) -> dict:
    """What each page asks for, as plain values that can be compared across databases."""
    w, tz = window(), KOLKATA
    turns = staff_queries.conversations(engine, w, "hostel")
    return {
        "counts": staff_queries.overview_counts(engine, w),
        "times": staff_queries.reply_times(engine, w),
        "hours": staff_queries.messages_per(engine, w, tz, 3600),
        "days": staff_queries.messages_per(engine, w, tz, 86400),
        "both": staff_queries.messages_per_hour_and_day(engine, w, tz),
        "generators": staff_queries.generators(engine, w),
        "intents": staff_queries.intents(engine, w),
        "trend": staff_queries.intents_per_day(engine, w, tz),
        "sentiment": staff_queries.sentiment_per_day(engine, w, tz),
        "fees": staff_queries.overview_counts(engine, window(intent="fees")),
        "search": [
            (t["message_sid"] if "message_sid" in t else t["id"], t["sources"]) for t in turns
        ],
        "thread": [t["id"] for t in staff_queries.thread(engine, turns[0]["sender_hash"])],
        "negative": [t["id"] for t in staff_queries.most_negative(engine, w)],
        "documents": [(d["path"], d["status"]) for d in staff_queries.documents(engine)],
        "logs": [(r["event"], r["created_at"]) for r in staff_queries.system_logs(engine, w)],
    }


def test_the_demo_history_has_what_the_pages_show(demo) -> None:
    counts = staff_queries.overview_counts(demo, window())
    assert 1500 < counts["turns"] < 3000  # 120 a day, quieter weekends and nights
    assert counts["students"] < counts["turns"] / 2  # several turns per student
    for kind in ("abstained", "degraded", "emergencies", "errors", "escalated", "unhelpful"):
        assert counts[kind] > 0, kind
    assert counts["open_escalations"] > 0
    # Mostly after an "I don't know": the students' 👎 land where the gaps are.
    unhelpful = staff_queries.overview_counts(demo, window())["unhelpful"]
    gaps = staff_queries.gap_turns(demo, 0.5, 100_000)
    assert sum(t.reason == "unhelpful" for t in gaps) == unhelpful
    assert staff_queries.feedback_count(demo) == unhelpful
    # Cases in each state the escalations page shows, worked by named staff.
    waiting = staff_queries.cases(demo)
    handled = staff_queries.cases(demo, ("handled",), limit=10_000)
    claimed = [c.escalation for c in waiting if c.escalation.status == "claimed"]
    assert claimed and handled and any(c.escalation.status == "open" for c in waiting)
    for e in claimed + [c.escalation for c in handled]:
        assert e.claimed_by and e.claimed_at is not None and e.claimed_at >= e.created_at
    for e in (c.escalation for c in handled):
        assert e.handled_by == e.claimed_by and e.handled_at >= e.claimed_at
    shares = dict(staff_queries.intents(demo, window()))
    assert shares["fees"] > shares["library"] > shares["conduct"]  # the intents' mix
    hours = {}
    for bucket, n in staff_queries.messages_per(demo, window(), KOLKATA, 3600):
        hours[bucket.hour] = hours.get(bucket.hour, 0) + n
    assert hours[11] > 10 * hours[3]  # the daily cycle, in the college's zone
    days = staff_queries.messages_per(demo, window(14), KOLKATA, 86400)
    weekdays = [n for d, n in days[1:-1] if d.weekday() < 5]
    sundays = [n for d, n in days[1:-1] if d.weekday() == 6]
    assert min(weekdays) > max(sundays)  # the weekly one
    both = staff_queries.messages_per_hour_and_day(demo, window(), KOLKATA)
    assert both == (
        staff_queries.messages_per(demo, window(), KOLKATA, 3600),
        staff_queries.messages_per(demo, window(), KOLKATA, 86400),
    )
    times = staff_queries.reply_times(demo, window())
    assert 0 < times["p50_ms"] < times["p95_ms"]
    documents = staff_queries.documents(demo)
    assert documents[0]["status"] == "failed"  # failures first
    negative = staff_queries.most_negative(demo, window())
    scores = [t["sentiment_score"] for t in negative]
    assert scores == sorted(scores) and scores[0] < -0.5


def test_the_same_seed_gives_the_same_history_and_is_not_written_twice(demo, tmp_path) -> None:
    other = sqlite_engine(tmp_path / "again")
    generate(other, weeks=3, seed=3, per_day=120, end=END, tz=KOLKATA)
    assert every_read(other) == every_read(demo)
    with pytest.raises(AlreadyThere):
        generate(demo, weeks=3, seed=3, per_day=120, end=END, tz=KOLKATA)
    other.dispose()


def test_postgresql_answers_every_read_as_sqlite_does(demo, postgres) -> None:
    url = postgres.new_database("staff_queries")
    migrate(url)
    engine = sync_engine(url)
    generate(engine, weeks=3, seed=3, per_day=120, end=END, tz=KOLKATA)
    assert every_read(engine) == every_read(demo)
    engine.dispose()


def turns_at(engine, *moments: datetime) -> None:
    with engine.begin() as c:
        c.execute(
            insert(Conversation),
            [
                {"message_sid": f"SM{i}", "sender_hash": "h", "sender_masked": "+44•••••0001",
                 "question": "q", "answer": "a", "created_at": m}
                for i, m in enumerate(moments)
            ],
        )  # fmt: skip


def test_days_and_hours_are_the_college_s_even_across_a_daylight_saving_change(tmp_path) -> None:
    engine = sqlite_engine(tmp_path)
    london = ZoneInfo("Europe/London")  # BST ends at 01:00 UTC on 25 October 2026
    turns_at(
        engine,
        datetime(2026, 10, 24, 23, 30, tzinfo=UTC),  # 00:30 BST on the 25th
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 01:30 BST
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 01:30 GMT, the hour again
        datetime(2026, 10, 25, 23, 30, tzinfo=UTC),  # 23:30 GMT, still the 25th
        datetime(2026, 10, 26, 18, 45, tzinfo=UTC),  # 00:15 IST on the 27th in Kolkata
    )
    w = staff_queries.Window(datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 28, tzinfo=UTC))
    days = dict(staff_queries.messages_per(engine, w, london, 86400))
    assert days[datetime(2026, 10, 25)] == 4 and days[datetime(2026, 10, 26)] == 1
    trend = staff_queries.intents_per_day(engine, w, london)  # counted another way: the same
    assert {day: n for day, _, n in trend} == {day: n for day, n in days.items() if n}
    hours = dict(staff_queries.messages_per(engine, w, london, 3600))
    assert hours[datetime(2026, 10, 25, 1)] == 2  # the repeated hour counts both
    assert hours[datetime(2026, 10, 25, 0)] == 1 and hours[datetime(2026, 10, 25, 23)] == 1
    kolkata = dict(staff_queries.messages_per(engine, w, KOLKATA, 86400))
    assert kolkata[datetime(2026, 10, 27)] == 1  # +05:30: half-hour offsets too
    assert kolkata[datetime(2026, 10, 25)] == 3 and kolkata[datetime(2026, 10, 26)] == 1
    assert sum(days.values()) == 5 and len(days) == len(
        staff_queries.local_buckets(w, london, 86400)
    )
    engine.dispose()


def test_tables_are_bounded_and_search_takes_like_wildcards_literally(demo) -> None:
    assert len(staff_queries.conversations(demo, window())) == staff_queries.ROWS
    assert staff_queries.conversations(demo, window(), "100%") == []
    turns_at(demo, END - timedelta(minutes=1))
    with demo.begin() as c:
        c.execute(
            Conversation.__table__.update()
            .where(Conversation.message_sid == "SM0")
            .values(question="is the fee 100% refundable?")
        )
    found = staff_queries.conversations(demo, window(), "100%")
    assert [t["question"] for t in found] == ["is the fee 100% refundable?"]
    with demo.connect() as c:
        assert c.scalar(select(func.count()).select_from(Conversation)) > staff_queries.ROWS
