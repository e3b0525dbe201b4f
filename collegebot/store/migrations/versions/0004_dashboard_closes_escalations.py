"""the dashboard may close escalations

Revision ID: 0004
Revises: 0003

PostgreSQL only (SQLite has no roles). Staff mark an escalation handled on the dashboard, so
`collegebot_dashboard` may now UPDATE the `status` column of `escalations`, and no other column
or table.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DASHBOARD = "collegebot_dashboard"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"GRANT UPDATE (status) ON escalations TO {DASHBOARD}")
    op.execute(
        f"CREATE POLICY dashboard_closes ON escalations FOR UPDATE TO {DASHBOARD} "
        "USING (true) WITH CHECK (true)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY IF EXISTS dashboard_closes ON escalations")
    op.execute(f"REVOKE UPDATE (status) ON escalations FROM {DASHBOARD}")
