"""The escalations and knowledge-gaps pages' data on a big store: how long each of their queries
takes with N conversations of demo data (SQLite here; --database-url for PostgreSQL), and the
grouping of the gap questions by meaning (rag's Group, in-process: the MiniLM embedding and the
one-pass grouping; the first call embeds every question, later ones hit rag's query cache).

  .venv/bin/python bench/staff_pages.py --conversations 100000 [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from collegebot.settings import GapSettings
from collegebot.store import migrate, staff_queries, sync_engine
from collegebot.store.demo import generate
from collegebot.store.models import Conversation


def timed(runs: int, call) -> tuple[float, float]:
    """p50 and p95 in milliseconds of `runs` calls."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--weeks", type=float, default=13)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    migrate(url)
    engine = sync_engine(url)
    with engine.connect() as c:
        held = c.execute(select(func.count()).select_from(Conversation)).scalar() or 0
    if held:  # a store filled by an earlier run (--database-url): measured as it is
        print(f"store: {held:,} conversations already")
    else:
        started = time.perf_counter()
        per_day = args.conversations / (args.weeks * 7)
        summary = generate(engine, args.weeks, seed=11, per_day=per_day)
        print(f"demo data: {summary.conversations:,} conversations, {summary.escalations:,} "
              f"escalations in {time.perf_counter() - started:.0f} s")  # fmt: skip

    gaps = GapSettings()
    turns = staff_queries.gap_turns(engine, gaps.gap_confidence_threshold, gaps.gap_max_turns)
    some = staff_queries.cases(engine) or staff_queries.cases(engine, ("handled",))
    results = {
        "cases (waiting)": timed(args.runs, lambda: staff_queries.cases(engine)),
        "cases (handled)": timed(args.runs, lambda: staff_queries.cases(engine, ("handled",), 50)),
        "case thread": timed(
            args.runs, lambda: staff_queries.case_thread(engine, some[0].escalation.sender_hash)
        ),
        f"gap turns ({len(turns)})": timed(
            args.runs,
            lambda: staff_queries.gap_turns(
                engine, gaps.gap_confidence_threshold, gaps.gap_max_turns
            ),
        ),
        "staff answers": timed(args.runs, lambda: staff_queries.staff_answers(engine)),
    }
    from services.rag.embedder import MiniLM
    from services.rag.grouping import group

    model = MiniLM()
    texts = [t.question for t in turns]
    first = time.perf_counter()
    labels = group(model.embed_queries(texts), gaps.gap_group_similarity)
    results[f"Group, first call ({len(set(labels))} groups)"] = (
        (time.perf_counter() - first) * 1000,
    ) * 2
    results["Group, cached embeddings"] = timed(
        args.runs, lambda: group(model.embed_queries(texts), gaps.gap_group_similarity)
    )
    print("| query | p50 ms | p95 ms |\n|---|---|---|")
    for name, (p50, p95) in results.items():
        print(f"| {name} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
