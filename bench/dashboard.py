"""Every dashboard page's data callbacks timed over a store of 100,000 demo conversations.

    .venv/bin/python bench/dashboard.py [--conversations 100000] [--reps 20] [--state DIR]
                                        [--databases sqlite,postgresql]

The store is filled by `collegebot.store.demo` (what `collegebot demo-data` writes: 13 weeks,
sized to about `--conversations` turns); the SQLite file is kept under `--state`, so a second run
skips that. PostgreSQL 15 is a throwaway cluster started as the tests start it. Each page's
callbacks are then POSTed to `/_dash-update-component` by a signed-in Flask test client, exactly
as the browser sends them, so a figure's whole cost counts (the staff_queries reads, building the
figure, JSON); the thread callback is timed with a student of many turns, a case with the
oldest urgent one. The knowledge-gaps page asks a real rag server (in this process, over data/)
to group the gap questions by meaning, as the dashboard does. Two ranges: the two weeks a page
opens with, and all ninety days. Prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sqlalchemy import func, select  # noqa: E402

from collegebot.store import migrate, staff_queries, sync_engine  # noqa: E402
from collegebot.store.demo import generate  # noqa: E402
from collegebot.store.models import Conversation  # noqa: E402

WEEKS = 13
ZONE = "Asia/Kolkata"
# What `generate` writes per day for each turn a day asked: nights and weekends are quieter.
DAILY_YIELD = 0.87
PAGE_OF = {  # an output id's prefix -> the page it is on (the first that matches)
    "ov-": "overview",
    "cv-grid": "conversations",
    "cv-thread": "conversations: open a thread",
    "tp-": "topics and sentiment",
    "kb-grid": "knowledge base",
    "sy-": "system",
    "esc-case": "escalations: open a case",
    "esc-": "escalations",
    "gap-": "knowledge gaps",
}
# No reads, or not a page's data: staff's writes (claim, reply, save), a row's selection echoed.
SKIPPED = (
    "refresh.disabled",
    "kb-reingest-result",
    "_pages",
    "esc-result",
    "gap-result",
    "esc-selected",
    "gap-selected",
    "gap-editor",
)


def fill(url: str, conversations: int, end: datetime) -> int:
    migrate(url)
    engine = sync_engine(url)
    with engine.connect() as c:
        have = c.scalar(select(func.count()).select_from(Conversation))
    if not have:
        per_day = conversations / (WEEKS * 7) / DAILY_YIELD
        generate(engine, WEEKS, seed=1, per_day=per_day, end=end, tz=ZoneInfo(ZONE))
        with engine.connect() as c:
            have = c.scalar(select(func.count()).select_from(Conversation))
    engine.dispose()
    return have


def outputs(spec: str) -> list[dict]:
    parts = spec.strip(".").split("...") if spec.startswith("..") else [spec]
    return [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]


def start_rag(state: Path):
    """rag's gRPC server over data/ in this process (its own store and index under `state`)."""
    from collegebot.settings import IndexSettings, StoreSettings
    from services.rag.knowledge_base import KnowledgeBase
    from services.rag.server import SERVICE_NAME, register
    from tests.conftest import ServerThread

    store = StoreSettings(collegebot_state_dir=state)
    migrate(store.url)
    kb = KnowledgeBase(IndexSettings(collegebot_state_dir=state), store, ROOT / "data")
    kb.ingest()
    kb.warm()
    return ServerThread(register(kb), [SERVICE_NAME])


def client_for(url: str, rag_address: str):
    os.environ.update(
        DATABASE_URL=url,
        COLLEGEBOT_ENV="development",
        COLLEGE_TIMEZONE=ZONE,
        RAG_ADDRESS=rag_address,
        LLM_ADDRESS="127.0.0.1:9",  # nothing listens: the System page's probe fails at once
    )
    from services.dashboard.app import create_app

    client = create_app().server.test_client()
    assert (
        client.post("/login", data={"username": "staff", "password": "development"}).status_code
        == 302
    )
    return client


