"""Every setting, one class per concern, read from the environment (and `.env`).

Field names are the environment variables, lower-cased, so an error can name the variable.
`load()` turns a validation error into a one-line message and stops start-up.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)


class RuntimeSettings(_Settings):
    """Where the bot keeps its state and which mode it runs in."""

    collegebot_env: Env = Env.production
    collegebot_state_dir: Path = Path("var")
    collegebot_data_dir: Path = Path("data")
    log_level: str = "INFO"


class ServiceAddresses(_Settings):
    """Ports each service listens on and where the gateway finds the others."""

    gateway_port: int = 8000
    dashboard_port: int = 8050
    rag_port: int = 50051
    llm_port: int = 50052
    rag_metrics_port: int = 9091
    llm_metrics_port: int = 9092
    rag_address: str = "127.0.0.1:50051"
    llm_address: str = "127.0.0.1:50052"
    bind_host: str = "127.0.0.1"


class GatewaySettings(_Settings):
    """How the gateway treats each message."""

    # Deadlines, in seconds, for each call; both together stay under Twilio's 15 s.
    rag_deadline_s: float = Field(2.0, gt=0)
    llm_deadline_s: float = Field(10.0, gt=0)
    # `limits` notation, e.g. "10/minute": more from one sender is throttled.
    rate_limit_per_sender: str = "10/minute"

    @field_validator("rate_limit_per_sender")
    @classmethod
    def _parses(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate such as '10/minute'") from None
        return value


class TwilioSettings(_Settings):
    """The webhook's signature check and, later, REST replies."""

    twilio_auth_token: SecretStr | None = None
    twilio_account_sid: str | None = None
    twilio_whatsapp_from: str | None = None
    public_base_url: AnyHttpUrl | None = None
    collegebot_env: Env = Env.production

    def require_for_gateway(self) -> None:
        """The gateway's start-up rule; clients such as `collegebot ask` need neither value."""
        if self.collegebot_env is Env.production:
            if self.twilio_auth_token is None:
                raise ConfigurationError(
                    "TWILIO_AUTH_TOKEN is required in production "
                    "(set COLLEGEBOT_ENV=development to run without signature checks)"
                )
            if self.public_base_url is None:
                raise ConfigurationError(
                    "PUBLIC_BASE_URL is required in production (the URL Twilio calls)"
                )

    def webhook_url(self, path: str) -> str:
        base = str(self.public_base_url or "http://127.0.0.1:8000").rstrip("/")
        return base + path


class GroqSettings(_Settings):
    """The hosted LLM. Without a key the offline answerer replies."""

    groq_api_key: SecretStr | None = None
    groq_model: str = "llama-3.1-8b-instant"
    groq_base_url: str | None = None
    groq_timeout_s: float = Field(8.0, gt=0)
    groq_max_retries: int = Field(2, ge=0, le=5)


class StoreSettings(_Settings):
    """The relational store. SQLite under the state directory unless DATABASE_URL is set."""

    database_url: SecretStr | None = None
    collegebot_state_dir: Path = Path("var")

    @property
    def url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.collegebot_state_dir / 'collegebot.db').resolve()}"


class IndexSettings(_Settings):
    """The vector index: embedded Chroma under the state directory, or a Chroma server."""

    chroma_host: str | None = None
    chroma_port: int = 8000
    chroma_collection: str = "knowledge_base"
    collegebot_state_dir: Path = Path("var")
    retrieve_k: int = Field(5, ge=1, le=50)
    retrieval_mode: Literal["hybrid", "dense", "lexical"] = "hybrid"
    # Below this dense similarity nothing retrieved is taken to answer the question.
    relevance_threshold: float = Field(0.34, ge=-1, le=1)

    @property
    def chroma_path(self) -> Path:
        return self.collegebot_state_dir / "chroma"


class InstitutionSettings(_Settings):
    """Who the bot speaks for, and where it sends students it cannot help."""

    college_name: str = "Kestrel Valley College of Engineering and Science"
    college_helpdesk: str = "the Student Help Desk (helpdesk@kvc.edu.in, +91 20 4567 1000)"
    reply_footer: str = ""
    history_turns: int = Field(3, ge=0, le=10)


class PrivacySettings(_Settings):
    """The key that turns a phone number into the pseudonym the store keeps."""

    sender_hash_key: SecretStr | None = None
    collegebot_env: Env = Env.production

    @model_validator(mode="after")
    def _production_needs_a_key(self) -> PrivacySettings:
        if self.sender_hash_key is None:
            if self.collegebot_env is Env.production:
                raise ValueError("SENDER_HASH_KEY is required in production")
            self.sender_hash_key = SecretStr("development-only-sender-hash-key")
        return self


class SentrySettings(_Settings):
    sentry_dsn: SecretStr | None = None
    sentry_environment: str = "production"
    sentry_traces_sample_rate: float = Field(0.0, ge=0, le=1)


class DashboardSettings(_Settings):
    """Staff login for the dashboard."""

    dashboard_username: str = "staff"
    dashboard_password: SecretStr | None = None
    dashboard_secret_key: SecretStr | None = None
    collegebot_env: Env = Env.production

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
