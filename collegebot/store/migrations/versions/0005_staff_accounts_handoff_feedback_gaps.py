"""staff accounts, hand-off, student feedback and knowledge-gap answers

Revision ID: 0005
Revises: 0004

Escalations gain who claimed and handled them (and when) and the student's number, encrypted,
while the case is open; "closed" becomes "handled". Conversations gain the student's feedback.
New tables: staff accounts, the replies staff send, the answers staff write to knowledge gaps
and the gap turns those answers resolved.

On PostgreSQL the new tables get row-level security as in 0003, and `collegebot_dashboard` may
make exactly the staff writes: claim and hand off escalations (their status, claimed/handled
columns and erasing the number), record its replies, write gap answers and resolve gaps. It
reads staff accounts (to check a password) but never writes them: the CLI does, as the owner.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BOT = "service_role"
DASHBOARD = "collegebot_dashboard"
PUBLIC_ROLES = ("anon", "authenticated")
NEW_TABLES = ("staff_accounts", "staff_replies", "staff_answers", "resolved_gaps")
DASHBOARD_INSERTS = ("staff_replies", "staff_answers", "resolved_gaps")
DASHBOARD_SEQUENCES = ("staff_replies_id_seq", "staff_answers_id_seq")
ESCALATION_COLUMNS = "status, claimed_by, claimed_at, handled_by, handled_at, number_encrypted"


def _now() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_by", sa.String(length=128), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("claimed_at", _now(), nullable=True))
        batch_op.add_column(
            sa.Column("handled_by", sa.String(length=128), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("handled_at", _now(), nullable=True))
        batch_op.add_column(
            sa.Column("number_encrypted", sa.Text(), nullable=False, server_default="")
        )
    op.execute("UPDATE escalations SET status = 'handled' WHERE status = 'closed'")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("feedback", sa.String(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("feedback_at", _now(), nullable=True))

    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", _now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "staff_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_id", sa.Integer(), nullable=False),
        sa.Column("sender_hash", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sent_by", sa.String(length=128), nullable=False),
        sa.Column("twilio_sid", sa.String(length=64), nullable=False),
        sa.Column("created_at", _now(), nullable=False),
        sa.ForeignKeyConstraint(["escalation_id"], ["escalations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("staff_replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_replies_created_at"), ["created_at"])
        batch_op.create_index(batch_op.f("ix_staff_replies_escalation_id"), ["escalation_id"])
        batch_op.create_index(batch_op.f("ix_staff_replies_sender_hash"), ["sender_hash"])
    op.create_table(
        "staff_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("written_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", _now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "resolved_gaps",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("staff_answer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _now(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_answer_id"], ["staff_answers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    with op.batch_alter_table("resolved_gaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resolved_gaps_staff_answer_id"), ["staff_answer_id"])

    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {BOT}")
    for table in NEW_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"REVOKE ALL ON {table} FROM {', '.join(PUBLIC_ROLES)}")
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {BOT}")
        op.execute(
            f"CREATE POLICY bot_writes ON {table} FOR ALL TO {BOT} USING (true) WITH CHECK (true)"
        )
        op.execute(f"GRANT SELECT ON {table} TO {DASHBOARD}")
        op.execute(
            f"CREATE POLICY dashboard_reads ON {table} FOR SELECT TO {DASHBOARD} USING (true)"
        )
    for sequence in DASHBOARD_SEQUENCES:
        op.execute(f"REVOKE ALL ON SEQUENCE {sequence} FROM {', '.join(PUBLIC_ROLES)}")
        op.execute(f"GRANT USAGE ON SEQUENCE {sequence} TO {DASHBOARD}")
    for table in DASHBOARD_INSERTS:
        op.execute(f"GRANT INSERT ON {table} TO {DASHBOARD}")
        op.execute(
            f"CREATE POLICY dashboard_writes ON {table} FOR INSERT TO {DASHBOARD} WITH CHECK (true)"
        )
    op.execute(f"GRANT UPDATE ({ESCALATION_COLUMNS}) ON escalations TO {DASHBOARD}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"REVOKE UPDATE ({ESCALATION_COLUMNS}) ON escalations FROM {DASHBOARD}")
        op.execute(f"GRANT UPDATE (status) ON escalations TO {DASHBOARD}")
    for table in reversed(NEW_TABLES):
        op.drop_table(table)  # its policies and grants go with it
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("feedback_at")
        batch_op.drop_column("feedback")
    op.execute("UPDATE escalations SET status = 'closed' WHERE status = 'handled'")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        for column in ("number_encrypted", "handled_at", "handled_by", "claimed_at", "claimed_by"):
            batch_op.drop_column(column)
