"""`collegebot eval retrieval` on a small folder: the report's numbers and shape."""

import json
import shutil
from pathlib import Path

from services.rag.evaluation import evaluate
from tests.conftest import DATA, base_env, run_cli


def test_eval_retrieval_reports_recall_and_mrr_per_mode(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    shutil.copy(DATA / "library.md", kb)
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        "\n".join(
            json.dumps(line)
            for line in [
                {"question": "library timings monday", "expected_text": "8:00 AM  to 10:00 pm"},
                {"question": "hostel fee", "expected_text": "a sentence that no document contains"},
            ]
        )
        + "\n"
    )
    state = tmp_path / "configured-state"
    done = run_cli(
        "eval",
        "retrieval",
        "--qa",
        str(qa),
        "--kb",
        str(kb),
        "--k",
        "3",
        "--mode",
        "all",
        "--json",
        env=base_env(state),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["k"], report["n"]) == (3, 2)
    assert set(report["modes"]) == {"hybrid", "dense", "lexical"}
    for mode, figures in report["modes"].items():
        assert figures["recall_at_k"] == 0.5, mode  # one of two questions can be answered
        assert 0 < figures["mrr"] <= 0.5
    results = [r for r in report["results"] if r["mode"] == "hybrid"]
    assert [r["rank"] is None for r in results] == [False, True]
    assert {"text", "source", "page", "score"} <= set(results[0]["passages"][0])
    assert len(results[0]["passages"]) <= 3
    assert not state.exists()  # a throwaway index, never the configured one


def test_unanswerable_lines_are_left_out_of_recall(kb) -> None:
    qa = [
        {"question": "library timings monday", "expected_text": "8:00 am to 10:00 pm"},
        {"question": "what is the capital of france", "unanswerable": True},
    ]
    report = evaluate(kb, qa, 5, ["dense"])
    assert report["n"] == 1 and report["modes"]["dense"]["recall_at_k"] == 1.0
