"""language model calls: which check dropped a written answer

A written answer the model produced but the checks refused (an invented name, a link no source
holds, an instruction from the data obeyed...) is recorded with outcome "dropped" and the check
that refused it, so `scic usage` can show why the model's text is being thrown away.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("language_model_call") as batch:
        batch.add_column(
            sa.Column("dropped_by", sa.String(length=32), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("language_model_call") as batch:
        batch.drop_column("dropped_by")
