"""How well emergencies are recognised: recall and false alarms by detector and set.

    .venv/bin/python bench/emergency.py [--grid]

Detectors: `rules` (collegebot.emergency.screen: what the gateway reads before any rule that
could silence the bot), `meaning` (rag's similarity to the emergency descriptions), and `both`
(what the bot does on the answered path: either one). Sets: tests/eval/classification.jsonl
(urgency critical = emergency), emergency_dev.jsonl and emergency_holdout.jsonl (written by
someone who had read neither the detector nor the other sets, before the detector was changed;
the holdout is never used to choose anything). The dev messages are also the meaning
detector's examples (collegebot/emergency_examples.jsonl), so on dev each is compared with the
others only (left out of its own comparison). `--grid` prints the dev grid of the two meaning
thresholds and the choice by the written rule: the most emergencies caught by meaning alone on
the dev sets (the rules were written on them, so together they catch all) with at most 1 false
alarm in 20 calm dev messages for rules and meaning together; among equals, the highest.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from collegebot import emergency  # noqa: E402

EVAL = ROOT / "tests" / "eval"


def load() -> dict[str, list[dict]]:
    """Each set's rows as {text, emergency}, split into dev and holdout."""
    sets: dict[str, list[dict]] = {}
    for line in (EVAL / "classification.jsonl").open():
        row = json.loads(line)
        sets.setdefault(f"classification {row['split']}", []).append(
            {"text": row["text"], "emergency": row["urgency"] == "critical"}
        )
    for split in ("dev", "holdout"):
        path = EVAL / f"emergency_{split}.jsonl"
        sets[f"emergency {split}"] = [json.loads(line) for line in path.open()]
    # Students' ordinary questions (every one a calm message): false alarms where they matter.
    for name in ("qa.jsonl", "blind_qa.jsonl"):
        for line in (EVAL / name).open():
            row = json.loads(line)
            sets.setdefault(f"questions {row['split']}", []).append(
                {"text": row["question"], "emergency": False}
            )
    return sets


def similarities(rows: list[dict]) -> list[tuple[dict[str, float], float]]:
    """Each message's best similarity to each kind's descriptions and to the calm messages."""
    from collegebot.settings import IndexSettings, StoreSettings
    from collegebot.store import migrate
    from services.rag.knowledge_base import KnowledgeBase

    state = Path(tempfile.mkdtemp(prefix="bench-emergency-"))
    migrate(StoreSettings(collegebot_state_dir=state).url)
    kb = KnowledgeBase(
        IndexSettings(collegebot_state_dir=state),
        StoreSettings(collegebot_state_dir=state),
        ROOT / "data",
    )
    from services.rag.emergencies import read_as_written as normalise

    bank, kinds, calm = kb.sense._vectors(normalise)
    texts, _, calm_texts = emergency.examples()
    vectors = kb.model.embed([normalise(r["text"]) for r in rows])
    out = []
    for r, v in zip(rows, vectors, strict=True):
        # A dev message is among the examples: leave it out of its own comparison.
        to_bank = np.where(np.array(texts) == r["text"], -1.0, bank @ v)
        to_calm = np.where(np.array(calm_texts) == r["text"], -1.0, calm @ v)
        best: dict[str, float] = {}
        for kind, s in zip(kinds, to_bank.tolist(), strict=True):
            best[kind] = max(best.get(kind, -1.0), s)
        out.append((best, float(to_calm.max()), r["text"]))
    return out


def verdicts(sims, at_least: float, margin: float) -> list[bool]:
    saved = emergency.SIMILAR_AT_LEAST, emergency.CLOSER_THAN_CALM_BY
    emergency.SIMILAR_AT_LEAST, emergency.CLOSER_THAN_CALM_BY = at_least, margin
    try:
        return [bool(emergency.semantic_kind(e, c, text)[0]) for e, c, text in sims]
    finally:
        emergency.SIMILAR_AT_LEAST, emergency.CLOSER_THAN_CALM_BY = saved


def score(rows: list[dict], flagged: list[bool]) -> tuple[int, int, int, int]:
    """(emergencies caught, emergencies, false alarms, calm messages)."""
    caught = sum(f for r, f in zip(rows, flagged, strict=True) if r["emergency"])
    alarms = sum(f for r, f in zip(rows, flagged, strict=True) if not r["emergency"])
    emergencies = sum(r["emergency"] for r in rows)
    return caught, emergencies, alarms, len(rows) - emergencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--missed", action="store_true", help="print what each set misses")
    args = parser.parse_args()
    sets = load()
    every = [r for rows in sets.values() for r in rows]
    sims_all = similarities(every)
    sims, at = {}, 0
    for name, rows in sets.items():
        sims[name], at = sims_all[at : at + len(rows)], at + len(rows)
    rules = {name: [bool(emergency.screen(r["text"])) for r in rows] for name, rows in sets.items()}

    if args.grid:
        dev = [n for n in sets if n.endswith("dev")]
        best = None
        print("at_least margin  caught/emergencies  false alarms/calm  (dev sets pooled, both)")
        for at_least in [x / 100 for x in range(30, 71, 2)]:
            for margin in [x / 100 for x in range(0, 13, 1)]:
                caught = by_meaning = emergencies = alarms = calm = 0
                for n in dev:
                    meaning = verdicts(sims[n], at_least, margin)
                    both = [a or b for a, b in zip(rules[n], meaning, strict=True)]
                    c, e, a, k = score(sets[n], both)
                    by_meaning += score(sets[n], meaning)[0]
                    caught, emergencies, alarms, calm = (
                        caught + c,
                        emergencies + e,
                        alarms + a,
                        calm + k,
                    )
                ok = alarms * 20 <= calm
                # The rules were written on these dev messages, so meaning is judged on its own.
                if ok and (best is None or by_meaning >= best[0]):
                    best = (by_meaning, at_least, margin)  # later = higher thresholds
                if margin in (0.0, 0.04, 0.08):
                    print(
                        f"{at_least:.2f}   {margin:.2f}   {caught}/{emergencies} "
                        f"(meaning alone {by_meaning})   {alarms}/{calm}"
                        f"{'' if ok else '  (too many false alarms)'}"
                    )
        print("chosen:", best)

    at_least, margin = emergency.SIMILAR_AT_LEAST, emergency.CLOSER_THAN_CALM_BY
    print(f"\nthresholds: similar at least {at_least}, closer than calm by {margin}")
    print(f"{'set':24} {'detector':8} {'recall':>14} {'false alarms':>16}")
    for name, rows in sets.items():
        meaning = verdicts(sims[name], at_least, margin)
        both = [a or b for a, b in zip(rules[name], meaning, strict=True)]
        for detector, flagged in (("rules", rules[name]), ("meaning", meaning), ("both", both)):
            c, e, a, k = score(rows, flagged)
            recall = f"{c:>4}/{e:<3} {c / e:5.3f}" if e else f"{'-':>14}"
            print(f"{name:24} {detector:8} {recall} {a:>4}/{k:<3} {a / k:6.3f}")
            if args.missed and detector == "both" and name.endswith("dev"):
                for r, f in zip(rows, flagged, strict=True):
                    if f != r["emergency"]:
                        print("   ", "MISSED" if r["emergency"] else "FALSE ", r["text"])


if __name__ == "__main__":
    main()
