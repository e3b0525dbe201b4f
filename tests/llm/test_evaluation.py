"""`collegebot eval answers` on a small folder: the report's numbers and exact shape."""

import json
import shutil
from pathlib import Path

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
