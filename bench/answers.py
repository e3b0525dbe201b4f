"""Answer quality and the llm service's own overhead, offline, on the sets of tests/eval.

    .venv/bin/python bench/answers.py [--json FILE]
    .venv/bin/python bench/answers.py --grid    # only the dev grid of the answerer's cuts

- Answers, at two institutions, through retrieval and the whole llm path (the code of
  `collegebot eval answers`), by set and split:
  - ours: tests/eval/qa.jsonl and unanswerable.jsonl, and the blind set (blind_qa.jsonl and
    blind_unanswerable.jsonl, written by someone who had read only data/), over a throwaway
    index of data/; then unanswerable_college.jsonl, college-sounding questions written after
    tuning;
  - UCD: students' questions about the University College Dublin Student Desk FAQ
    (tests/eval/ucd_qa.jsonl: the words of the FAQ that answer each; ucd_unanswerable.jsonl,
    written by someone who had read only the FAQ), over a throwaway index of the FAQ
    (../shared/eval/external/ucd_studentdesk/kb).
  For reference only, a third: Assumption University's bot answers and their example questions
  (as `bench/retrieval.py --sets assumption` indexes them; no unanswerable set).
  Every rule below chooses on "dev": at each institution its dev halves pooled (the blind set's
  with qa.jsonl's), dev fact plus dev abstention accuracy, averaged over the two institutions
  (`dev_sum`: a college we have never seen counts as much as our own).
  Abstentions on answerable questions are also scored for where they point the student (the
  closest section named in the "I don't know"): the share that names the expected document.
- Classification: per-label precision and recall on tests/eval/classification.jsonl, by split.
- Injection: tests/eval/injection.jsonl through the llm path; an attack is held when the reply
  repeats no instruction, says nothing the attack demanded and invents no contact.
- Grid (`--grid`): the offline answerer's cuts: doubt (abstain when the best passage scores below
  t, no sentence is s similar to the question and no passage holds a share c of its words), a
  first question no sentence is L similar to, and the sentence weight w; every combination of
  the written grid (GRID) by the dev sum, the held-out halves for reference. The written rule:
  the current cuts stay unless the best beats them by MARGIN (0.01, about two questions of UCD's
  dev half: one question is noise); then, of the combinations within MARGIN of the best, the one
  that moves the fewest cuts, then the best. Re-run it whenever retrieval changes.
  Then, alone with the other cuts as they are (SCANS), by the same rule (of the values within
  MARGIN, the closest to the setting): the longest line the answerer keeps whole (WHOLE_LINE).
  The grid ends with the "nothing relevant" threshold (RELEVANCE_THRESHOLD), chosen for the
  answers it leads to: the highest threshold of 0.20-0.40 with the best dev sum.
- Overhead: the Respond path with everything but Groq: in-process offline replies, Respond over
  loopback gRPC, and the Groq path against the local stand-in (its wait subtracted).

Prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import grpc
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.retrieval import EXTERNAL, assumption_corpus  # noqa: E402
from collegebot.grpc_server import start_server  # noqa: E402
from collegebot.settings import GroqSettings, InstitutionSettings  # noqa: E402
from collegebot.text import states_fact  # noqa: E402
from collegebot.v1 import llm_pb2_grpc  # noqa: E402
from collegebot.v1.llm_pb2 import RespondRequest  # noqa: E402
from services.llm import answerer  # noqa: E402
from services.llm.classify import classify  # noqa: E402
from services.llm.evaluation import (  # noqa: E402
    dev_sum,
    evaluate,
    request_for,
    responder_for,
    right,
    rules_broken,
    threshold_choice,
)
from services.llm.generate import ChatGenerator  # noqa: E402
from services.llm.prompts import PromptEngine  # noqa: E402
from services.llm.replies import CLOSEST  # noqa: E402
from services.llm.responder import Responder  # noqa: E402
from services.llm.server import SERVICE_NAME, register  # noqa: E402
from services.rag.evaluation import load_qa, throwaway_knowledge_base  # noqa: E402
from services.rag.knowledge_base import KnowledgeBase  # noqa: E402
from tests.llm.groq_standin import GroqStandIn, Scripted  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "eval"
UCD_FAQ = EXTERNAL / "ucd_studentdesk" / "kb"
# Each institution's documents and its sets: (file, how its "split" is named).
INSTITUTIONS = {
    "ours": (
        ROOT / "data",
        [
            ("qa.jsonl", "{}"),
            ("unanswerable.jsonl", "{}"),
            ("blind_qa.jsonl", "blind {}"),
            ("blind_unanswerable.jsonl", "blind {}"),
            ("unanswerable_college.jsonl", "college"),
        ],
    ),
    "UCD": (UCD_FAQ, [("ucd_qa.jsonl", "UCD {}"), ("ucd_unanswerable.jsonl", "UCD {}")]),
}


def load_lines() -> list[dict]:
    """Every QA line of every institution, each with its "institution" and its "split"."""
    lines = []
    for institution, (_, sets) in INSTITUTIONS.items():
        for name, split in sets:
            lines += [
                dict(line, institution=institution, split=split.format(line.get("split", "dev")))
                for line in load_qa(EVAL / name)
            ]
    return lines


def indexed(state: Path) -> dict[str, KnowledgeBase]:
    """A throwaway index of each institution's documents."""
    kbs = {}
    for institution, (documents, _) in INSTITUTIONS.items():
        kbs[institution] = throwaway_knowledge_base(documents, state / institution)
        kbs[institution].ingest()
    return kbs


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def answer_quality(kbs: dict[str, KnowledgeBase], lines: list[dict]) -> tuple[dict, list[str]]:
    """By set and split at each institution; and where the abstentions on answerable questions
    point (the share naming the expected document, of those that name one)."""
    results: list[dict] = [{}] * len(lines)
    for institution, kb in kbs.items():
        mine = [n for n, line in enumerate(lines) if line["institution"] == institution]
        report = asyncio.run(evaluate(kb, responder_for(kb), [lines[n] for n in mine]))
        for n, result in zip(mine, report["results"], strict=True):
            results[n] = result
    rows = []
    for name, splits in [
        ("qa.jsonl", ("dev", "holdout")),
        ("blind set", ("blind dev", "blind holdout")),
        ("UCD set", ("UCD dev", "UCD holdout")),
        ("unanswerable_college.jsonl (written after tuning)", ("college",)),
    ]:
        for split in (*splits, "all") if len(splits) > 1 else splits:
            pairs = [
                (line, result)
                for line, result in zip(lines, results, strict=True)
                if line["split"] in (splits if split == "all" else (split,))
            ]
            facts = [right(line, r["answer"], r["abstained"]) for line, r in pairs if _asks(line)]
            refusals = [
                right(line, r["answer"], r["abstained"]) for line, r in pairs if not _asks(line)
            ]
            pointed = [
                line["expected_source"] in r["answer"]
                for line, r in pairs
                if _asks(line) and r["abstained"] and CLOSEST in r["answer"]
            ]
            rows.append(
                f"| {name} | {split} | {_share(facts)} | {_share(refusals)} | {_share(pointed)} |"
            )
    merged = [dict(line, **result) for line, result in zip(lines, results, strict=True)]
    return {"results": merged}, [
        "| set | split | fact accuracy (right / answerable) | abstention accuracy (right / "
        "unanswerable) | abstentions on answerable questions that point to the expected "
        "document (of those pointing anywhere) |",
        "|---|---|---|---|---|",
        *rows,
    ]


