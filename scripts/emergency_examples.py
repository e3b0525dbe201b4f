"""Add to collegebot/emergency_examples.jsonl (meaning's labelled examples) the lines of the dev
emergency sets it does not hold yet (bench/emergency.py's `is_dev`: a set becomes dev once it has
been measured as held out). A held-out line is never an example. The file also holds, labelled
by hand, the classification dev split and the dev questions of qa.jsonl and blind_qa.jsonl.

    .venv/bin/python scripts/emergency_examples.py
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.emergency import EMERGENCY_SETS, EVAL, is_dev  # noqa: E402

TARGET = ROOT / "collegebot" / "emergency_examples.jsonl"
# Dev, but not examples: holdout8's cost a dev emergency as examples (bench/RESULTS.md, round
# 10); holdout9's and holdout10's were not tried.
NOT_EXAMPLES = {"emergency_holdout8.jsonl", "emergency_holdout9.jsonl", "emergency_holdout10.jsonl"}


def main() -> None:
    held = {json.loads(line)["text"] for line in TARGET.open()}
    added = 0
    with TARGET.open("a") as f:
        for name, file in EMERGENCY_SETS.items():
            if file in NOT_EXAMPLES or not (is_dev(name) and (EVAL / file).exists()):
                continue
            for line in (EVAL / file).open():
                row = json.loads(line)
                if row["text"] in held:
                    continue
                held.add(row["text"])
                kind = (row.get("kind") or "safety") if row["emergency"] else ""
                f.write(json.dumps({"text": row["text"], "kind": kind}, ensure_ascii=False) + "\n")
                added += 1
    print(f"added {added} dev lines to {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
