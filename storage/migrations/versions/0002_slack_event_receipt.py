"""slack event receipts: deduplicate Slack's retried events across bot processes

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_event_receipt",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_slack_event_receipt")),
    )
    with op.batch_alter_table("slack_event_receipt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slack_event_receipt_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("slack_event_receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slack_event_receipt_received_at"))
    op.drop_table("slack_event_receipt")
