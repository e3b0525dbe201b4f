"""Retrieval quality on every evaluation set, by mode, with ingestion throughput and memory.

    .venv/bin/python bench/retrieval.py [--sets qa,blind,ucd,ucd-mix,lancaster,assumption] [--k 5]
        [--json FILE] [--state DIR]

Each set is indexed into its own throwaway state directory with the same code as
`collegebot eval retrieval`. Sets:

- qa: tests/eval/qa.jsonl over data/ (our students' wording; dev and holdout splits, follow-ups);
- blind: tests/eval/blind_qa.jsonl over data/ (written by someone who had read only data/);
- ucd: the UCD Student Desk FAQ questions, and our held-out student paraphrases of them
  (tests/eval/ucd_paraphrases.jsonl), over the FAQ alone;
- ucd-mix: the same questions with the FAQ placed among the 202 UCD policy documents;
- lancaster: page-level citations on two Lancaster regulation PDFs (share of labelled questions
  whose top passage is the labelled document and page, and whose top k include it);
- assumption: the Assumption University bot's answers indexed one per file, every example
  utterance of its intents asked; a hit is the intent's own answer in the top k.

Prints Markdown for bench/RESULTS.md. External data is read from ../shared/eval and never copied
into the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import platform
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from services.rag.evaluation import (  # noqa: E402
    evaluate,
    load_qa,
    throwaway_knowledge_base,
)
from services.rag.retriever import MODES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# The shared eval documents: beside the main checkout (../shared), or beside a worktree's parent.
EXTERNAL = (
    next(
        (p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if (p / "eval").is_dir()),
        ROOT.parent / "shared",
    )
    / "eval"
    / "external"
)
# The catalogue names the PDFs by their Lancaster URLs; the folder holds two of them renamed.
LANCASTER_FILES = {
    "sample_marp.pdf": "Academic-Integrity-Regs.pdf",
    "sample_marp1.pdf": "MARP-2025-PGT-Assess-Regs.pdf",
}


def hash_split(question: str) -> str:
    """An external set's dev or held-out half, fixed by a hash of the question's text (the same
    on every run and machine, blind to what the question says): about half each."""
    return "dev" if hashlib.sha256(question.encode("utf-8")).digest()[0] % 2 == 0 else "holdout"


def ingest_timed(kb_dir: Path, state: Path):
    """Index `kb_dir` under `state` and return the knowledge base with throughput figures
    (documents and pages counted when added or changed; an up-to-date index has none)."""
    kb = throwaway_knowledge_base(kb_dir, state)
    start = time.perf_counter()
    outcomes = kb.ingest()
    seconds = time.perf_counter() - start
    docs = [o for o in outcomes if o.status in ("added", "updated")]
    pages = sum(max(o.pages, 1) for o in docs)
    chunks = kb.chunk_count()
    return kb, {
        "checked": len(outcomes),
        "documents": len(docs),
        "failed": sum(o.status == "failed" for o in outcomes),
        "pages": pages,
        "chunks": chunks,
        "seconds": round(seconds, 1),
        "documents_per_s": round(len(docs) / seconds, 2),
        "pages_per_s": round(pages / seconds, 2),
        "chunks_per_s": round(chunks / seconds, 1) if docs else 0.0,  # 0: index was up to date
    }


def _modes_table(name: str, report: dict) -> list[str]:
    rows = []
    for mode, m in report["modes"].items():
        splits = "; ".join(
            f"{split} {s['recall_at_k']:.3f} (n={s['n']})" for split, s in m["splits"].items()
        )
        rows.append(
            f"| {name} | {mode} | {m['n']} | {m['recall_at_k']:.3f} | {m['mrr']:.3f} | {splits} |"
        )
    return rows


def qa_set(k: int, work: Path, name: str = "qa.jsonl") -> tuple[dict, dict]:
    kb, ingest = ingest_timed(ROOT / "data", work / "state")
    return evaluate(kb, load_qa(ROOT / "tests/eval" / name), k, list(MODES)), ingest


def blind_set(k: int, work: Path) -> tuple[dict, dict]:
    """Questions over data/ written by someone who had read only data/."""
    return qa_set(k, work, "blind_qa.jsonl")


def _ucd_questions() -> list[dict]:
    """The FAQ's own questions (its headings, word for word; dev and held out by `hash_split`),
    our held-out paraphrases and the paraphrases written later for tuning on a foreign corpus
    (dev)."""
    faq = [
        line | {"split": f"FAQ wording, {hash_split(line['question'])}"}
        for line in load_qa(EXTERNAL / "ucd_studentdesk/qa_public.jsonl")
    ]
    sets = {
        "student paraphrases, holdout": ROOT / "tests/eval/ucd_paraphrases.jsonl",
        "student paraphrases, dev": ROOT / "tests/eval/ucd_paraphrases_dev.jsonl",
    }
    return faq + [line | {"split": split} for split, path in sets.items() for line in load_qa(path)]


def ucd_set(k: int, work: Path) -> tuple[dict, dict]:
    kb, ingest = ingest_timed(EXTERNAL / "ucd_studentdesk/kb", work / "state")
    return evaluate(kb, _ucd_questions(), k, list(MODES)), ingest


def ucd_mix_set(k: int, work: Path) -> tuple[dict, dict]:
    mix = work / "kb"
    mix.mkdir(exist_ok=True)
    for source in [EXTERNAL / "ucd_studentdesk/kb", EXTERNAL / "ucd_policies"]:
        for path in sorted(source.glob("*.md")):
            shutil.copy(path, mix / path.name)
    kb, ingest = ingest_timed(mix, work / "state")
    return evaluate(kb, _ucd_questions(), k, list(MODES)), ingest


def assumption_corpus(work: Path) -> tuple[Path, list[dict]]:
    """Answers from domain.yml one per file (named by number, so the intent's name gives no
    hint) in `work`/kb; questions are nlu.md's examples of every intent that has its own
    `utter_<intent>`, each expecting the start of that answer, half held out (`hash_split`)."""
    import yaml  # chromadb depends on PyYAML

    folder = EXTERNAL / "assumption_univ"
    responses = yaml.safe_load((folder / "domain.yml").read_text())["responses"]
    kb_dir = work / "kb"
    kb_dir.mkdir(exist_ok=True)
    answers: dict[str, str] = {}
    for n, (name, variants) in enumerate(sorted(responses.items()), 1):
        text = "\n\n".join(v["text"] for v in variants if v.get("text"))
        (kb_dir / f"answer_{n:02}.txt").write_text(text + "\n")
        answers[name] = variants[0]["text"]
    qa: list[dict] = []
    intent = None
    for line in (folder / "nlu.md").read_text().splitlines():
        header = re.match(r"## intent:(\w+)", line)
        if header:
            intent = header.group(1)
        elif line.startswith("- ") and intent and f"utter_{intent}" in answers:
            expected = answers[f"utter_{intent}"][:60]
            question = line[2:].strip()
            qa.append(
                {"question": question, "expected_text": expected, "split": hash_split(question)}
            )
    return kb_dir, qa


def assumption_set(k: int, work: Path) -> tuple[dict, dict]:
    kb_dir, qa = assumption_corpus(work)
    kb, ingest = ingest_timed(kb_dir, work / "state")
    return evaluate(kb, qa, k, list(MODES)), ingest


def lancaster_set(k: int, work: Path) -> tuple[dict, dict]:
    folder = EXTERNAL / "lancaster_marp"
    kb_dir = work / "kb"
    kb_dir.mkdir(exist_ok=True)
    for local, labelled in LANCASTER_FILES.items():
        shutil.copy(folder / local, kb_dir / labelled)
    kb, ingest = ingest_timed(kb_dir, work / "state")
    catalogue = json.loads((folder / "test_catalogue.json").read_text())
    modes: dict[str, dict] = {}
    for mode in MODES:
        top1 = topk = asked = 0
        halves: dict[str, list[bool]] = {}
        for item in catalogue:
            # Its pages count from 0 (the hearing rules it labels 8 and 18 are on PDF pages 9
            # and 19, as the printed page numbers 8 and 18 say); ours count from 1.
            wanted = {
                (c["url"].strip().rsplit("/", 1)[-1], c["page"] + 1)
                for c in item["expected_citations"]
            }
            if not any(name in LANCASTER_FILES.values() for name, _ in wanted):
                continue  # labelled with a document this folder does not hold
            asked += 1
            passages = kb.retriever.retrieve(item["query"], k, mode).passages
            found = [(p.source, p.page) for p in passages]
            top1 += bool(found and found[0] in wanted)
            topk += any(f in wanted for f in found)
            halves.setdefault(hash_split(item["query"]), []).append(any(f in wanted for f in found))
        modes[mode] = {
            "n": asked,
            "recall_at_k": round(topk / asked, 4),
            "mrr": float("nan"),
            "splits": {
                "top passage on the labelled page": {"n": asked, "recall_at_k": top1 / asked}
            }
            | {
                split: {"n": len(hits), "recall_at_k": sum(hits) / len(hits)}
                for split, hits in sorted(halves.items())
            },
        }
    return {"k": k, "n": len(catalogue), "modes": modes}, ingest


SETS = {
    "qa": ("tests/eval/qa.jsonl over data/", qa_set),
    "blind": ("tests/eval/blind_qa.jsonl over data/", blind_set),
    "ucd": ("UCD FAQ alone", ucd_set),
    "ucd-mix": ("UCD FAQ among 202 policies", ucd_mix_set),
    "lancaster": ("Lancaster MARP page citations", lancaster_set),
    "assumption": ("Assumption paraphrases", assumption_set),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write every result to this file")
    parser.add_argument(
        "--state",
        type=Path,
        help="keep each set's index in STATE/<set> and reuse it on the next run (only changed "
        "documents are ingested again): for trying query-side changes quickly",
    )
    args = parser.parse_args()

    def workspace(key: str):
        if args.state is None:
            return tempfile.TemporaryDirectory(prefix=f"bench-{key}-")
        (args.state / key).mkdir(parents=True, exist_ok=True)
        return contextlib.nullcontext(str(args.state / key))

    results, quality, throughput = {}, [], []
    for key in args.sets.split(","):
        name, run = SETS[key]
        with workspace(key) as work:
            report, ingest = run(args.k, Path(work))
        results[key] = {"report": report, "ingest": ingest}
        quality += _modes_table(name, report)
        throughput.append(
            f"| {name} | {ingest['documents']} | {ingest['pages']} | {ingest['chunks']} | "
            f"{ingest['seconds']} | {ingest['documents_per_s']} | {ingest['pages_per_s']} | "
            f"{ingest['chunks_per_s']} |"
        )
        print(f"{key}: done", file=sys.stderr, flush=True)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Machine: {platform.platform()}, Python {platform.python_version()}; k={args.k}\n")
    print("| set | mode | n | recall@k | MRR | splits |\n|---|---|---|---|---|---|")
    print("\n".join(quality))
    print("\n| set | documents | pages | chunks | ingest s | docs/s | pages/s | chunks/s |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(throughput))
    print(f"\nPeak resident memory of the process (model, index, evaluation): {peak_mb:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
