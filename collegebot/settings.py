"""Every setting, one class per concern, read from the environment (and `.env`).

Field names are the environment variables, lower-cased, so an error can name the variable.
`load()` turns a validation error into a one-line message and stops start-up.
"""

from __future__ import annotations

import base64
import hashlib
import sys
from enum import StrEnum
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet
from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The fixed interface Twilio posts to (DESIGN.md); the gateway serves it, `ask` signs it.
WEBHOOK_PATH = "/webhook/whatsapp"


class ConfigurationError(SystemExit):
    """Raised at start-up when a setting is missing or invalid; exits with status 2."""

    def __init__(self, message: str) -> None:
        print(f"configuration error: {message}", file=sys.stderr)
        super().__init__(2)
        self.message = message


class Env(StrEnum):
    development = "development"
    production = "production"


class _Settings(BaseSettings):
    # env_ignore_empty: `TWILIO_AUTH_TOKEN=` (as .env.example, compose and Kubernetes secrets
    # write an unset value) means unset, so an empty secret cannot pass a production check.
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", case_sensitive=False, env_ignore_empty=True
    )


class _Moded(_Settings):
    """Settings whose rules are stricter in production (the default mode)."""

    collegebot_env: Env = Env.production


class _Stateful(_Settings):
    """Settings that keep something under the state directory."""

    collegebot_state_dir: Path = Path("var")


class RuntimeSettings(_Moded, _Stateful):
    """Where the bot keeps its state and which mode it runs in."""

    collegebot_data_dir: Path = Path("data")
    log_level: str = "INFO"
    # json: one JSON object a line (containers, log collectors); text: readable (`make up`).
    log_format: Literal["json", "text"] = "json"


class ServiceAddresses(_Settings):
    """Ports each service listens on and where the gateway finds the others."""

    gateway_port: int = 8000
    dashboard_port: int = 8050
    rag_port: int = 50051
    llm_port: int = 50052
    rag_metrics_port: int = 9091
    llm_metrics_port: int = 9092
    # Where the others are dialled; unset, on this machine at their ports (RAG_PORT, LLM_PORT).
    rag_address: str = ""
    llm_address: str = ""
    bind_host: str = "127.0.0.1"
    # Gateway worker processes (uvicorn's); more than one adds up their metrics through
    # prometheus-client's multiprocess mode.
    gateway_workers: int = Field(1, ge=1, le=64)

    @model_validator(mode="after")
    def _here_by_default(self) -> ServiceAddresses:
        self.rag_address = self.rag_address or f"127.0.0.1:{self.rag_port}"
        self.llm_address = self.llm_address or f"127.0.0.1:{self.llm_port}"
        return self


# The share of the reply budget a question may spend waiting for its turn and being answered
# at full load; the rest is headroom for a slow call and the machine's noise.
QUEUE_BUDGET_SHARE = 0.5


