"""Answers from Groq, when a key is configured. Any failure means: answer offline."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import groq

from collegebot.settings import GroqSettings

log = logging.getLogger("collegebot.llm.groq")


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int


class GroqGenerator:
    def __init__(self, settings: GroqSettings) -> None:
        assert settings.groq_api_key is not None
        self.model = settings.groq_model
        # The SDK retries 429 (honouring Retry-After), 5xx and timeouts itself, max_retries times.
        self.client = groq.AsyncGroq(
            api_key=settings.groq_api_key.get_secret_value(),
            base_url=settings.groq_base_url,
            timeout=settings.groq_timeout_s,
            max_retries=settings.groq_max_retries,
        )

    async def generate(self, messages: list[Any]) -> Generation | None:
        """The model's answer, or None when Groq failed (logged without the student's text)."""
        try:
            completion = await self.client.chat.completions.create(
                model=self.model, messages=messages, temperature=0.1, max_tokens=400
            )
        except groq.APIError as e:
            log.warning("groq failed: %s", type(e).__name__)
            return None
        text = (completion.choices[0].message.content or "").strip() if completion.choices else ""
        if not text:
            log.warning("groq returned an empty answer")
            return None
        usage = completion.usage
        return Generation(
            text, usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0
        )

    async def close(self) -> None:
        await self.client.close()
