"""Old records are purged by one command (what reaches the logs: tests/gateway/test_logs.py)."""

import sqlite3

from collegebot.store import Outcome, Store, TurnRecord, migrate
from tests.conftest import base_env, run_cli


async def test_purge_deletes_records_older_than_the_given_days(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'collegebot.db'}"
    migrate(url)
    store = Store(url)
    for sid in ("SMold0000000000", "SMnew0000000000"):
        turn = TurnRecord(sid, "h", "+91•••••0001", "q", "a", stages_ms={"total": 1.0})
        outcome = Outcome(sid, "h", "question", "replied", ["a"], turn, "requested")
        if "old" in sid:
            outcome.event = ("dependency_unavailable", "UNAVAILABLE")  # a system log line
        await store.record(outcome)
    await store.close()
    tables = ("conversations", "performance_metrics", "deliveries", "escalations", "system_logs")
    new = "message_sid = 'SMnew0000000000'"
    with sqlite3.connect(tmp_path / "collegebot.db") as db:  # all 40 days old but the new turn
        for table in tables:
            db.execute(f"UPDATE {table} SET created_at = datetime('now', '-40 days')")
        for table in ("conversations", "deliveries", "escalations"):
            db.execute(f"UPDATE {table} SET created_at = datetime('now') WHERE {new}")
        db.execute(
            "UPDATE performance_metrics SET created_at = datetime('now') WHERE conversation_id = "
            f"(SELECT id FROM conversations WHERE {new})"
        )
    env = base_env(tmp_path)
    done = run_cli("purge", "--older-than", "30", env=env)
    assert done.returncode == 0, done.stderr
    assert "purged 5 records older than 30 days" in done.stdout
    with sqlite3.connect(tmp_path / "collegebot.db") as db:
        left = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    assert left == {
        "conversations": 1,
        "performance_metrics": 1,
        "deliveries": 1,
        "escalations": 1,
        "system_logs": 0,
    }
    refused = run_cli("purge", "--older-than", "-3", env=env)
    assert refused.returncode == 2 and "number of days" in refused.stderr