class GatewaySettings(_Settings):
    """How the gateway treats each message."""

    # The most, in seconds, each call may take; less when less of the reply budget is left (a
    # busy rag is waited for, not taken for a missing one).
    rag_deadline_s: float = Field(10.0, gt=0)
    llm_deadline_s: float = Field(10.0, gt=0)
    # Questions with rag and llm at once, and how many more wait their turn; past both the
    # student is told to ask again in a minute (shed, counted). 64 in flight carry 80 new
    # questions/s at Groq's 0.8 s (Little's law: in flight = rate x time each).
    answer_concurrency: int = Field(64, ge=1)
    # New questions a second one replica of rag and llm answers (bench/load.py --search).
    answer_throughput: float = Field(30.0, gt=0)
    # Unset: sized from the two above so that the last question admitted is answered within
    # half the reply budget (`queue_size`); past it a student is told busy at once.
    answer_queue_size: int | None = Field(None, ge=0)
    # Replies kept for repeated questions (0: none), per knowledge-base version, and for how long.
    answer_cache_size: int = Field(10_000, ge=0)
    answer_cache_ttl_s: float = Field(600.0, gt=0)
    # `limits` notation, e.g. "10/minute": more from one sender is throttled.
    rate_limit_per_sender: str = "10/minute"
    # All senders together: what the rag and llm services are sized for.
    rate_limit_global: str = "100/second"
    # Empty: limits counted in this process's memory. redis://host:port/0: shared by replicas.
    redis_url: SecretStr | None = None
    # Past this many seconds the webhook is answered with empty TwiML and the reply goes by the
    # REST API (Twilio gives up on a webhook after 15 s).
    reply_budget_s: float = Field(12.0, gt=0, lt=15)
    # Records waiting while the store is unreachable; beyond this the oldest are dropped (counted).
    record_queue_size: int = Field(10_000, ge=1)
    # How long a claimed case keeps the bot quiet for its student when staff never mark it
    # handled (then the bot answers again).
    handoff_pause_hours: float = Field(24.0, gt=0, le=24 * 30)

    @property
    def queue_size(self) -> int:
        """ANSWER_QUEUE_SIZE, or: every question in the gateway's hands (with rag and llm, and
        waiting) is done within QUEUE_BUDGET_SHARE of the reply budget at the measured
        throughput: throughput x budget x share - concurrency (at least 0)."""
        if self.answer_queue_size is not None:
            return self.answer_queue_size
        held = int(self.answer_throughput * self.reply_budget_s * QUEUE_BUDGET_SHARE)
        return max(0, held - self.answer_concurrency)

    @field_validator("rate_limit_per_sender", "rate_limit_global")
    @classmethod
    def _parses(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as '10/minute'") from None
        return value


class TwilioSettings(_Moded):
    """The webhook's signature check, and the REST API that sends the replies too late for it."""

    twilio_auth_token: SecretStr | None = None
    twilio_account_sid: str | None = None
    twilio_whatsapp_from: str | None = None
    public_base_url: AnyHttpUrl | None = None
    # Comma-separated addresses or networks of proxies whose X-Forwarded-Proto/Host are believed
    # when PUBLIC_BASE_URL is not set (several public hostnames). Empty: no proxy is trusted.
    trusted_proxies: Annotated[list[IPv4Network | IPv6Network], NoDecode] = []
    # Where the REST API is; tests point it at a local stand-in.
    twilio_api_base_url: str = "https://api.twilio.com"

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        networks = []
        for item in filter(None, (v.strip() for v in value.split(","))):
            try:
                networks.append(ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return networks

    @property
    def rest_configured(self) -> bool:
        """Can the gateway send a reply by the REST API (needed for late answers)?"""
        return bool(
            self.twilio_auth_token and self.twilio_account_sid and self.twilio_whatsapp_from
        )

    def require_for_gateway(self) -> None:
        """The gateway's start-up rule; clients such as `collegebot ask` need neither value."""
        if self.collegebot_env is Env.production:
            if self.twilio_auth_token is None:
                raise ConfigurationError(
                    "TWILIO_AUTH_TOKEN is required in production "
                    "(set COLLEGEBOT_ENV=development to run without signature checks)"
                )
            if self.public_base_url is None and not self.trusted_proxies:
                raise ConfigurationError(
                    "PUBLIC_BASE_URL is required in production (the URL Twilio calls), "
                    "unless TRUSTED_PROXIES names the proxies whose X-Forwarded-Host to believe"
                )


class GroqSettings(_Settings):
    """The LLM: Groq (hosted, when a key is set) or any OpenAI-compatible server (self-hosted).
    Without either the offline answerer replies. The GROQ_* retry, deadline and breaker knobs
    apply to whichever provider is chosen."""

    llm_provider: Literal["groq", "openai"] = "groq"
    # OpenAI-compatible (vLLM, llama.cpp server, Ollama): the base URL ends in /v1.
    openai_base_url: str | None = None
    openai_model: str | None = None
    openai_api_key: SecretStr | None = None
    groq_api_key: SecretStr | None = None
    groq_model: str = "llama-3.1-8b-instant"
    groq_base_url: str | None = None
    groq_timeout_s: float = Field(8.0, gt=0)
    groq_max_retries: int = Field(2, ge=0, le=5)
    # One budget for every attempt and wait, inside the gateway's LLM_DEADLINE_S (10 s) and so
    # Twilio's 15 s; what is left over is for the offline answer when Groq fails.
    groq_deadline_s: float = Field(7.0, gt=0, le=12)
    # After this many failures in a row Groq is skipped for GROQ_BREAKER_RESET_S.
    groq_breaker_failures: int = Field(5, ge=1)
    groq_breaker_reset_s: float = Field(30.0, gt=0)
    # Ask Groq to relabel messages the offline classifier could not place (intent "other").
    groq_refine_labels: bool = True

    @model_validator(mode="after")
    def _openai_needs_a_server(self) -> GroqSettings:
        if self.llm_provider == "openai":
            for name in ("openai_base_url", "openai_model"):
                if not getattr(self, name):
                    raise ValueError(f"{name.upper()} is required when LLM_PROVIDER=openai")
        return self

    @property
    def enabled(self) -> bool:
        """Whether a model answers (else the offline answerer does)."""
        return self.llm_provider == "openai" or self.groq_api_key is not None


class StoreSettings(_Stateful):
    """The relational store. SQLite under the state directory unless DATABASE_URL is set."""

    database_url: SecretStr | None = None
    # false behind a transaction-mode pooler (Supabase's on port 6543, PgBouncer): it cannot keep
    # prepared statements between transactions.
    database_statement_cache: bool = True

    @property
    def url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.collegebot_state_dir / 'collegebot.db').resolve()}"


