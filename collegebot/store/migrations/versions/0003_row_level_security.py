"""row-level security for Supabase's roles

Revision ID: 0003
Revises: 0002

PostgreSQL only (SQLite has no roles). Written for Supabase's own roles so the same migration
applies unchanged to a Supabase project: `anon` and `authenticated` (what PostgREST hands to the
public) read nothing, `service_role` (the bot) writes, and `collegebot_dashboard` reads only the
tables the dashboard shows. Roles missing on a plain PostgreSQL are created without login; an
operator grants them to login users (see the README).
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BOT = "service_role"
DASHBOARD = "collegebot_dashboard"
PUBLIC_ROLES = ("anon", "authenticated")
TABLES = (
    "conversations",
    "performance_metrics",
    "system_logs",
    "knowledge_base_documents",
    "deliveries",
    "escalations",
    "alembic_version",
)
# Deliveries hold the bot's replies keyed by MessageSid, only for de-duplication: not shown.
DASHBOARD_READS = (
    "conversations",
    "performance_metrics",
    "system_logs",
    "knowledge_base_documents",
    "escalations",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for role in (*PUBLIC_ROLES, BOT, DASHBOARD):
        op.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
            f"THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
        )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {BOT}, {DASHBOARD}")
    # Supabase grants every new table in public to anon and authenticated by default.
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {', '.join(PUBLIC_ROLES)}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {BOT}")
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"REVOKE ALL ON {table} FROM {', '.join(PUBLIC_ROLES)}")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {BOT}")
        op.execute(
            f"CREATE POLICY bot_writes ON {table} FOR ALL TO {BOT} USING (true) WITH CHECK (true)"
        )
    for table in DASHBOARD_READS:
        op.execute(f"GRANT SELECT ON {table} TO {DASHBOARD}")
        op.execute(
            f"CREATE POLICY dashboard_reads ON {table} FOR SELECT TO {DASHBOARD} USING (true)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in DASHBOARD_READS:
        op.execute(f"DROP POLICY IF EXISTS dashboard_reads ON {table}")
        op.execute(f"REVOKE SELECT ON {table} FROM {DASHBOARD}")
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS bot_writes ON {table}")
        op.execute(f"REVOKE ALL ON {table} FROM {BOT}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
