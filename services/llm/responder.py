"""From a question and its passages to the reply: classify, answer (Groq or offline), enhance."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from collegebot.settings import InstitutionSettings
from collegebot.v1.common_pb2 import Passage, Turn
from services.llm import answerer, enhancer
from services.llm.classify import Labels, classify
from services.llm.generate import GroqGenerator
from services.llm.prompts import build_messages

log = logging.getLogger("collegebot.llm")


@dataclass
class Reply:
    answer: str
    parts: list[str]
    sources: list[Passage]
    labels: Labels
    abstained: bool
    confidence: float
    generator: str  # groq | offline | canned
    escalate: bool
    usage: tuple[int, int] = field(default=(0, 0))


_CITATION = re.compile(r"\s*\[(\d+)\]")


def cited(text: str, passages: list[Passage]) -> tuple[str, list[Passage]]:
    """Strip the model's [n] markers; the passages they point at become the sources line."""
    numbers = {int(n) for n in _CITATION.findall(text)}
    used = [p for i, p in enumerate(passages, 1) if i in numbers] or passages[:1]
    return _CITATION.sub("", text).strip(), used


class Responder:
    def __init__(self, institution: InstitutionSettings, groq: GroqGenerator | None) -> None:
        self.institution = institution
        self.groq = groq

    def _dont_know(self) -> str:
        return (
            "I don't know that from the college's documents. "
            f"Please contact {self.institution.college_helpdesk}."
        )

    def _canned(self, labels: Labels) -> str | None:
        college = self.institution.college_name
        if labels.intent == "greeting":
            return (
                f"Hello! I'm the help desk bot of {college}. Ask me about admissions, fees, "
                "exams, attendance, hostel, library, scholarships, placements or Wi-Fi."
            )
        if labels.intent == "thanks":
            return "You're welcome! Ask me anything else about the college."
        return None

    async def respond(
        self, question: str, passages: list[Passage], relevant: bool, history: list[Turn]
    ) -> Reply:
        labels = classify(question)
        escalate = labels.urgency == "critical" or labels.intent == "human_request"
        canned = self._canned(labels)
        if canned is not None:
            return self._finish(canned, [], labels, False, 1.0, "canned", escalate)

        if self.groq is not None and relevant:
            generation = await self.groq.generate(
                build_messages(self.institution, question, passages, history)
            )
            if generation is not None:
                text, used = cited(generation.text, passages)
                return self._finish(
                    text,
                    used,
                    labels,
                    False,
                    float(passages[0].score) if passages else 0.0,
                    "groq",
                    escalate,
                    (generation.prompt_tokens, generation.completion_tokens),
                )

        offline = answerer.compose(question, passages, relevant)
        if offline.abstained:
            return self._finish(self._dont_know(), [], labels, True, 0.0, "offline", escalate)
        return self._finish(
            offline.text, offline.used, labels, False, offline.confidence, "offline", escalate
        )

    def _finish(
        self, text, used, labels, abstained, confidence, generator, escalate, usage=(0, 0)
    ) -> Reply:
        body, parts = enhancer.finish(text, used, self.institution.reply_footer)
        return Reply(body, parts, used, labels, abstained, confidence, generator, escalate, usage)