class IndexSettings(_Stateful):
    """The vector index: embedded Chroma under the state directory, or a Chroma server."""

    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_collection: str = "knowledge_base"
    retrieve_k: int = Field(5, ge=1, le=50)
    retrieval_mode: Literal["hybrid", "dense", "lexical"] = "hybrid"
    # Below this dense similarity nothing retrieved is taken to answer the question.
    relevance_threshold: float = Field(0.25, ge=-1, le=1)

    @property
    def chroma_path(self) -> Path:
        return self.collegebot_state_dir / "chroma"


class InstitutionSettings(_Settings):
    """Who the bot speaks for, and where it sends students it cannot help."""

    college_name: str = "Kestrel Valley College of Engineering and Science"
    college_helpdesk: str = "the Student Help Desk (helpdesk@kvc.edu.in, +91 20 4567 1000)"
    reply_footer: str = ""
    history_turns: int = Field(3, ge=0, le=10)
    # How the bot sounds, and when the help desk answers (both go into the prompt and replies).
    college_tone: str = "warm, brief and plain, like a helpful senior student at the help desk"
    college_office_hours: str = "Monday to Friday, 9:30 am to 5:30 pm"
    # The office for each topic (JSON object, intent -> contact); unlisted topics get the help desk.
    college_offices: dict[str, str] = Field(
        default_factory=lambda: {
            "admissions": "the Admissions Office (admissions@kvc.edu.in, +91 20 4567 1150)",
            "fees": "the Accounts Office (accounts@kvc.edu.in, +91 20 4567 1120)",
            "scholarships": "the Scholarship Cell (scholarships@kvc.edu.in, +91 20 4567 1130)",
            "exams": "the Examination Cell (examcell@kvc.edu.in, +91 20 4567 1200)",
            "calendar": "the Dean (Academics) office (dean.academics@kvc.edu.in, +91 20 4567 1010)",
            "attendance": "the Dean (Academics) office (dean.academics@kvc.edu.in, "
            "+91 20 4567 1010)",
            "hostel": "the Hostel Office (hostel@kvc.edu.in, +91 20 4567 1300)",
            "library": "the Central Library (library@kvc.edu.in, +91 20 4567 1400)",
            "placements": "the Training and Placement Cell (placements@kvc.edu.in, "
            "+91 20 4567 1500)",
            "it_services": "IT Services (helpdesk@kvc.edu.in, +91 20 4567 1600)",
            "transport": "the Transport Office (transport@kvc.edu.in, +91 20 4567 1700)",
            "welfare": "the Student Wellness Centre (counselling@kvc.edu.in, +91 20 4567 1850)",
            "conduct": "the Dean of Student Welfare (dsw@kvc.edu.in, +91 20 4567 1020)",
        }
    )
    # What the llm service asks the knowledge base for when a message is an emergency: the
    # numbers themselves always come from the college's documents, never from code.
    emergency_query: str = "emergency contacts 24x7 helpline security ambulance"

    def office_for(self, intent: str) -> str:
        return self.college_offices.get(intent, self.college_helpdesk)

    def handoff(self) -> str:
        """What a student who asks for a person is told, by the `human` command (gateway) or in
        their own words (llm): the same hours and desk either way."""
        return (
            "I've asked a member of staff to pick up this conversation. You can also reach "
            f"{self.college_helpdesk}, {self.college_office_hours}."
        )


class PrivacySettings(_Moded):
    """The key that turns a phone number into the pseudonym the store keeps."""

    sender_hash_key: SecretStr | None = None

    @model_validator(mode="after")
    def _production_needs_a_key(self) -> PrivacySettings:
        if self.sender_hash_key is None:
            if self.collegebot_env is Env.production:
                raise ValueError("SENDER_HASH_KEY is required in production")
            self.sender_hash_key = SecretStr("development-only-sender-hash-key")
        return self


