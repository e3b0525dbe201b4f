"""Time one ingestion into a fresh state directory, with the time spent embedding and upserting.

    .venv/bin/python bench/ingest_time.py data/ [--code DIR]

`--code` runs another checkout's code (e.g. `git archive main | tar -x -C /tmp/main`) with this
venv, to alternate before/after runs on the same machine. Prints one JSON line.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("kb_dir", type=Path)
parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parents[1])
args = parser.parse_args()
sys.path[:0] = [str(args.code), str(args.code / "bench")]

from chromadb.api.models.Collection import Collection  # noqa: E402
from retrieval import ingest_timed  # noqa: E402

from services.rag.embedder import MiniLM  # noqa: E402

spent = {"embed": 0.0, "upsert": 0.0}


def timed(name, method):
    def wrapper(*a, **k):
        start = time.perf_counter()
        try:
            return method(*a, **k)
        finally:
            spent[name] += time.perf_counter() - start

    return wrapper


MiniLM.embed = timed("embed", MiniLM.embed)
Collection.upsert = timed("upsert", Collection.upsert)
with tempfile.TemporaryDirectory() as state:
    load = os.getloadavg()[0]
    kb, figures = ingest_timed(args.kb_dir.resolve(), Path(state))
    figures |= {k: round(v, 1) for k, v in spent.items()}
    figures |= {"sentences": kb.index.sentences.count(), "code": str(args.code)}
    figures |= {"load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2)}
    print(json.dumps(figures))
