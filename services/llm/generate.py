"""Answers from a chat-completions model: Groq (hosted) or, with LLM_PROVIDER=openai, any
OpenAI-compatible server (vLLM, llama.cpp's server, Ollama). Any failure means: answer offline.
The provider only picks the client (groq.AsyncGroq or openai.AsyncOpenAI, the same API shape);
retries, deadline and breaker below are the same for both.

Each call gets one overall deadline (GROQ_DEADLINE_S) covering every attempt and every wait, so a
reply always fits the gateway's deadline and Twilio's 15 s. Inside it, tenacity retries rate
limits, server errors and timeouts with full-jitter exponential backoff, or exactly as long as
the server's `Retry-After` asks when that still fits. A purgatory circuit breaker stops calling
the model for GROQ_BREAKER_RESET_S after GROQ_BREAKER_FAILURES failed attempts in a row.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import groq
import openai
from prometheus_client import Counter, Gauge, Histogram
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from collegebot.settings import GroqSettings

log = logging.getLogger("collegebot.llm.groq")

GROQ_ATTEMPTS = Counter(
    "collegebot_llm_groq_attempts_total",
    "Model requests by provider (groq, openai) and outcome (ok, rate_limited, server_error, "
    "timeout, connection, rejected)",
    ["provider", "outcome"],
)
GROQ_FALLBACKS = Counter(
    "collegebot_llm_groq_fallbacks_total",
    "Model calls given up for the offline answerer, by provider and reason",
    ["provider", "reason"],
)

LLM_REQUEST_SECONDS = Histogram(
    "collegebot_llm_request_duration_seconds",
    "One generation by the model provider, every attempt and wait included",
    ["provider"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15),
)
LLM_REQUESTS = Counter(
    "collegebot_llm_requests_total",
    "Generations by provider and outcome (ok, or why the offline answerer answered instead)",
    ["provider", "outcome"],
)
BREAKER_OPEN = Gauge(
    "collegebot_llm_breaker_open",
    "1 while the circuit breaker skips the provider (every answer offline), else 0",
    ["provider"],
)

_BACKOFF = wait_random_exponential(multiplier=0.25, max=2.0)


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int


# Both SDKs are generated from the same template: the same errors under each module's name.
_API_ERRORS = (groq.APIError, openai.APIError)
_OUTCOMES: list[tuple[str, tuple[type[BaseException], ...]]] = [
    ("rate_limited", (groq.RateLimitError, openai.RateLimitError)),
    ("server_error", (groq.InternalServerError, openai.InternalServerError)),
    ("timeout", (groq.APITimeoutError, openai.APITimeoutError, TimeoutError)),
    ("connection", (groq.APIConnectionError, openai.APIConnectionError)),
]


def _outcome(error: BaseException) -> str:
    return next((name for name, kinds in _OUTCOMES if isinstance(error, kinds)), "rejected")


def _retryable(error: BaseException) -> bool:
    return _outcome(error) != "rejected" and not isinstance(error, OpenedState)


def retry_after(error: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (Retry-After as seconds or an HTTP date), if any."""
    response = getattr(error, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _wait(state: RetryCallState) -> float:
    asked = retry_after(state.outcome.exception() if state.outcome else None)
    return asked if asked is not None else _BACKOFF(state)


def _client(settings: GroqSettings) -> groq.AsyncGroq | openai.AsyncOpenAI:
    # Retries are ours (they must respect the overall deadline), so the SDK makes one attempt.
    if settings.llm_provider == "openai":
        key = settings.openai_api_key
        return openai.AsyncOpenAI(
            # Local servers mostly ignore the key, but the client insists on one.
            api_key=key.get_secret_value() if key else "unused",
            base_url=settings.openai_base_url,
            timeout=settings.groq_timeout_s,
            max_retries=0,
        )
    assert settings.groq_api_key is not None
    return groq.AsyncGroq(
        api_key=settings.groq_api_key.get_secret_value(),
        base_url=settings.groq_base_url,
        timeout=settings.groq_timeout_s,
        max_retries=0,
    )


class ChatGenerator:
    """One generator for every provider; `name` ("groq" or "openai") labels replies and metrics."""

    def __init__(self, settings: GroqSettings) -> None:
        self.name = settings.llm_provider
        openai_model = settings.openai_model if self.name == "openai" else None
        self.model = openai_model or settings.groq_model
        self.settings = settings
        self.client = _client(settings)
        self.breakers = AsyncCircuitBreakerFactory(
            default_threshold=settings.groq_breaker_failures,
            default_ttl=settings.groq_breaker_reset_s,
        )
        BREAKER_OPEN.labels(self.name).set(0)

    async def _attempt(self, request: dict[str, Any], deadline: float) -> Any:
        breaker = await self.breakers.get_breaker(self.name)
        try:
            return await self._through(breaker, request, deadline)
        finally:  # read after every attempt: the state it left the breaker in
            BREAKER_OPEN.labels(self.name).set(1 if breaker.context.state == "opened" else 0)

    async def _through(self, breaker: Any, request: dict[str, Any], deadline: float) -> Any:
        async with breaker:
            timeout = min(self.settings.groq_timeout_s, deadline - time.monotonic())
            if timeout <= 0:
                raise TimeoutError
            try:
                completion = await self.client.chat.completions.create(**request, timeout=timeout)
            except BaseException as e:
                GROQ_ATTEMPTS.labels(self.name, _outcome(e)).inc()
                raise
        GROQ_ATTEMPTS.labels(self.name, "ok").inc()
        return completion

    async def generate(
        self, messages: list[dict[str, str]], *, json_mode: bool = False, max_tokens: int = 400
    ) -> Generation | None:
        """The model's answer, or None when it failed (logged without the student's text)."""
        started = time.monotonic()
        budget = self.settings.groq_deadline_s
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": 0.1,
            "max_tokens": max_tokens,
        }
        if json_mode:
            request["response_format"] = {"type": "json_object"}
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.groq_max_retries + 1) | stop_before_delay(budget),
            wait=_wait,
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        try:
            async with asyncio.timeout(budget):
                completion: Any = await retrying(self._attempt, request, started + budget)
        except OpenedState:
            self._fall_back("breaker_open", started)
            return None
        except (*_API_ERRORS, TimeoutError) as e:
            self._fall_back(_outcome(e), started)
            return None
        text = (completion.choices[0].message.content or "").strip() if completion.choices else ""
        if not text:
            self._fall_back("empty", started)
            return None
        LLM_REQUEST_SECONDS.labels(self.name).observe(time.monotonic() - started)
        LLM_REQUESTS.labels(self.name, "ok").inc()
        usage = completion.usage
        return Generation(
            text,
            usage.prompt_tokens if usage else 0,
            usage.completion_tokens if usage else 0,
        )

    def _fall_back(self, reason: str, started: float) -> None:
        log.warning("%s unavailable (%s): answering offline", self.name, reason)
        GROQ_FALLBACKS.labels(self.name, reason).inc()
        LLM_REQUEST_SECONDS.labels(self.name).observe(time.monotonic() - started)
        LLM_REQUESTS.labels(self.name, reason).inc()


# The name other modules (and branches) know it by, from when Groq was the only provider.
GroqGenerator = ChatGenerator
