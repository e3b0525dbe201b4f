"""rag's cost per new question, A/B in one process: questions answered per second by several
threads at once (as the rag server's thread pool calls it), each question new (no cache hit).

    .venv/bin/python bench/rag_throughput.py --state DIR [--threads 4] [--rounds 3] [-n 120]

DIR is a state directory with an index (e.g. one `bench/load.py --state DIR` ingested). A: the
embedding on every core per ONNX call, the question embedded for retrieval and for its emergency
reading in two calls (before). B: one thread per call, both readings in one call (the rag
server now). Rounds alternate A and B so the shared machine's load falls on both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import ENDINGS, OPENINGS, questions  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-n", type=int, default=120, help="questions per round and side")
    args = parser.parse_args()
    os.environ["COLLEGEBOT_STATE_DIR"] = str(args.state)
    from services.rag.knowledge_base import KnowledgeBase

    kbs = {"A": KnowledgeBase.from_settings(), "B": KnowledgeBase.from_settings(1)}

    def a(q: str):  # before: two calls, each its own ONNX run
        kb = kbs["A"]
        return kb.retriever.retrieve(q, kb.default_k), kb.emergency(q)

    def b(q: str):
        kb = kbs["B"]
        return kb.answer(q, kb.default_k, [])

    wordings = iter(o + q + e for e in ENDINGS for o in OPENINGS for q in questions())
    for q in questions()[:5]:  # snapshots built, sessions warm
        a(q), b(q)
    rates: dict[str, list[float]] = {"A": [], "B": []}
    for _ in range(args.rounds):
        for side, ask in (("A", a), ("B", b)):
            batch = [next(wordings) for _ in range(args.n)]
            began = time.perf_counter()
            with ThreadPoolExecutor(args.threads) as pool:
                list(pool.map(ask, batch))
            rates[side].append(args.n / (time.perf_counter() - began))
    print(f"load average {os.getloadavg()}, {args.threads} threads, {args.n} new questions a side")
    for side, values in rates.items():
        print(f"{side}: questions/s " + ", ".join(f"{v:.1f}" for v in values))
    ratios = [b / a for a, b in zip(rates["A"], rates["B"], strict=True)]
    print(
        "B/A per round: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + f" (median {statistics.median(ratios):.2f})"
    )


if __name__ == "__main__":
    main()
