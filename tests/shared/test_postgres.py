"""The same store code on PostgreSQL: Alembic migrations, row-level security for Supabase's roles
(proved by connecting as each), and Supabase's transaction-mode pooler (PgBouncer here)."""

import asyncio
import contextlib
from datetime import timedelta

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import DBAPIError

from collegebot.store import (
    Outcome,
    Store,
    TurnRecord,
    escalations,
    migrate,
    sync_engine,
)
from collegebot.store.models import Base
from collegebot.store.staff_queries import handle_case
from tests.servers import PgBouncer

# What a Supabase project has before our migration: its API roles, granted every new table in
# public by default (which is why row-level security has to hold the line).
SUPABASE = """
CREATE ROLE anon NOLOGIN; CREATE ROLE authenticated NOLOGIN;
CREATE ROLE service_role NOLOGIN BYPASSRLS;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated;
"""
# Logins an operator makes for each service (README): members of the roles the policies name.
LOGINS = """
CREATE ROLE bot LOGIN IN ROLE service_role;
CREATE ROLE dash LOGIN IN ROLE collegebot_dashboard;
CREATE ROLE visitor LOGIN IN ROLE anon;
"""


@pytest.fixture(scope="module")
def supabase(postgres):
    """A database set up like a Supabase project, migrated by its owner."""
    url = postgres.new_database("supabase_like")
    for statement in filter(str.strip, SUPABASE.split(";")):
        # Roles belong to the cluster: another module's migration may have made them.
        with contextlib.suppress(psycopg.errors.DuplicateObject):
            postgres.sql(statement, "supabase_like")
    migrate(url)
    for statement in filter(str.strip, LOGINS.split(";")):
        postgres.sql(statement, "supabase_like")
    return postgres


def as_user(postgres, user: str) -> psycopg.Connection:
    return psycopg.connect(postgres.url("supabase_like", user), autocommit=True)


def turn(sid: str, sender: str = "h1") -> Outcome:
    record = TurnRecord(
        sid, sender, "+91•••••0001", "hostel fee?", "Rs. 42,000", stages_ms={"total": 3.0}
    )
    return Outcome(
        sid,
        sender,
        "question",
        "replied",
        ["Rs. 42,000"],
        turn=record,
        escalation="urgent",
        sender_masked="+91•••••0001",
    )


def test_migrations_build_the_models_schema_with_rls_on_every_table(supabase) -> None:
    engine = sync_engine(supabase.url("supabase_like"))
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        tables = dict(
            connection.exec_driver_sql(
                "SELECT relname, relrowsecurity FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
            ).all()
        )
    assert set(Base.metadata.tables) <= set(tables)
    assert all(tables.values()), [t for t, on in tables.items() if not on]
    engine.dispose()


async def test_the_bot_writes_through_the_same_store_code(supabase) -> None:
    store = Store(supabase.url("supabase_like", "bot"))
    assert await store.claim("SM" + "a" * 32, "h1", "question") is True
    assert await store.claim("SM" + "a" * 32, "h1", "question") is False
    await store.record(turn("SM" + "a" * 32))
    await store.record(turn("SM" + "a" * 32))  # a retried record changes nothing
    assert await store.recent_turns("h1", 3) == [("hostel fee?", "Rs. 42,000")]
    assert (await store.delivery("SM" + "a" * 32)).reply == ["Rs. 42,000"]
    await store.close()


