"""lexical count shards: on PostgreSQL each writer adds to a count row of its own (a shard
picked by its backend), summed on read, so two writers of one collection no longer wait for
each other's commit on one row (a profile edit behind an import's transaction)

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A rendering row's key holds this (storage.lexical.RENDERING); the same LIKE as count_texts.
_RENDERING = "'%~rendering.%'"
#: How many count rows a collection may have on PostgreSQL: two writers share one only when
#: their backends' ids fall on the same shard.
SHARDS = 16
_SHARD = f"pg_backend_pid() % {SHARDS}"


def _pg_count_change(rows: str, sign: str, *, sharded: bool = True) -> str:
    # Statement-level, over the statement's rows at once: an import's insert of thousands of
    # rows adds to its shard's count once; a delete adds negative counts (a shard may go below
    # zero; the sum over shards is the collection's size).
    shard, key = (f", {_SHARD}", "collection, shard") if sharded else ("", "collection")
    return (
        f"INSERT INTO lexical_count AS c ({key}, texts, renderings) "
        f"SELECT collection{shard}, {sign}count(*) FILTER (WHERE key NOT LIKE {_RENDERING}), "
        f"{sign}count(*) FILTER (WHERE key LIKE {_RENDERING}) FROM {rows} GROUP BY collection "
        f"ON CONFLICT ({key}) DO UPDATE SET texts = c.texts + EXCLUDED.texts, "
        "renderings = c.renderings + EXCLUDED.renderings;"
    )


def _pg_functions(*, sharded: bool) -> list[str]:
    added = _pg_count_change("new_rows", "", sharded=sharded)
    removed = _pg_count_change("old_rows", "-", sharded=sharded)
    head = "CREATE OR REPLACE FUNCTION lexical_count_{}() RETURNS trigger LANGUAGE plpgsql AS $$ "
    return [
        f"{head.format('added')}BEGIN {added} RETURN NULL; END $$",
        f"{head.format('removed')}BEGIN {removed} RETURN NULL; END $$",
        f"{head.format('moved')}BEGIN {removed} {added} RETURN NULL; END $$",
    ]


def _recount() -> None:
    op.execute(
        "INSERT INTO lexical_count (collection, texts, renderings) "
        f"SELECT collection, sum(CASE WHEN key LIKE {_RENDERING} THEN 0 ELSE 1 END), "
        f"sum(CASE WHEN key LIKE {_RENDERING} THEN 1 ELSE 0 END) "
        "FROM lexical_record GROUP BY collection"
    )


def upgrade() -> None:
    # The table is made anew rather than altered: SQLite cannot change a primary key in place.
    # Its triggers (0012) insert with the shard's default, 0: one writer at a time anyway.
    op.drop_table("lexical_count")
    op.create_table(
        "lexical_count",
        sa.Column("collection", sa.String(length=16), nullable=False),
        sa.Column("shard", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("texts", sa.Integer(), nullable=False),
        sa.Column("renderings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("collection", "shard", name=op.f("pk_lexical_count")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in _pg_functions(sharded=True):
            op.execute(statement)
    _recount()


def downgrade() -> None:
    op.drop_table("lexical_count")
    op.create_table(
        "lexical_count",
        sa.Column("collection", sa.String(length=16), nullable=False),
        sa.Column("texts", sa.Integer(), nullable=False),
        sa.Column("renderings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("collection", name=op.f("pk_lexical_count")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in _pg_functions(sharded=False):
            op.execute(statement)
    _recount()