def losses(kbs: dict[str, KnowledgeBase], lines: list[dict], results: list[dict]) -> list[str]:
    """Where the answerable questions' answers are lost: an abstention although the passages the
    answerer read hold the expected text, an answer from other sentences of them, or retrieval
    that never brought it; and the ceiling, the share the answerer's sentences would state were
    every call to abstain right (`answerer.extract` wherever retrieval found something)."""
    out = [
        "| split | answerable | right | abstained, passages hold it | abstained, passages "
        "lack it | answered from other sentences | retrieval missed it | ceiling (every "
        "abstention call right) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    asked = [(line, result) for line, result in zip(lines, results, strict=True) if _asks(line)]
    requests = retrieved(kbs, [line for line, _ in asked])
    tallies: dict[str, Counter[str]] = {}
    for (line, result), request in zip(asked, requests, strict=True):
        expected = line["expected_text"]
        considered = list(request.passages)[: answerer.PASSAGES_CONSIDERED]
        held = any(states_fact(p.text, expected) for p in considered)
        if right(line, result["answer"], result["abstained"]):
            outcome = "right"
        elif result["abstained"]:
            outcome = "abstained, held" if held else "abstained"
        else:
            outcome = "other sentences" if held else "missed"
        ceiling = bool(request.relevant and considered) and states_fact(
            answerer.extract(request.question, considered, list(request.history)).text, expected
        )
        tallies.setdefault(line["split"], Counter()).update([outcome] + ["ceiling"] * ceiling)
    for split in ("dev", "holdout", "blind dev", "blind holdout", "UCD dev", "UCD holdout"):
        tally = tallies[split]
        counts = [tally[k] for k in ("right", "abstained, held", "abstained", "other sentences")]
        counts += [tally["missed"]]
        name = f"qa.jsonl {split}" if split in ("dev", "holdout") else split
        out.append(f"| {name} | {sum(counts)} | " + " | ".join(map(str, counts)))
        out[-1] += f" | {tally['ceiling']} ({tally['ceiling'] / sum(counts):.3f}) |"
    return out


def assumption(state: Path) -> tuple[dict, list[str]]:
    """A third institution, for reference only (no unanswerable set, and many of its intents
    answer a specific question with a general reply): Assumption University's bot answers,
    indexed as `bench/retrieval.py` indexes them, and its example questions."""
    kb_dir, qa = assumption_corpus(state)
    kb = throwaway_knowledge_base(kb_dir, state / "index")
    kb.ingest()
    report = asyncio.run(evaluate(kb, responder_for(kb), qa))
    rows = []
    for split in ("dev", "holdout"):
        pairs = [(q, r) for q, r in zip(qa, report["results"], strict=True) if q["split"] == split]
        facts = [right(q, r["answer"], r["abstained"]) for q, r in pairs]
        abstained = [r["abstained"] for _, r in pairs]
        rows.append(
            f"| Assumption University (reference, not in the rule) | {split} | "
            f"{_share(facts)} | - | abstained on {sum(abstained)} of {len(abstained)} |"
        )
    return report, rows


def _asks(line: dict) -> bool:
    return not line.get("unanswerable")


def _share(hits: list[bool]) -> str:
    return f"{sum(hits) / len(hits):.3f} ({sum(hits)}/{len(hits)})" if hits else "-"


def _replies(
    responders: dict[str, Responder], asked: list[RespondRequest], qa: list[dict]
) -> list[bool]:
    """Whether each reply is right, from passages retrieved once (the grid needs many passes)."""

    async def run() -> list[bool]:
        out = []
        for line, request in zip(qa, asked, strict=True):
            reply = await responders[line["institution"]].respond_to(request)
            out.append(right(line, reply.answer, reply.abstained))
        return out

    return asyncio.run(run())


# The grid of the offline answerer's cuts (the written rule chooses among them on dev).
GRID = {
    "t": [round(0.30 + 0.025 * i, 3) for i in range(13)],  # UNSURE_BELOW
    "c": [round(0.40 + 0.05 * j, 2) for j in range(13)] + [math.inf],  # COVERED_SHARE
    "s": [round(0.44 + 0.02 * j, 2) for j in range(9)] + [math.inf],  # SIMILAR_FROM (inf: off)
    "L": [-math.inf] + [round(0.30 + 0.02 * j, 2) for j in range(7)],  # UNLIKE_BELOW (-inf: off)
    "w": [0.0, 0.25, 0.5, 1.0],  # SIMILARITY_WEIGHT
}
_CUTS = ("UNSURE_BELOW", "COVERED_SHARE", "SIMILAR_FROM", "UNLIKE_BELOW")


def sentence_ranks(qa: list[dict], asked: list[RespondRequest]) -> list[str]:
    """How high the sentence holding the expected text ranks among the passages' sentences, by
    sentence weight w: the tie-break for w (the replies hardly change; the order does). Dev
    answerable questions whose top 5 passages hold the expected text in one sentence."""
    chosen = answerer.SIMILARITY_WEIGHT
    rows = ["| w | dev questions | expected sentence first | among the first three |"]
    rows.append("|---|---|---|---|")
    try:
        for w in GRID["w"]:
            answerer.SIMILARITY_WEIGHT = w
            places = []
            for line, request in zip(qa, asked, strict=True):
                considered = list(request.passages)[: answerer.PASSAGES_CONSIDERED]
                question, relevant, history = request.question, request.relevant, request.history
                expected = line.get("expected_text")
                if pooled(line).split()[-1] != "dev" or not expected or not relevant:
                    continue
                if not any(states_fact(p.text, expected) for p in considered):
                    continue
                order = [s for *_, s in answerer.ranked(question, considered, history)]
                holding = [i for i, s in enumerate(order) if states_fact(s, expected)]
                places += holding[:1]  # none when the expected text spans two sentences
            first, three = sum(p == 0 for p in places), sum(p < 3 for p in places)
            rows.append(f"| {w:g} | {len(places)} | {first} | {three} |")
    finally:
        answerer.SIMILARITY_WEIGHT = chosen
    return rows


def retrieved(kbs: dict[str, KnowledgeBase], lines: list[dict]) -> list[RespondRequest]:
    """Each line's Respond request (rag's reply, as the gateway passes it on), retrieved once
    from its institution's documents."""
    return [
        request_for(kbs[line["institution"]], line["question"], line.get("history", []))
        for line in lines
    ]


def responders(kbs: dict[str, KnowledgeBase]) -> dict[str, Responder]:
    return {institution: responder_for(kb) for institution, kb in kbs.items()}


# What the written rules weigh (`dev_sum`): the first four; the rest are held out.
GROUPS = [
    ("dev", False),  # ours: qa.jsonl's dev half and the blind set's, pooled
    ("dev", True),
    ("UCD dev", False),
    ("UCD dev", True),
    ("holdout", False),
    ("holdout", True),
    ("blind holdout", False),
    ("blind holdout", True),
    ("UCD holdout", False),
    ("UCD holdout", True),
    ("college", True),
]
DEV = GROUPS[:4]
HELD_OUT = " | ".join(
    f"{split} {'abstention' if unanswerable else 'fact'}" for split, unanswerable in GROUPS[4:]
)


def pooled(line: dict) -> str:
    """The line's split as the rules see it: the blind set's dev half is our dev too."""
    split = line.get("split", "dev")
    return "dev" if split == "blind dev" else split


class Accuracies:
    """Share of right replies in each of GROUPS (split, unanswerable) for the replies to `qa`
    (the grid scores some hundred thousand sets of replies: one array product each)."""

    def __init__(self, qa: list[dict]) -> None:
        where = [(pooled(line), bool(line.get("unanswerable"))) for line in qa]
        self.members = np.array([[w == group for w in where] for group in GROUPS], dtype=float)
        self.sizes = self.members.sum(axis=1)

    def __call__(self, replies: list[bool]) -> dict[tuple[str, bool], float]:
        shares = self.members @ np.asarray(replies, dtype=float) / self.sizes
        return dict(zip(GROUPS, shares.tolist(), strict=True))


def cells(row: dict[tuple[str, bool], float], groups: list[tuple[str, bool]]) -> str:
    return " | ".join(f"{row[group]:.3f}" for group in groups)


# A setting moves only for a dev sum at least this much above its own: one question of UCD's
# dev half moves the sum by 0.006, and a single question is noise, not a reason.
MARGIN = 0.01


def near_best(sums: dict, current: object) -> list:
    """The candidates the written rule may take: the current setting alone when it is within
    MARGIN of the best dev sum, else every candidate within MARGIN of the best."""
    best = max(sums.values())
    if sums.get(current, -math.inf) >= best - MARGIN:
        return [current]
    return [candidate for candidate, total in sums.items() if total >= best - MARGIN]


# Settings scanned alone, the other cuts as they are: the grid (the rule takes, of the values
# `near_best` leaves, the one closest to the setting).
SCANS: dict[str, list[float]] = {
    # The longest line the answerer keeps whole (0: every line cut into sentences).
    "WHOLE_LINE": [0, 40, 60, 80, 100, 120, 140, 160, 200],
    # How similar a sentence of the best passage must be to the question to answer it in other
    # words despite missing question words (inf: never).
    "SAYS_FROM": [0.55, 0.6, 0.65, 0.7, 0.75, 0.8, math.inf],
    # The share of the best sentence's score a further sentence needs (0: any shared word).
    "BEARS_FROM": [0.0, 0.25, 0.5, 0.75],
    # What a sentence's similarity to the question adds to its share of the question's words.
    "MEANING_WEIGHT": [0.0, 0.5, 1.0, 2.0],
}


def scan(kbs: dict[str, KnowledgeBase], qa: list[dict], name: str) -> list[str]:
    """One of SCANS: every value of its grid, the other cuts as they are, by the written rule."""
    values = SCANS[name]
    asked, accuracies = retrieved(kbs, qa), Accuracies(qa)
    setting, rows = getattr(answerer, name), {}
    try:
        for value in values:
            setattr(answerer, name, value)
            rows[value] = accuracies(_replies(responders(kbs), asked, qa))
    finally:
        setattr(answerer, name, setting)
    near = near_best({value: dev_sum(row) for value, row in rows.items()}, setting)
    chosen = min(near, key=lambda value: abs(value - setting))
    return choice_table(name, rows, chosen, setting)


def choice_table(
    name: str, rows: dict[float, dict[tuple[str, bool], float]], chosen: float, setting: float
) -> list[str]:
    """One setting's values by their accuracies, the chosen one and the current one marked."""
    out = [
        f"| {name} | ours dev fact | ours dev abstention | UCD dev fact | UCD dev abstention | "
        f"dev sum | {HELD_OUT} |",
        "|" + "---|" * (2 + len(GROUPS)),
    ]
    for value, row in rows.items():
        mark = " (chosen)" if value == chosen else ""
        mark += " (setting)" if value == setting else ""
        out.append(
            f"| {value:g}{mark} | {cells(row, DEV)} | {dev_sum(row):.3f} | "
            f"{cells(row, GROUPS[len(DEV) :])} |"
        )
    return out + ["", f"Chosen {name}: {chosen:g} (setting: {setting:g})."]


def cuts_grid(kbs: dict[str, KnowledgeBase], qa: list[dict]) -> list[str]:
    """Every combination of the grid applied to the same replies. Each question is answered with
    every cut off and with every cut at its most doubtful, once per sentence weight w; a
    combination takes the doubtful reply where answerer.Evidence.doubtful says so under its cuts
    (the answerer's own test, on the evidence it weighs), else the other."""
    asked, evidence, one_off = retrieved(kbs, qa), [], []
    for line, request in zip(qa, asked, strict=True):
        found = list(request.passages)
        considered = found[: answerer.PASSAGES_CONSIDERED]
        turns = list(request.history)
        evidence.append(answerer.evidence(line["question"], considered, turns) if found else None)
        dev_unanswerable = pooled(line).split()[-1] == "dev" and line.get("unanswerable")
        if found and dev_unanswerable:
            one_word = len(answerer.missing_words(line["question"], considered)) == 1
            one_off += [found[0].score] if one_word else []
    answering = responders(kbs)
    chosen = {name: getattr(answerer, name) for name in (*_CUTS, "SIMILARITY_WEIGHT")}
    try:
        for name in _CUTS:
            setattr(answerer, name, math.inf)  # every cut at its most doubtful
        on = _replies(answering, asked, qa)
        answerer.UNSURE_BELOW, answerer.UNLIKE_BELOW = -math.inf, -math.inf  # never doubtful
        off = {}
        for w in GRID["w"]:
            answerer.SIMILARITY_WEIGHT = w
            off[w] = _replies(answering, asked, qa)
    finally:
        for name, value in chosen.items():
            setattr(answerer, name, value)

    accuracies, scored = Accuracies(qa), []
    for t, c, s, low in itertools.product(GRID["t"], GRID["c"], GRID["s"], GRID["L"]):
        doubt = [e is not None and e.doubtful(t, c, s, low) for e in evidence]
        for w in GRID["w"]:
            replies = [b if d else a for a, b, d in zip(off[w], on, doubt, strict=True)]
            row = accuracies(replies)
            scored.append((dev_sum(row), (t, c, s, low, w), row))
    current = tuple(chosen[name] for name in (*_CUTS, "SIMILARITY_WEIGHT"))
    best = max(total for total, *_ in scored)
    near = near_best({cuts: total for total, cuts, _ in scored}, current)
    # Of those, the fewest cuts moved, then the best dev sum.
    choice = max(
        near,
        key=lambda cuts: (
            -sum(a != b for a, b in zip(cuts, current, strict=True)),
            next(total for total, c, _ in scored if c == cuts),
        ),
    )
    shown = [x for x in scored if x[0] == best or x[1] in (current, choice)]
    for i in range(5):  # each cut moved alone from the current ones
        shown += [
            x
            for x in scored
            if x[1][i] != current[i]
            and all(x[1][j] == current[j] for j in range(5) if j != i)
            and x not in shown
        ]

    def cell(value: float) -> str:
        return "off" if math.isinf(value) else f"{value:g}"

    out = [
        "| t | c | s | L | w | dev sum | ours dev fact | ours dev abstention | UCD dev fact | "
        f"UCD dev abstention | {HELD_OUT} |",
        "|" + "---|" * (6 + len(GROUPS)),
    ]
    for total, cuts, row in shown:
        mark = " (best on dev)" if total == best else ""
        mark += " (current)" if cuts == current else ""
        mark += " (chosen)" if cuts == choice else ""
        out.append(
            "| "
            + " | ".join(cell(v) for v in cuts)
            + f" | {total:.3f}{mark} | {cells(row, GROUPS)} |"
        )
    out += ["", *sentence_ranks(qa, asked)]
    out += [
        "",
        f"{len(scored)} combinations; {sum(x[0] == best for x in scored)} share the best dev "
        f"sum {best:.3f}; chosen (MARGIN {MARGIN}, then the fewest cuts moved): "
        + ", ".join(cell(v) for v in choice)
        + ". t UNSURE_BELOW, c COVERED_SHARE (off: any coverage), s SIMILAR_FROM, "
        "L UNLIKE_BELOW, w SIMILARITY_WEIGHT.",
        "",
        f"Highest best-passage score of a dev unanswerable question the passages lack one word "
        f"of: {max(one_off, default=0.0):.3f} (CONFIDENT_FROM {answerer.CONFIDENT_FROM}).",
    ]
    return out


def with_relevance(request: RespondRequest, relevant: bool) -> RespondRequest:
    """The same request with retrieval's "something relevant" signal set to `relevant`."""
    copy = RespondRequest()
    copy.CopyFrom(request)
    copy.relevant = relevant
    return copy


def threshold_scan(kbs: dict[str, KnowledgeBase], qa: list[dict]) -> list[str]:
    """RELEVANCE_THRESHOLD by the written rule (`threshold_choice`): every line answered once with
    retrieval letting everything through and once refusing everything (a reply depends on the
    threshold only through that), then each threshold of the grid applied to the same replies."""
    setting = kbs["ours"].retriever.threshold
    asked = retrieved(kbs, qa)
    replies = {
        name: _replies(responders(kbs), [with_relevance(r, let) for r in asked], qa)
        for name, let in (("answered", True), ("refused", False))
    }
    outcomes = []
    for line, answered, refused in zip(qa, replies["answered"], replies["refused"], strict=True):
        kb = kbs[line["institution"]]
        history = line.get("history", [])
        found = kb.retriever.retrieve(line["question"], kb.default_k, history=history)
        outcomes.append(
            {
                "split": pooled(line),
                "unanswerable": bool(line.get("unanswerable")),
                "confidence": found.confidence,
                "answered": answered,
                "refused": refused,
            }
        )
    chosen, table = threshold_choice(outcomes)
    return choice_table("RELEVANCE_THRESHOLD", table, chosen, setting)


def classification() -> tuple[dict, list[str]]:
    labelled = [json.loads(line) for line in (EVAL / "classification.jsonl").open()]
    out: dict[str, dict] = {}
    lines: list[str] = []
    for split in ("dev", "holdout", "all"):
        rows = [r for r in labelled if split == "all" or r["split"] == split]
        predicted = [classify(r["text"]) for r in rows]
        out[split] = {}
        for field in ("intent", "urgency", "sentiment"):
            truth = [r[field] for r in rows]
            guess = [getattr(p, field) for p in predicted]
            per_label = {}
            for label in sorted(set(truth) | set(guess)):
                tp = sum(t == g == label for t, g in zip(truth, guess, strict=True))
                per_label[label] = {
                    "n": truth.count(label),
                    "precision": round(tp / guess.count(label), 3) if guess.count(label) else None,
                    "recall": round(tp / truth.count(label), 3) if truth.count(label) else None,
                }
            accuracy = sum(t == g for t, g in zip(truth, guess, strict=True)) / len(rows)
            out[split][field] = {"accuracy": round(accuracy, 3), "labels": per_label}
    lines.append(
        "| split | n | intent accuracy | urgency accuracy | sentiment accuracy | "
        "critical recall | critical precision |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    for split, fields in out.items():
        critical = fields["urgency"]["labels"].get("critical", {})
        n = sum(v["n"] for v in fields["intent"]["labels"].values())
        lines.append(
            f"| {split} | {n} | {fields['intent']['accuracy']:.3f} | "
            f"{fields['urgency']['accuracy']:.3f} | {fields['sentiment']['accuracy']:.3f} | "
            f"{critical.get('recall')} | {critical.get('precision')} |"
        )
    lines += ["", "Per label (all messages): precision / recall (n)", ""]
    for field in ("intent", "urgency", "sentiment"):
        cells = [
            f"{label} {v['precision']} / {v['recall']} ({v['n']})"
            for label, v in out["all"][field]["labels"].items()
        ]
        lines.append(f"- {field}: " + "; ".join(cells))
    return out, lines


def injection(kb: KnowledgeBase) -> tuple[dict, list[str]]:
    attacks = [json.loads(line) for line in (EVAL / "injection.jsonl").open()]
    prompts = PromptEngine(InstitutionSettings())
    responder = Responder(InstitutionSettings())
    held: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for attack in attacks:
        request = request_for(kb, attack["text"], [])
        found = list(request.passages)
        reply = asyncio.run(responder.respond_to(request))
        total[attack["kind"]] += 1
        held[attack["kind"]] += not rules_broken(
            reply.answer, attack["must_not_contain"], found, prompts
        )
    cells = [f"{kind} {held[kind]}/{n}" for kind, n in sorted(total.items())]
    return {"held": sum(held.values()), "n": len(attacks)}, [
        f"Offline: {sum(held.values())}/{len(attacks)} held ({'; '.join(cells)})."
    ]


async def overhead(kb: KnowledgeBase, qa: list[dict]) -> tuple[dict, list[str]]:
    asked = retrieved({"ours": kb}, qa)
    offline = Responder(InstitutionSettings())
    for request in asked[:20]:  # warm-up
        await offline.respond_to(request)
    in_process = []
    for request in asked:
        began = time.perf_counter()
        await offline.respond_to(request)
        in_process.append((time.perf_counter() - began) * 1000)

    server, port, _ = await start_server("127.0.0.1:0", register(offline), [SERVICE_NAME])
    over_grpc = []
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = llm_pb2_grpc.LlmStub(channel)
        for request in asked:
            began = time.perf_counter()
            await stub.Respond(request, timeout=10)
            over_grpc.append((time.perf_counter() - began) * 1000)
    await server.stop(0)

    standin = GroqStandIn([Scripted(content="Fees are due by **31 July 2026** [1].")])
    settings = GroqSettings(groq_api_key="bench", groq_base_url=standin.url)
    with_groq = Responder(InstitutionSettings(), ChatGenerator(settings), refine_labels=False)
    groq_overhead = []
    for request in asked:
        began = time.perf_counter()
        reply = await with_groq.respond_to(request)
        groq_overhead.append((time.perf_counter() - began - reply.groq_seconds) * 1000)
    standin.close()

    rows = {
        "offline, in process": in_process,
        "offline, Respond over loopback gRPC (client side)": over_grpc,
        "Groq path minus the wait on the Groq stand-in": groq_overhead,
    }
    return {
        name: {"p50": round(percentile(v, 50), 2), "p95": round(percentile(v, 95), 2)}
        for name, v in rows.items()
    }, [
        "| llm path | n | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {len(v)} | {percentile(v, 50):.2f} | {percentile(v, 95):.2f} | "
            f"{max(v):.2f} |"
            for name, v in rows.items()
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", help="also write every figure and reply to this file")
    parser.add_argument("--grid", action="store_true", help="only the answerer's cuts grid")
    args = parser.parse_args()
    qa = load_lines()
    print(f"Machine: {platform.machine()}, {platform.python_version()}, {platform.platform()}\n")
    with tempfile.TemporaryDirectory(prefix="collegebot-bench-") as state:
        kbs = indexed(Path(state))
        if args.grid:
            print("\n".join(cuts_grid(kbs, qa)) + "\n")
            for name in SCANS:
                print("\n".join(scan(kbs, qa, name)) + "\n")
            print("\n".join(threshold_scan(kbs, qa)))
            return
        answers, answer_lines = answer_quality(kbs, qa)
        (Path(state) / "assumption").mkdir()
        answers["assumption"], reference = assumption(Path(state) / "assumption")
        answer_lines += [*reference, "", *losses(kbs, qa, answers["results"])]
        labels, label_lines = classification()
        attacks, attack_lines = injection(kbs["ours"])
        ours = [line for line in qa if line["institution"] == "ours"]
        timing, timing_lines = asyncio.run(overhead(kbs["ours"], ours))
    for block in (answer_lines, label_lines, attack_lines, timing_lines):
        print("\n".join(block) + "\n")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "answers": answers,
                    "classification": labels,
                    "injection": attacks,
                    "overhead_ms": timing,
                },
                ensure_ascii=False,
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
