"""From a question and its passages to the reply: classify, answer (Groq or offline), enhance.

Order matters: an emergency is answered at once with the knowledge base's emergency contacts and
never waits on a model; greetings, thanks and requests for a person get fixed replies; the rest
is answered by Groq when it is configured and working, otherwise by the offline answerer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import dataclass, field, replace

from collegebot.emergency import ContactLookup, EmergencyDesk
from collegebot.settings import InstitutionSettings
from collegebot.v1 import llm_pb2
from collegebot.v1.common_pb2 import Passage, Turn
from services.llm import answerer
from services.llm.classify import INTENTS, URGENCIES, Labels, classify
from services.llm.enhancer import Enhancer, to_whatsapp
from services.llm.generate import ChatGenerator
from services.llm.prompts import PromptEngine
from services.llm.replies import DONT_KNOW, Replies

log = logging.getLogger("collegebot.llm")


@dataclass
class Reply:
    answer: str
    parts: list[str]
    sources: list[Passage]
    labels: Labels
    abstained: bool
    confidence: float
    generator: str  # groq | offline | canned | emergency
    escalate: bool
    usage: tuple[int, int] = field(default=(0, 0))  # Groq prompt and completion tokens
    groq_seconds: float = 0.0  # time spent waiting on Groq (the rest is our own overhead)


_CITATION = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
_ABSTAINS = re.compile(r"\b(i )?(don'?t|do not) (know|have)\b|not (covered|mentioned) in", re.I)


def cited(text: str, passages: list[Passage]) -> tuple[str, list[Passage]]:
    """Strip the model's [n] markers; the passages they point at become the sources line."""
    numbers = {int(n) for group in _CITATION.findall(text) for n in re.findall(r"\d+", group)}
    used = [p for i, p in enumerate(passages, 1) if i in numbers] or passages[:1]
    return _CITATION.sub("", text).strip(), used


def refined(labels: Labels, raw: str) -> Labels:
    """Groq's labels where they add something: an intent for "other", a higher urgency."""
    try:
        data = json.loads(raw)
    except ValueError:
        return labels
    if not isinstance(data, dict):
        return labels
    intent, urgency = data.get("intent"), data.get("urgency")
    if labels.intent == "other" and intent in INTENTS:
        labels = replace(labels, intent=intent)
    if urgency in URGENCIES and URGENCIES.index(urgency) > URGENCIES.index(labels.urgency):
        labels = replace(labels, urgency=urgency)
    return labels


class Responder:
    def __init__(
        self,
        institution: InstitutionSettings,
        groq: ChatGenerator | None = None,
        *,
        refine_labels: bool = True,
        emergency_lookup: ContactLookup | None = None,
    ) -> None:
        self.prompts = PromptEngine(institution)
        self.replies = Replies(institution)
        self.enhancer = Enhancer(
            self.prompts.protected_text(), self.prompts.public_facts(), institution.reply_footer
        )
        self.desk = EmergencyDesk(institution.emergency_query, emergency_lookup)
        self.groq = groq
        self.refine_labels = refine_labels

    async def respond_to(self, request: llm_pb2.RespondRequest) -> Reply:
        """The reply to a Respond request (rag's passages for the question, as the gateway sends
        them)."""
        return await self.respond(
            request.question,
            list(request.passages),
            request.relevant,
            list(request.history),
            request.emergency,
        )

    async def respond(
        self,
        question: str,
        passages: list[Passage],
        relevant: bool,
        history: list[Turn],
        emergency: str = "",
    ) -> Reply:
        labels = classify(question, emergency)
        if labels.urgency == "critical":
            return await self._emergency(labels, passages)
        fixed = {
            "greeting": self.replies.greeting,
            "thanks": self.replies.thanks,
            "human_request": self.replies.human,
        }.get(labels.intent)
        if fixed is not None:
            escalate = labels.intent == "human_request"
            return self._reply(fixed(), [], labels, False, 1.0, "canned", escalate)

        if self.groq is not None and relevant:
            reply = await self._groq(question, passages, history, labels)
            if reply is not None:
                return reply

        offline = answerer.compose(question, passages, relevant, history)
        if offline.abstained:
            text = self.replies.dont_know(labels.intent, answerer.nearest(passages, relevant))
            return self._reply(text, [], labels, True, 0.0)
        text = to_whatsapp(offline.text)
        return self._reply(text, offline.used, labels, False, offline.confidence)

    async def _groq(
        self, question: str, passages: list[Passage], history: list[Turn], labels: Labels
    ) -> Reply | None:
        assert self.groq is not None
        started = time.perf_counter()
        answer = self.groq.generate(self.prompts.answer_messages(question, passages, history))
        if self.refine_labels and labels.intent == "other":
            refine = self.groq.generate(
                self.prompts.refine_messages(question), json_mode=True, max_tokens=60
            )
            generation, relabel = await asyncio.gather(answer, refine)
            labels = refined(labels, relabel.text) if relabel else labels
        else:
            generation, relabel = await answer, None
        waited = time.perf_counter() - started
        usage = tuple(
            sum(getattr(g, k) for g in (generation, relabel) if g)
            for k in ("prompt_tokens", "completion_tokens")
        )
        if labels.urgency == "critical":
            return await self._emergency(labels, passages)
        if generation is None:
            return None
        text, used = cited(generation.text, passages)
        text = self.enhancer.clean(text, passages)
        if not text:  # nothing left once the echo of the prompt was removed
            return None
        if _ABSTAINS.search(text) or DONT_KNOW.lower() in text.lower():
            # Our own wording, so the student always gets the right office's contact.
            nearest = answerer.nearest(passages, True)  # Groq is only asked when relevant
            text, used, abstained = self.replies.dont_know(labels.intent, nearest), [], True
        else:
            abstained = False
        confidence = float(passages[0].score) if passages and not abstained else 0.0
        reply = self._reply(text, used, labels, abstained, confidence, self.groq.name)
        reply.usage, reply.groq_seconds = (usage[0], usage[1]), waited
        return reply

    async def _emergency(self, labels: Labels, passages: list[Passage]) -> Reply:
        contacts, used = await self.desk.contacts(labels.emergency, passages)
        text = self.replies.emergency(labels.emergency, contacts)
        return self._reply(text, used, labels, False, 1.0, "emergency", escalate=True)

    def _reply(
        self,
        text: str,
        used: list[Passage],
        labels: Labels,
        abstained: bool,
        confidence: float,
        generator: str = "offline",
        escalate: bool = False,
    ) -> Reply:
        body, parts = self.enhancer.finish(text, used)
        escalate = escalate or labels.urgency == "critical"
        return Reply(body, parts, used, labels, abstained, confidence, generator, escalate)