def busiest_turn(url: str) -> dict:
    """A turn of the student with the most turns: the longest thread to open."""
    engine = sync_engine(url)
    with engine.connect() as c:
        sender = c.execute(
            select(Conversation.sender_hash)
            .group_by(Conversation.sender_hash)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar_one()
        turn = c.execute(
            select(Conversation.id, Conversation.sender_masked)
            .where(Conversation.sender_hash == sender)
            .limit(1)
        ).one()
        turns = c.scalar(select(func.count()).where(Conversation.sender_hash == sender))
    engine.dispose()
    return {"id": turn.id, "student": turn.sender_masked, "turns": turns}


def oldest_urgent_case(url: str) -> int:
    engine = sync_engine(url)
    case = staff_queries.cases(engine)[0]  # urgent first, then the oldest waiting
    engine.dispose()
    return case.escalation.id


def time_pages(
    client, start: str, end: str, thread: dict, case: int, reps: int
) -> dict[str, list[float]]:
    values = {
        ("esc-selected", "data"): case,
        ("esc-changed", "data"): 0,
        ("gap-changed", "data"): 0,
        ("filter-dates", "start_date"): start,
        ("filter-dates", "end_date"): end,
        ("filter-intent", "value"): None,
        ("refresh", "n_intervals"): 1,
        ("cv-search", "value"): "",
        ("cv-grid", "selectedRows"): [thread],
        ("cv-grid", "rowData"): None,
    }
    timings: dict[str, list[float]] = {}
    for dep in client.get("/_dash-dependencies").get_json():
        if any(s in dep["output"] for s in SKIPPED):
            continue
        page = next(p for prefix, p in PAGE_OF.items() if prefix in dep["output"])
        body = {
            "output": dep["output"],
            "outputs": outputs(dep["output"])
            if dep["output"].startswith("..")
            else outputs(dep["output"])[0],
            "inputs": [{**i, "value": values.get((i["id"], i["property"]))} for i in dep["inputs"]],
            "state": [{**s, "value": values.get((s["id"], s["property"]))} for s in dep["state"]],
            "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"]],
        }
        for rep in range(reps + 1):
            started = time.perf_counter()
            response = client.post("/_dash-update-component", json=body)
            ms = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (dep["output"], response.data[:300])
            assert b"try again in a minute" not in response.data, response.data[:300]  # rag's
            if rep:  # the first warms the caches (SQLite's pages, SQLAlchemy's statements)
                timings.setdefault(page, []).append(ms)
    return timings


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument(
        "--state", type=Path, default=Path(tempfile.gettempdir()) / "collegebot-bench-dashboard"
    )
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    args.state.mkdir(parents=True, exist_ok=True)
    zone = ZoneInfo(ZONE)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    today = end.astimezone(zone).date()
    ranges = {
        "14 days (the default)": ((today - timedelta(days=13)).isoformat(), today.isoformat()),
        "all 91 days": ((today - timedelta(weeks=WEEKS)).isoformat(), today.isoformat()),
    }
    results: list[tuple] = []
    postgres = None
    rag = start_rag(args.state / "rag")
    try:
        for database in args.databases.split(","):
            if database == "sqlite":
                url = f"sqlite:///{args.state / f'dashboard-{args.conversations}.db'}"
            else:
                from tests.servers import Postgres

                postgres = Postgres()
                url = postgres.new_database("bench_dashboard")
            started = time.perf_counter()
            stored = fill(url, args.conversations, end)
            print(
                f"{database}: {stored:,} conversations "
                f"({time.perf_counter() - started:.0f} s to fill)",
                file=sys.stderr,
            )
            client = client_for(url, rag.address)
            thread, case = busiest_turn(url), oldest_urgent_case(url)
            for label, (start, finish) in ranges.items():
                timings = time_pages(client, start, finish, thread, case, args.reps)
                for page, ms in timings.items():
                    results.append((database, label, page, statistics.median(ms), p95(ms), len(ms)))
    finally:
        rag.stop()
        if postgres is not None:
            postgres.close()
    print(
        "Command: `.venv/bin/python bench/dashboard.py "
        f"--conversations {args.conversations} --reps {args.reps}`"
    )
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}"
    )
    print(
        f"Store: {stored:,} conversations of demo data over {WEEKS} weeks; "
        f"thread: {thread['turns']} turns.\n"
    )
    print("| database | range | page | p50 ms | p95 ms | calls |\n|---|---|---|---|---|---|")
    for database, label, page, p50, p95_ms, n in results:
        print(f"| {database} | {label} | {page} | {p50:.0f} | {p95_ms:.0f} | {n} |")
    print(json.dumps({"max_p95_ms": max(r[4] for r in results)}), file=sys.stderr)


if __name__ == "__main__":
    main()
