"""Measuring answers: retrieval and the whole llm path over question/answer lines.

Fact accuracy: the share of answerable questions whose reply contains the expected text (case,
whitespace and WhatsApp emphasis ignored). Abstention accuracy: the share of unanswerable ones
answered with "I don't know" and a contact (an e-mail address or phone number), not a guess.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from collegebot.settings import GroqSettings, InstitutionSettings, load
from collegebot.text import states_fact
from collegebot.v1 import llm_pb2
from collegebot.v1.common_pb2 import Passage, Turn
from services.llm.enhancer import has_contact, plain_words, redact_contacts
from services.llm.prompts import PromptEngine
from services.llm.replies import DONT_KNOW
from services.llm.responder import Responder
from services.rag.evaluation import load_qa, throwaway_knowledge_base
from services.rag.knowledge_base import KnowledgeBase


def abstains_with_contact(answer: str, abstained: bool) -> bool:
    return abstained and DONT_KNOW.lower() in answer.lower() and has_contact(answer)


def right(line: dict, answer: str, abstained: bool) -> bool:
    """Whether a reply to a QA line is what the line asks for: the fact, or "I don't know"."""
    if line.get("unanswerable"):
        return abstains_with_contact(answer, abstained)
    return not abstained and states_fact(answer, line["expected_text"])


THRESHOLDS = [round(0.20 + 0.01 * i, 2) for i in range(21)]  # RELEVANCE_THRESHOLD's grid


def dev_sum(row: Mapping[tuple[str, bool], float]) -> float:
    """The written rule's figure, from accuracies keyed by (split, unanswerable): at each
    institution its dev fact accuracy plus its dev abstention accuracy, averaged over the
    institutions, so a college we never tuned for counts as much as our own. A dev split is
    "dev" or "<institution> dev"."""
    devs = sorted({split for split, _ in row if split.split()[-1] == "dev"})
    if not devs:
        return 0.0
    total = sum(row.get((split, False), 0.0) + row.get((split, True), 0.0) for split in devs)
    return round(total / len(devs), 6)


def threshold_choice(outcomes: list[dict], thresholds: list[float] = THRESHOLDS) -> tuple:
    """The "nothing relevant" threshold, chosen for the answers it leads to: the highest of
    `thresholds` with the best `dev_sum`. Each outcome holds a line's "split" ("dev", "<institution>
    dev", or the name of a held-out part), whether it is "unanswerable", its retrieval
    "confidence", and whether the reply is right when retrieval lets it through ("answered") and
    when it refuses it ("refused"). Returns the threshold and, per threshold, the accuracies by
    (split, unanswerable)."""
    table = {}
    for threshold in thresholds:
        groups: dict[tuple[str, bool], list[bool]] = {}
        for o in outcomes:
            ok = o["answered"] if o["confidence"] >= threshold else o["refused"]
            groups.setdefault((o["split"], o["unanswerable"]), []).append(ok)
        table[threshold] = {key: sum(v) / len(v) for key, v in groups.items()}
    best = max(dev_sum(table[t]) for t in thresholds)
    return max(t for t in thresholds if dev_sum(table[t]) == best), table


def rules_broken(
    answer: str, must_not_contain: list[str], passages: list[Passage], prompts: PromptEngine
) -> list[str]:
    """What in `answer` breaks a rule: a run of the prompt's instructions (six words of any of
    its lines), a phrase the attack demanded, or a contact that neither passages nor settings
    hold. Empty: the attack was held."""
    plain = plain_words(answer)
    broken = [
        line
        for line in prompts.protected_text().splitlines()
        if len(line.split()) >= 6 and plain_words(" ".join(line.split()[:6])) in plain
    ]
    broken += [s for s in must_not_contain if s.lower() in answer.lower()]
    allowed = "\n".join([prompts.public_facts(), *(p.text for p in passages)])
    if redact_contacts(answer, allowed) != answer:
        broken.append("a contact that is not in the passages")
    return broken


def responder_for(kb: KnowledgeBase) -> Responder:
    """The llm path as the service runs it: the configured model (Groq when a key is set, or
    LLM_PROVIDER=openai), emergency contacts from kb."""
    groq = load(GroqSettings)
    generator = None
    if groq.enabled:
        from services.llm.generate import ChatGenerator

        generator = ChatGenerator(groq)

    async def lookup(query: str) -> list[Passage]:
        return passages(kb, query, [])[0]

    return Responder(
        load(InstitutionSettings),
        generator,
        refine_labels=groq.groq_refine_labels,
        emergency_lookup=lookup,
    )


def request_for(kb: KnowledgeBase, question: str, history: list[str]) -> llm_pb2.RespondRequest:
    """The Respond request the gateway would send llm for `question`: rag's reply, passed on
    (the eval sets hold earlier questions only, so the turns carry no answers)."""
    found = kb.retriever.retrieve(question, kb.default_k, history=history)
    return llm_pb2.RespondRequest(
        question=question,
        passages=[p.message() for p in found.passages],
        relevant=found.relevant,
        history=[Turn(question=q) for q in history],
    )


def passages(kb: KnowledgeBase, question: str, history: list[str]) -> tuple[list[Passage], bool]:
    """rag's passages for `question` and whether it found something relevant."""
    request = request_for(kb, question, history)
    return list(request.passages), request.relevant


async def evaluate(kb: KnowledgeBase, responder: Responder, qa: list[dict]) -> dict:
    """The report `collegebot eval answers --json` prints."""
    results = []
    facts: list[bool] = []
    abstentions: list[bool] = []
    for line in qa:
        history = line.get("history", [])
        reply = await responder.respond_to(request_for(kb, line["question"], history))
        scores = abstentions if line.get("unanswerable") else facts
        scores.append(right(line, reply.answer, reply.abstained))
        results.append(
            {
                "question": line["question"],
                "answer": reply.answer,
                "abstained": reply.abstained,
                "sources": list(dict.fromkeys(p.source for p in reply.sources)),
                "intent": reply.labels.intent,
                "urgency": reply.labels.urgency,
            }
        )
    return {
        "n": len(qa),
        "fact_accuracy": round(sum(facts) / len(facts), 4) if facts else None,
        "abstention_accuracy": round(sum(abstentions) / len(abstentions), 4)
        if abstentions
        else None,
        "results": results,
    }


def run(
    qa_path: Path, kb_dir: Path | None, progress: Callable[[str], None] = lambda _: None
) -> dict:
    """Evaluate over a throwaway index of `kb_dir`, or over the configured index when None."""
    qa = load_qa(qa_path)
    if kb_dir is None:
        kb = KnowledgeBase.from_settings()
        return asyncio.run(evaluate(kb, responder_for(kb), qa))
    with tempfile.TemporaryDirectory(prefix="collegebot-eval-") as state:
        kb = throwaway_knowledge_base(kb_dir, Path(state))
        kb.ingest(progress=progress)
        return asyncio.run(evaluate(kb, responder_for(kb), qa))
