"""question drafts: the receipt keeps the message an unfinished answer was being written in

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("slack_event_receipt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft_ts", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slack_event_receipt", schema=None) as batch_op:
        batch_op.drop_column("draft_ts")
