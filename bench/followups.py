"""How often collegebot.followup reads a message with the previous turn when it should, per split
of the labelled follow-up pairs (tests/eval/followups*.jsonl).

    .venv/bin/python bench/followups.py
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collegebot.followup import depends_on_previous  # noqa: E402


def main() -> None:
    print("| set | split | pairs | accuracy | false follow-ups | missed follow-ups |")
    print("|---|---|---|---|---|---|")
    for path in sorted((ROOT / "tests" / "eval").glob("followups*.jsonl")):
        splits: dict[str, list[dict]] = defaultdict(list)
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                splits[row["split"]].append(row)
        for split, rows in splits.items():
            said = [depends_on_previous(r["message"], r["previous"]) for r in rows]
            false = sum(s and not r["follow_up"] for s, r in zip(said, rows, strict=True))
            missed = sum(r["follow_up"] and not s for s, r in zip(said, rows, strict=True))
            right = len(rows) - false - missed
            print(
                f"| {path.name} | {split} | {len(rows)} | {right / len(rows):.2f} | {false} "
                f"| {missed} |"
            )


if __name__ == "__main__":
    main()
