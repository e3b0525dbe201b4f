"""an index that holds what the staff pages count

Revision ID: 0006
Revises: 0005

The overview, topics and sentiment count turns over a date range by student, outcome, generator,
intent and sentiment. With only `created_at` indexed each count read whole rows (questions and
answers included) of the range; this index holds those columns, so the counts read it alone
(SQLite's covering index, PostgreSQL's index-only scan).
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NAME = "ix_conversations_staff_counts"
COLUMNS = [
    "created_at",
    "sender_hash",
    "status",
    "generator",
    "abstained",
    "escalated",
    "feedback",
    "intent",
    "sentiment",
    "total_ms",
]


def upgrade() -> None:
    op.create_index(NAME, "conversations", COLUMNS)


def downgrade() -> None:
    op.drop_index(NAME, table_name="conversations")
