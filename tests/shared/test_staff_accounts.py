"""Named staff accounts (argon2id hashes in the store, added and disabled by the CLI) and the
Fernet keys the student's number is kept under while their case is open (rotation included)."""

import pytest
from cryptography.fernet import Fernet, InvalidToken

from collegebot.privacy import NumberCipher
from collegebot.settings import ConfigurationError, NumberEncryptionSettings, load
from collegebot.store import migrate, sync_engine
from collegebot.store.models import Escalation
from collegebot.store.staff_queries import rotate_numbers, staff_account
from services.dashboard.accounts import Accounts
from tests.conftest import base_env, run_cli


@pytest.fixture
def cli_env(env):
    environment = base_env(env)
    environment.update(DASHBOARD_USERNAME="warden", DASHBOARD_PASSWORD="first-account-pw")
    migrate(f"sqlite:///{env / 'collegebot.db'}")
    return environment


def staff(cli_env, *args: str, password: str | None = None):
    return run_cli("staff", *args, env=cli_env, timeout=60, stdin=password)


def test_staff_are_added_listed_and_disabled_by_the_cli(cli_env, env) -> None:
    added = staff(cli_env, "add", "asha", "--name", "Asha Rao", "--password-stdin",
                  password="a long passphrase\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "passphrase" not in added.stdout + added.stderr
    engine = sync_engine(f"sqlite:///{env / 'collegebot.db'}")
    row = staff_account(engine, "asha")
    assert row is not None and row.display_name == "Asha Rao" and not row.disabled
    assert row.password_hash.startswith("$argon2id$") and "passphrase" not in row.password_hash

    again = staff(cli_env, "add", "asha", "--password-stdin", password="another passphrase\n")
    assert again.returncode == 1 and "exists already" in again.stderr
    short = staff(cli_env, "add", "ravi", "--password-stdin", password="short\n")
    assert short.returncode == 1 and "at least" in short.stderr
    first = staff(cli_env, "add", "warden", "--password-stdin", password="a long passphrase\n")
    assert first.returncode == 1 and "DASHBOARD_USERNAME" in first.stderr

    listed = staff(cli_env, "list").stdout
    assert "warden" in listed and "Asha Rao" in listed and "active" in listed

    accounts = Accounts(engine, "warden", "first-account-pw")
    assert accounts.check("asha", "a long passphrase") == "Asha Rao"
    assert accounts.check("asha", "a wrong passphrase") is None
    assert accounts.check("warden", "first-account-pw") == "warden"
    assert accounts.check("warden", "a long passphrase") is None
    assert accounts.check("nobody", "a long passphrase") is None

    assert staff(cli_env, "disable", "asha").returncode == 0
    assert accounts.check("asha", "a long passphrase") is None and not accounts.active("asha")
    assert "disabled" in staff(cli_env, "list").stdout
    assert staff(cli_env, "disable", "nobody").returncode == 1
    # The first account can be disabled too (a row of its own, with no password).
    assert staff(cli_env, "disable", "warden").returncode == 0
    assert accounts.check("warden", "first-account-pw") is None
    engine.dispose()


def test_the_password_is_never_an_argument(cli_env) -> None:
    from collegebot.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["staff", "add", "asha", "--password", "secret"])


def test_numbers_survive_a_key_rotation(env) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    before = NumberCipher([old])
    token = before.encrypt("+919812345678")
    assert "9812345678" not in token

    url = f"sqlite:///{env / 'collegebot.db'}"
    migrate(url)
    engine = sync_engine(url)
    with engine.begin() as c:
        c.execute(
            Escalation.__table__.insert().values(
                message_sid="SM1", sender_hash="h", sender_masked="+91•••••5678",
                reason="requested", status="open", number_encrypted=token,
            )
        )  # fmt: skip
    during = NumberCipher([new, old])  # the new key first, the old one still there
    assert during.decrypt(token) == "+919812345678"
    assert rotate_numbers(engine, during.rotate) == 1
    with engine.connect() as c:
        rotated = c.execute(Escalation.__table__.select()).one().number_encrypted
    after = NumberCipher([new])  # the old key dropped
    assert after.decrypt(rotated) == "+919812345678"
    with pytest.raises(InvalidToken):
        after.decrypt(token)
    with pytest.raises(InvalidToken):
        before.decrypt(rotated)
    engine.dispose()


def test_the_number_keys_are_required_in_production_and_checked(monkeypatch, env) -> None:
    monkeypatch.setenv("COLLEGEBOT_ENV", "production")
    with pytest.raises(ConfigurationError) as refused:
        load(NumberEncryptionSettings)
    assert "NUMBER_ENCRYPTION_KEYS is required in production" in refused.value.message
    monkeypatch.setenv("NUMBER_ENCRYPTION_KEYS", "not-a-key")
    with pytest.raises(ConfigurationError) as refused:
        load(NumberEncryptionSettings)
    assert "Fernet key" in refused.value.message
    keys = f"{Fernet.generate_key().decode()}, {Fernet.generate_key().decode()}"
    monkeypatch.setenv("NUMBER_ENCRYPTION_KEYS", keys)
    assert len(load(NumberEncryptionSettings).number_keys()) == 2
    # Development derives one, the same in every process that shares SENDER_HASH_KEY.
    monkeypatch.setenv("COLLEGEBOT_ENV", "development")
    monkeypatch.delenv("NUMBER_ENCRYPTION_KEYS")
    derived = load(NumberEncryptionSettings).number_keys()
    assert derived == load(NumberEncryptionSettings).number_keys() and len(derived) == 1
    NumberCipher(derived)  # a valid Fernet key
