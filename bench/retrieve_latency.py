"""Retrieve latency over gRPC on an index of at least 10,000 chunks, and the rag service's memory.

    .venv/bin/python bench/retrieve_latency.py [--state DIR] [--chunks 10000] [--asks 300]
        [--repeat-data]

The knowledge base is data/ plus the UCD FAQ and policy documents (../shared/eval), with policies
repeated under another folder until the index holds `--chunks` chunks (with `--repeat-data`:
copies of data/ alone, each text embedded once, for memory and start-up figures). It is
ingested into `--state` (kept, so a second run skips the ingestion), then the real rag service
is started as a
process and asked the questions of tests/eval (a fifth of them as follow-ups, with history) over
loopback gRPC. Reports client-side latency percentiles, the service's resident memory, and the
ingestion throughput. Prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.retrieval import EXTERNAL, ingest_timed  # noqa: E402
from collegebot.v1 import common_pb2, rag_pb2, rag_pb2_grpc  # noqa: E402
from services.rag.chunking import chunk_document  # noqa: E402
from services.rag.documents import read_document  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def build_corpus(kb: Path, target_chunks: int) -> int:
    """Fill `kb` with documents until their chunks reach the target; return the chunk count."""
    if kb.exists():
        shutil.rmtree(kb)
    shutil.copytree(ROOT / "data", kb)
    shutil.copytree(EXTERNAL / "ucd_studentdesk/kb", kb / "ucd_faq")
    policies = sorted((EXTERNAL / "ucd_policies").glob("*.md"))
    total = sum(len(chunk_document(read_document(p), p.name)) for p in kb.rglob("*.*"))
    copy = 0
    while total < target_chunks:
        copy += 1
        folder = kb / f"policies_{copy}"
        folder.mkdir()
        for path in policies:
            if total >= target_chunks:
                break
            shutil.copy(path, folder / path.name)
            total += len(chunk_document(read_document(path), path.name))
    return total


def build_repeated(kb: Path, target_chunks: int) -> int:
    """`kb` filled with copies of data/ (copy_1/, copy_2/, ...) until their chunks reach the
    target; return the chunk count. A synthetic index for memory and start-up: retrieval over
    copies ties, and data/ has more sentences per chunk than most corpora (5.2), so its memory
    is an upper bound."""
    if kb.exists():
        shutil.rmtree(kb)
    kb.mkdir(parents=True)
    per_copy = sum(
        len(chunk_document(read_document(p), p.name)) for p in (ROOT / "data").rglob("*.*")
    )
    copies = -(-target_chunks // per_copy)
    for copy in range(1, copies + 1):
        shutil.copytree(ROOT / "data", kb / f"copy_{copy}")
    return per_copy * copies


def memoise_embeddings() -> None:
    """Copies of a document embed the same texts: each text's vector is computed once (the
    vector it would get again), so a corpus of copies is ingested in minutes, not an hour."""
    import numpy as np

    from services.rag.embedder import MiniLM

    plain, known = MiniLM.embed, {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known.update(zip(missing, plain(self, missing), strict=True))
        return np.stack([known[t] for t in texts]) if texts else plain(self, texts)

    MiniLM.embed = embed  # type: ignore[method-assign]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, from /proc."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def questions() -> list[tuple[str, list[str]]]:
    asked = []
    for name in ("qa.jsonl", "ucd_paraphrases.jsonl"):
        for line in (ROOT / "tests/eval" / name).read_text().splitlines():
            item = json.loads(line)
            asked.append((item["question"], item.get("history", [])))
    return asked


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--state", type=Path, default=Path(tempfile.gettempdir()) / "bench-10k")
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--asks", type=int, default=300)
    parser.add_argument(
        "--repeat-data", action="store_true", help="copies of data/ (no shared eval documents)"
    )
    args = parser.parse_args()
    state, kb_dir = args.state / "state", args.state / "kb"
    args.state.mkdir(parents=True, exist_ok=True)

    if args.repeat_data:
        memoise_embeddings()
        expected = build_repeated(kb_dir, args.chunks) if not state.exists() else args.chunks
    else:
        expected = build_corpus(kb_dir, args.chunks)
    kb, ingest = ingest_timed(kb_dir, state)
    del kb

    port = free_port()
    env = dict(
        os.environ,
        COLLEGEBOT_STATE_DIR=str(state),
        COLLEGEBOT_DATA_DIR=str(kb_dir),
        RAG_PORT=str(port),
        RAG_METRICS_PORT=str(free_port()),
        LOG_LEVEL="WARNING",
    )
    server = subprocess.Popen([sys.executable, "-m", "services.rag"], cwd=ROOT, env=env)
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=120)
        stub = rag_pb2_grpc.RagStub(channel)
        asked = questions()
        stub.Retrieve(rag_pb2.RetrieveRequest(query="warm up"), timeout=30)  # lexical index built
        idle_mb, _ = rss_mb(server.pid)
        plain, follow_ups = [], []
        for i in range(args.asks):
            question, history = asked[i % len(asked)]
            request = rag_pb2.RetrieveRequest(
                query=question, k=5, history=[common_pb2.Turn(question=q) for q in history]
            )
            began = time.perf_counter()
            stub.Retrieve(request, timeout=30)
            (follow_ups if history else plain).append((time.perf_counter() - began) * 1000)
        current_mb, peak_mb = rss_mb(server.pid)
        channel.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)

    machine = f"{platform.platform()}, {os.cpu_count()} CPUs"
    print(f"Machine: {machine}, Python {platform.python_version()}")
    chunks, checked = ingest["chunks"], ingest["checked"]
    print(f"Index: {chunks} chunks ({expected} expected) from {checked} documents\n")
    print("| Retrieve over gRPC | n | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|")
    rows = (("all", plain + follow_ups), ("question alone", plain), ("follow-up", follow_ups))
    for name, times in rows:
        if times:
            print(
                f"| {name} | {len(times)} | {statistics.median(times):.1f} | "
                f"{percentile(times, 95):.1f} | {max(times):.1f} |"
            )
    print(
        f"\nrag service resident memory: {idle_mb:.0f} MB after start, {current_mb:.0f} MB after "
        f"the asks (peak {peak_mb:.0f} MB)"
    )
    if ingest["documents"]:
        print(
            f"Ingestion of {ingest['documents']} documents ({ingest['pages']} pages, "
            f"{ingest['chunks']} chunks) took {ingest['seconds']:.0f} s: "
            f"{ingest['documents_per_s']} documents/s, {ingest['pages_per_s']} pages/s, "
            f"{ingest['chunks_per_s']} chunks/s"
        )
    else:
        print(f"Index was up to date: checking {checked} documents took {ingest['seconds']} s")


if __name__ == "__main__":
    main()
