"""A missing or invalid setting stops start-up with a message naming the variable."""

import subprocess
import sys

import pytest

from collegebot.settings import (
    ConfigurationError,
    DashboardSettings,
    GatewaySettings,
    GroqSettings,
    PrivacySettings,
    ServiceAddresses,
    TwilioSettings,
    load,
)
from tests.conftest import ROOT, base_env


def test_invalid_value_names_the_variable(env, monkeypatch) -> None:
    monkeypatch.setenv("RAG_PORT", "not-a-port")
    with pytest.raises(ConfigurationError) as caught:
        load(ServiceAddresses)
    assert "RAG_PORT" in caught.value.message
    assert caught.value.code == 2


def test_bad_rate_limit_names_the_variable(env, monkeypatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_PER_SENDER", "lots")
    with pytest.raises(ConfigurationError) as caught:
        load(GatewaySettings)
    assert "RATE_LIMIT_PER_SENDER" in caught.value.message


@pytest.mark.parametrize("missing", ["OPENAI_BASE_URL", "OPENAI_MODEL"])
def test_a_self_hosted_model_needs_its_server_and_model(missing, env, monkeypatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    for name in ("OPENAI_BASE_URL", "OPENAI_MODEL"):
        if name != missing:
            monkeypatch.setenv(name, "http://127.0.0.1:8000/v1")
    with pytest.raises(ConfigurationError) as caught:
        load(GroqSettings)
    assert missing in caught.value.message and "LLM_PROVIDER=openai" in caught.value.message


def test_an_unknown_llm_provider_names_the_variable(env, monkeypatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "anthropic")
    with pytest.raises(ConfigurationError) as caught:
        load(GroqSettings)
    assert "LLM_PROVIDER" in caught.value.message


def test_the_model_answers_only_when_a_provider_is_configured(env, monkeypatch) -> None:
    assert not load(GroqSettings).enabled  # no Groq key, no self-hosted server: offline
    monkeypatch.setenv("GROQ_API_KEY", "k")
    assert load(GroqSettings).enabled
    monkeypatch.delenv("GROQ_API_KEY")
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("OPENAI_MODEL", "qwen2.5-7b-instruct")
    assert load(GroqSettings).enabled  # OPENAI_API_KEY is optional: local servers ignore it


def test_services_are_dialled_at_their_own_ports_unless_an_address_is_given(
    env, monkeypatch
) -> None:
    monkeypatch.setenv("RAG_PORT", "6051")
    monkeypatch.setenv("LLM_ADDRESS", "llm.bot.svc:50052")
    addresses = load(ServiceAddresses)
    assert (addresses.rag_address, addresses.llm_address) == ("127.0.0.1:6051", "llm.bot.svc:50052")


def start_gateway(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the gateway's entry point; each test arranges for it to stop by itself."""
    return subprocess.run(
        [sys.executable, "-m", "services.gateway"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", ["TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL", "SENDER_HASH_KEY"])
def test_gateway_refuses_to_start_in_production_without(missing, tmp_path) -> None:
    env = base_env(tmp_path)
    env.update(
        COLLEGEBOT_ENV="production",
        TWILIO_AUTH_TOKEN="t" * 32,
        PUBLIC_BASE_URL="https://bot.example.edu",
        SENDER_HASH_KEY="k" * 32,
        GATEWAY_PORT="1",
    )  # never reached: start-up must stop first
    del env[missing]
    done = start_gateway(env)
    assert done.returncode == 2
    assert missing in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("blank", ["TWILIO_AUTH_TOKEN", "SENDER_HASH_KEY", "DASHBOARD_PASSWORD"])
def test_an_empty_secret_is_a_missing_one_in_production(blank, monkeypatch) -> None:
    # .env.example, compose's env files and optional Kubernetes secret keys all write "VAR=".
    monkeypatch.setenv("COLLEGEBOT_ENV", "production")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://bot.example.edu")
    for name in ("TWILIO_AUTH_TOKEN", "SENDER_HASH_KEY", "DASHBOARD_PASSWORD"):
        monkeypatch.setenv(name, "" if name == blank else "s" * 32)
    monkeypatch.setenv("DASHBOARD_SECRET_KEY", "s" * 32)
    with pytest.raises(ConfigurationError) as caught:
        load(TwilioSettings).require_for_gateway()
        load(PrivacySettings)
        load(DashboardSettings)
    assert blank in caught.value.message


def test_development_without_token_says_so_loudly(tmp_path) -> None:
    env = base_env(tmp_path)
    env["BIND_HOST"] = "256.0.0.1"  # an address that cannot be bound: the process exits by itself
    done = start_gateway(env)
    assert "DEVELOPMENT MODE" in done.stderr
    assert "NOT checked" in done.stderr