class NumberEncryptionSettings(_Moded):
    """The Fernet keys the student's number is kept under while their case is open."""

    # Comma-separated Fernet keys (`collegebot staff new-number-key` makes one): the first
    # encrypts, all decrypt. To rotate: put a new key first, run `collegebot staff rotate-numbers`,
    # then drop the old one.
    number_encryption_keys: SecretStr | None = None
    sender_hash_key: SecretStr | None = None  # development derives its key from this

    @model_validator(mode="after")
    def _production_needs_keys(self) -> NumberEncryptionSettings:
        if self.number_encryption_keys is None and self.collegebot_env is Env.production:
            raise ValueError("NUMBER_ENCRYPTION_KEYS is required in production")
        for key in self.number_keys():
            try:
                Fernet(key.encode())
            except ValueError:
                raise ValueError(
                    "NUMBER_ENCRYPTION_KEYS: each key must be a Fernet key (32 url-safe base64 "
                    "bytes)"
                ) from None
        return self

    def number_keys(self) -> list[str]:
        if self.number_encryption_keys is not None:
            keys = self.number_encryption_keys.get_secret_value().split(",")
            return [k.strip() for k in keys if k.strip()]
        # Development: derived from SENDER_HASH_KEY (its own default there), so the gateway and
        # the dashboard agree without a setting.
        seed = (
            self.sender_hash_key.get_secret_value() if self.sender_hash_key else ""
        ) + "#numbers"
        return [base64.urlsafe_b64encode(hashlib.sha256(seed.encode()).digest()).decode()]


class HandoffSettings(_Settings):
    """How staff reply to a student from the escalations page."""

    # The approved WhatsApp template sent outside the 24-hour window (free text is refused there)
    # and its variables as a JSON object; "{name}" in a value becomes the staff member's name.
    twilio_handoff_content_sid: str | None = None
    twilio_handoff_content_variables: dict[str, str] = Field(
        default_factory=lambda: {"1": "{name}"}
    )


class GapSettings(_Settings):
    """Which answered turns count as knowledge gaps, and how close questions group together."""

    # An answer whose best passage scored below this counts as weak (the bot abstains below
    # RELEVANCE_THRESHOLD, 0.25).
    gap_confidence_threshold: float = Field(0.4, ge=0, le=1)
    # Questions whose embeddings are at least this similar (cosine) to a group's count in it.
    gap_group_similarity: float = Field(0.6, gt=0, le=1)
    # The most recent gap turns grouped at once.
    gap_max_turns: int = Field(500, ge=1, le=10_000)


class SentrySettings(_Moded):
    sentry_dsn: SecretStr | None = None
    sentry_environment: str | None = None  # unset: COLLEGEBOT_ENV, so events say the mode
    sentry_traces_sample_rate: float = Field(0.0, ge=0, le=1)
    sentry_release: str | None = None  # unset: collegebot@<package version>


class DashboardSettings(_Moded):
    """Staff login for the dashboard, and the time zone every time on it is shown in."""

    dashboard_username: str = "staff"
    dashboard_password: SecretStr | None = None
    dashboard_secret_key: SecretStr | None = None
    # An IANA name ("Asia/Kolkata"): the store keeps UTC; staff read their own clock.
    college_timezone: str = "UTC"

    @field_validator("college_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone name (e.g. Asia/Kolkata)"
            ) from None
        return value

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.college_timezone)

    @model_validator(mode="after")
    def _production_needs_credentials(self) -> DashboardSettings:
        if self.collegebot_env is Env.production:
            if self.dashboard_password is None:
                raise ValueError("DASHBOARD_PASSWORD is required in production")
            if self.dashboard_secret_key is None:
                raise ValueError("DASHBOARD_SECRET_KEY is required in production")
        if self.dashboard_password is None:
            self.dashboard_password = SecretStr("development")
        if self.dashboard_secret_key is None:
            self.dashboard_secret_key = SecretStr("development-only-session-key")
        return self


S = TypeVar("S", bound=BaseSettings)


def describe(error: ValidationError) -> str:
    """One line per bad setting, naming the environment variable."""
    lines = []
    for e in error.errors():
        name = ".".join(str(p) for p in e["loc"]).upper()
        msg = e["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {msg}" if name else msg)
    return "; ".join(lines)


def load(cls: type[S]) -> S:
    """Build a settings object or stop with a message that names the variable."""
    try:
        return cls()
    except ValidationError as e:
        raise ConfigurationError(describe(e)) from None