async def test_the_dashboard_reads_what_it_shows_and_nothing_else(supabase) -> None:
    store = Store(supabase.url("supabase_like", "bot"))
    await store.record(turn("SM" + "b" * 32, sender="h2"))
    await store.close()
    with as_user(supabase, "dash") as dash:
        assert dash.execute("SELECT count(*) FROM conversations").fetchone()[0] >= 1
        for table in (
            "escalations",
            "performance_metrics",
            "system_logs",
            "knowledge_base_documents",
        ):
            dash.execute(f"SELECT count(*) FROM {table}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            dash.execute("SELECT reply FROM deliveries")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            dash.execute("DELETE FROM conversations")
    listed = escalations(sync_engine(supabase.url("supabase_like", "dash")))
    assert {e.sender_masked for e in listed} == {"+91•••••0001"}


async def test_the_dashboard_closes_escalations_and_writes_nothing_else(supabase) -> None:
    store = Store(supabase.url("supabase_like", "bot"))
    await store.record(turn("SM" + "c" * 32, sender="h3"))
    await store.close()
    sid = "'SM" + "c" * 32 + "'"
    with as_user(supabase, "dash") as dash:
        (handled,) = dash.execute(
            f"SELECT id FROM escalations WHERE message_sid = {sid}"
        ).fetchone()
        for statement in (
            f"UPDATE escalations SET reason = 'requested' WHERE id = {handled}",
            f"UPDATE escalations SET sender_masked = 'x' WHERE id = {handled}",
            f"DELETE FROM escalations WHERE id = {handled}",
            "INSERT INTO escalations (message_sid, sender_hash, sender_masked, reason, status, "
            "created_at) VALUES ('SMd', 'h4', 'x', 'urgent', 'open', now())",
            "UPDATE conversations SET status = 'closed'",
            "UPDATE knowledge_base_documents SET status = 'failed'",
            "UPDATE system_logs SET level = 'x'",
            "UPDATE performance_metrics SET duration_ms = 0",
            "UPDATE deliveries SET status = 'x'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                dash.execute(statement)
    engine = sync_engine(supabase.url("supabase_like", "dash"))
    assert handle_case(engine, handled, "Asha") is True
    assert handle_case(engine, handled, "Asha") is False  # already handled: nothing changes
    assert handled not in {e.id for e in escalations(engine)}
    engine.dispose()
    with as_user(supabase, "bot") as bot:
        row = bot.execute(f"SELECT status, reason FROM escalations WHERE id = {handled}")
        assert row.fetchone() == ("handled", "urgent")


def test_anonymous_reads_nothing_even_if_someone_grants_it_a_table(supabase) -> None:
    with as_user(supabase, "visitor") as anon:
        for table in Base.metadata.tables:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                anon.execute(f"SELECT * FROM {table}")
    supabase.sql("GRANT SELECT ON conversations TO anon", "supabase_like")
    try:
        with as_user(supabase, "visitor") as anon:
            assert anon.execute("SELECT count(*) FROM conversations").fetchone()[0] == 0
    finally:
        supabase.sql("REVOKE SELECT ON conversations FROM anon", "supabase_like")


@pytest.mark.parametrize("statement_cache", [True, False])
async def test_through_a_transaction_mode_pooler_only_without_the_statement_cache(
    supabase, statement_cache
) -> None:
    """Concurrent clients through PgBouncer in transaction mode, as through Supabase's pooler:
    with the driver's cache, a statement prepared on one server connection is looked for on
    another and fails; with DATABASE_STATEMENT_CACHE=false all of it works."""
    pooler = PgBouncer(supabase, ["bot", "postgres"])
    stores = [Store(pooler.url("supabase_like", "bot"), statement_cache) for _ in range(3)]

    async def traffic(store: Store, n: int) -> None:
        for i in range(15):
            sid = f"SM{n:02d}{int(statement_cache)}{i:029d}"
            assert await store.claim(sid, f"pool{n}", "question")
            await store.record(turn(sid, sender=f"pool{n}"))
            assert (await store.recent_turns(f"pool{n}", 1))[0][1] == "Rs. 42,000"

    try:
        if statement_cache:
            with pytest.raises(DBAPIError, match="prepared statement"):
                await asyncio.gather(*(traffic(s, n) for n, s in enumerate(stores)))
            return
        await asyncio.gather(*(traffic(s, n) for n, s in enumerate(stores)))
        assert await stores[0].purge(timedelta(days=0)) > 0
        migrate(pooler.url("supabase_like", "postgres"), statement_cache=False)  # at head: no-op
    finally:
        for store in stores:
            await store.close()
        pooler.close()


@pytest.mark.parametrize("statement_cache", [True, False])
def test_rag_ingests_through_the_pooler_only_without_the_statement_cache(
    supabase, tmp_path, statement_cache
) -> None:
    """rag records each document it ingests in a transaction of its own: the same INSERT, which
    psycopg prepares after a few runs. When the pooler hands the next transaction to another
    server connection (here: another client took the first one meanwhile), the prepared statement
    is not there, unless DATABASE_STATEMENT_CACHE=false kept psycopg from preparing."""
    from collegebot.settings import IndexSettings, StoreSettings
    from services.rag.knowledge_base import KnowledgeBase

    for n in range(8):
        (tmp_path / f"notice-{statement_cache}-{n}.md").write_text(
            f"# Notice {n}\n\nOpen at {n}.\n"
        )
    pooler = PgBouncer(supabase, ["bot"])
    url = pooler.url("supabase_like", "bot")
    store = StoreSettings(database_url=url, database_statement_cache=statement_cache)
    kb = KnowledgeBase(IndexSettings(collegebot_state_dir=tmp_path / "index"), store, tmp_path)
    try:
        with contextlib.ExitStack() as busy:

            def another_client_meanwhile(line: str) -> None:
                if line.startswith("[6/"):  # takes the server connection rag used
                    busy.enter_context(psycopg.connect(url)).execute("SELECT 1")

            if statement_cache:
                with pytest.raises(DBAPIError, match="prepared statement"):
                    kb.ingest(progress=another_client_meanwhile)
            else:
                outcomes = kb.ingest(progress=another_client_meanwhile)
                # (and the first run's records, whose files are elsewhere, removed)
                assert [o.status for o in outcomes].count("added") == 8
    finally:
        kb.engine.dispose()
        pooler.close()


def test_two_rag_replicas_ingesting_at_once_both_succeed(postgres, tmp_path) -> None:
    from collegebot.settings import StoreSettings
    from tests.rag.test_ingest import two_replicas_ingest_at_once

    url = postgres.new_database("two_replicas")
    migrate(url)
    two_replicas_ingest_at_once(tmp_path, StoreSettings(database_url=url))


def test_the_dashboard_makes_exactly_the_staff_writes(supabase) -> None:
    """Claim, reply, hand off, answer a gap, check a password: the dashboard role can; write an
    account, touch a turn, undo a reply or an answer: it cannot."""
    from collegebot.store.staff_queries import (
        add_staff_account,
        case_thread,
        claim_case,
        gap_turns,
        handoff_case,
        record_staff_reply,
        resolve_gap,
        staff_account,
    )

    store = Store(supabase.url("supabase_like", "bot"))
    outcome = turn("SM" + "e" * 32, sender="h5")
    outcome.number_encrypted = "gAAAA-encrypted"
    outcome.turn.abstained = True

    async def write() -> None:
        await store.record(outcome)
        await store.close()

    asyncio.run(write())
    owner = sync_engine(supabase.url("supabase_like"))
    add_staff_account(owner, "asha", "Asha Rao", "$argon2id$v=19$...")
    owner.dispose()

    dash = sync_engine(supabase.url("supabase_like", "dash"))
    assert staff_account(dash, "asha").display_name == "Asha Rao"  # reads accounts
    with as_user(supabase, "dash") as sql:
        (case,) = sql.execute("SELECT id FROM escalations WHERE sender_hash = 'h5'").fetchone()
        (conversation,) = sql.execute(
            "SELECT id FROM conversations WHERE sender_hash = 'h5'"
        ).fetchone()
    assert claim_case(dash, case, "Asha Rao")
    record_staff_reply(
        dash, handoff_case(dash, case).escalation, "Hello", "free_text", "Asha", "SM1"
    )
    thread = [e.who for e in case_thread(dash, "h5")]
    assert sorted(thread) == ["bot", "case", "staff", "student"] and thread[-1] == "staff"
    gap = [t for t in gap_turns(dash, 0.4, 50) if t.conversation_id == conversation]
    assert gap and gap[0].reason == "abstained"
    resolve_gap(dash, [conversation], "hostel fee?", "Rs. 42,000", "staff-answers/x.md", "Asha")
    assert conversation not in {t.conversation_id for t in gap_turns(dash, 0.4, 50)}
    assert handle_case(dash, case, "Asha Rao")
    dash.dispose()

    with as_user(supabase, "dash") as sql:
        for statement in (
            "INSERT INTO staff_accounts (username, display_name, password_hash, disabled, "
            "created_at) VALUES ('eve', 'Eve', 'x', false, now())",
            "UPDATE staff_accounts SET disabled = false",
            "UPDATE staff_accounts SET password_hash = 'x'",
            "DELETE FROM staff_accounts",
            f"UPDATE conversations SET feedback = 'unhelpful' WHERE id = {conversation}",
            "UPDATE escalations SET sender_hash = 'x'",
            "DELETE FROM staff_replies",
            "UPDATE staff_replies SET body = 'x'",
            "UPDATE staff_answers SET answer = 'x'",
            "DELETE FROM staff_answers",
            "DELETE FROM resolved_gaps",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                sql.execute(statement)
    with as_user(supabase, "visitor") as anon:
        for table in ("staff_accounts", "staff_replies", "staff_answers", "resolved_gaps"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                anon.execute(f"SELECT * FROM {table}")
    with as_user(supabase, "bot") as bot:
        row = bot.execute(
            f"SELECT status, handled_by, number_encrypted FROM escalations WHERE id = {case}"
        )
        assert row.fetchone() == ("handled", "Asha Rao", "")
