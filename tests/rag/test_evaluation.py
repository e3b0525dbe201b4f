"""`collegebot eval retrieval` on a small folder: the report's numbers and shape."""

import json
import shutil
from pathlib import Path

from services.rag.evaluation import calibrate, evaluate
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


def test_the_threshold_keeps_the_answerable_dev_questions_and_is_reported_on_holdout(kb) -> None:
    answerable = [
        {"question": "library timings on weekdays", "expected_text": "8:00 am", "split": "dev"},
        {"question": "bus fee per semester", "expected_text": "9,500", "split": "dev"},
        {"question": "hostel fee for a triple room", "expected_text": "42,000", "split": "holdout"},
    ]
    unanswerable = [
        {"question": "how many moons does jupiter have", "unanswerable": True, "split": "dev"},
        {"question": "best pizza recipe", "unanswerable": True, "split": "dev"},
        {"question": "what is the capital of france", "unanswerable": True, "split": "holdout"},
    ]
    report = calibrate(kb, answerable, unanswerable)
    confidence = {
        line["question"]: kb.retriever.retrieve(line["question"], 5).confidence
        for line in answerable + unanswerable
    }
    weakest_answerable = min(confidence[a["question"]] for a in answerable[:2])
    assert 0 <= weakest_answerable - report["threshold"] < 0.001  # as high as keeps them all
    assert report["dev"] == {
        "answerable": 2,
        "unanswerable": 2,
        "answerable_kept": 1.0,
        "unanswerable_refused": 1.0,  # off-topic questions fall far below
        "balanced_accuracy": 1.0,
    }
    assert report["holdout"]["unanswerable_refused"] == 1.0


def test_unanswerable_lines_are_left_out_of_recall(kb) -> None:
    qa = [
        {"question": "library timings monday", "expected_text": "8:00 am to 10:00 pm"},
        {"question": "what is the capital of france", "unanswerable": True},
    ]
    report = evaluate(kb, qa, 5, ["dense"])
    assert report["n"] == 1 and report["modes"]["dense"]["recall_at_k"] == 1.0
