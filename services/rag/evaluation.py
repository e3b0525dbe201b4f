"""Measuring retrieval: recall@k and MRR of question/answer lines over a throwaway index."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from collegebot.settings import IndexSettings, StoreSettings
from collegebot.store import migrate
from collegebot.text import states_fact
from services.rag.knowledge_base import KnowledgeBase
from services.rag.retriever import MODES, Passage


def load_qa(path: Path) -> list[dict]:
    """QA lines: {"question", "expected_text" | "unanswerable": true, "expected_source"?,
    "split"?, "history"?}."""
    lines = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if raw.strip():
            try:
                line = json.loads(raw)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{number}: not a JSON object ({e.msg})") from None
            if (
                not isinstance(line, dict)
                or not line.get("question")
                or not (line.get("expected_text") or line.get("unanswerable"))
            ):
                raise ValueError(
                    f"{path}:{number}: needs 'question' and 'expected_text' (or 'unanswerable')"
                )
            lines.append(line)
    return lines


def first_hit(passages: Iterable[Passage], expected_text: str) -> int | None:
    """1-based rank of the first passage containing the expected text, or None."""
    return next(
        (rank for rank, p in enumerate(passages, 1) if states_fact(p.text, expected_text)), None
    )


def throwaway_knowledge_base(kb_dir: Path, state: Path) -> KnowledgeBase:
    """An index of `kb_dir` under `state`, never the configured one."""
    store = StoreSettings(collegebot_state_dir=state, database_url=None)
    migrate(store.url)
    index = IndexSettings(collegebot_state_dir=state, chroma_host=None)
    return KnowledgeBase(index, store, kb_dir)


def _summary(ranks: list[int | None]) -> dict:
    n = len(ranks)
    return {
        "n": n,
        "recall_at_k": round(sum(r is not None for r in ranks) / n, 4) if n else 0.0,
        "mrr": round(sum(1 / r for r in ranks if r) / n, 4) if n else 0.0,
    }


def evaluate(kb: KnowledgeBase, qa: list[dict], k: int, modes: list[str]) -> dict:
    """Recall@k and MRR of the answerable lines, per mode and per split."""
    qa = [line for line in qa if not line.get("unanswerable")]
    results, by_mode = [], {}
    for mode in modes:
        ranks: list[int | None] = []
        splits: dict[str, list[int | None]] = {}
        for line in qa:
            passages = kb.retriever.retrieve(
                line["question"], k, mode, history=line.get("history", [])
            ).passages
            rank = first_hit(passages, line["expected_text"])
            ranks.append(rank)
            splits.setdefault(line.get("split", "all"), []).append(rank)
            if line.get("history"):
                splits.setdefault("follow-ups", []).append(rank)
            results.append(
                {
                    "question": line["question"],
                    "mode": mode,
                    "rank": rank,
                    "passages": [
                        {
                            "text": p.text,
                            "source": p.source,
                            "page": p.page,
                            "score": round(p.score, 4),
                        }
                        for p in passages
                    ],
                }
            )
        by_mode[mode] = _summary(ranks) | {
            "splits": {name: _summary(r) for name, r in sorted(splits.items())}
        }
    return {"k": k, "n": len(qa), "modes": by_mode, "results": results}


def run(
    qa_path: Path, kb_dir: Path, k: int, mode: str, progress: Callable[[str], None] = lambda _: None
) -> dict:
    qa = load_qa(qa_path)
    modes = list(MODES) if mode == "all" else [mode]
    with tempfile.TemporaryDirectory(prefix="collegebot-eval-") as state:
        kb = throwaway_knowledge_base(kb_dir, Path(state))
        kb.ingest(progress=progress)
        return evaluate(kb, qa, k, modes)
