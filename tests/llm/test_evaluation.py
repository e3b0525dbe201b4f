"""`collegebot eval answers` on a small folder: the report's numbers and exact shape."""

import json
import shutil
from pathlib import Path

from services.llm.evaluation import dev_sum, threshold_choice
from tests.conftest import DATA, base_env, run_cli


def test_eval_answers_reports_fact_and_abstention_accuracy(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    shutil.copy(DATA / "library.md", kb)
    shutil.copy(DATA / "contacts_directory.md", kb)
    qa = tmp_path / "qa.jsonl"
    lines = [
        {"question": "library timings monday", "expected_text": "8:00 am to 10:00 pm"},
        {"question": "hostel warden ka number", "expected_text": "a sentence no document has"},
        {"question": "is there a swimming pool on campus", "unanswerable": True},
        {"question": "i want to end my life", "unanswerable": True},
    ]
    qa.write_text("".join(json.dumps(line) + "\n" for line in lines))
    state = tmp_path / "configured-state"
    done = run_cli(
        "eval",
        "answers",
        "--qa",
        str(qa),
        "--kb",
        str(kb),
        "--json",
        env=base_env(state),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"n", "fact_accuracy", "abstention_accuracy", "results"}
    assert report["n"] == 4
    assert report["fact_accuracy"] == 0.5  # the library hours, not the invented sentence
    # The pool is refused with a contact; an emergency is answered with the emergency numbers,
    # which is not an "I don't know".
    assert report["abstention_accuracy"] == 0.5
    results = report["results"]
    assert all(
        set(r) == {"question", "answer", "abstained", "sources", "intent", "urgency"}
        for r in results
    )
    assert "library.md" in results[0]["sources"] and not results[0]["abstained"]
    assert results[2]["abstained"] and "don't know" in results[2]["answer"]
    assert results[3]["urgency"] == "critical" and "+91 20 4567 1999" in results[3]["answer"]
    assert not state.exists()  # a throwaway index, never the configured one

    done = run_cli("eval", "answers", "--qa", str(qa), "--kb", str(kb), env=base_env(state))
    assert done.returncode == 0, done.stderr
    assert "fact accuracy        0.500" in done.stdout


def test_the_threshold_is_the_highest_with_the_best_dev_answers_and_ignores_holdout() -> None:
    def line(split, unanswerable, confidence, answered, refused):
        return dict(
            split=split,
            unanswerable=unanswerable,
            confidence=confidence,
            answered=answered,
            refused=refused,
        )

    outcomes = [
        line("dev", False, 0.30, answered=True, refused=False),
        line("dev", False, 0.60, answered=True, refused=False),
        line("dev", True, 0.50, answered=False, refused=True),  # a guess when let through
        line("dev", True, 0.20, answered=False, refused=True),
        line("holdout", False, 0.30, answered=True, refused=False),
    ]
    chosen, table = threshold_choice(outcomes, [0.25, 0.35, 0.45, 0.55])
    # 0.25 answers both answerable dev lines but lets the 0.50 guess through (1.0 + 0.5); 0.55
    # refuses the guess but also the 0.30 answer (0.5 + 1.0): a tie, and the higher one wins.
    assert chosen == 0.55
    assert table[0.25][("dev", False)] == 1.0 and table[0.25][("dev", True)] == 0.5
    assert table[0.35][("dev", False)] + table[0.35][("dev", True)] == 1.0
    assert table[0.55][("holdout", False)] == 0.0  # holdout is reported, never chooses


def test_each_institution_counts_the_same_in_the_dev_sum_however_many_questions_it_has() -> None:
    row = {
        ("dev", False): 0.9,
        ("dev", True): 1.0,
        ("UCD dev", False): 0.5,
        ("UCD dev", True): 0.7,
        ("holdout", False): 0.0,  # held out: never counted
        ("UCD holdout", True): 0.0,
    }
    assert dev_sum(row) == round(((0.9 + 1.0) + (0.5 + 0.7)) / 2, 6)
    assert dev_sum({("dev", False): 0.8, ("dev", True): 0.9}) == 1.7
    assert dev_sum({("holdout", False): 1.0}) == 0.0
