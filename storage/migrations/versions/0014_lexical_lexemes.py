"""lexical lexemes: on PostgreSQL, how many full-text rows hold each lexeme, kept by the same
triggers as the collection's count, so a question reads its words' counts (their idf) instead
of counting them among its matches (most of a question at 100,000 members)

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As migration 0013 (storage.lexical.RENDERING; the writer's shard of the counts).
_RENDERING = "'%~rendering.%'"
_SHARD = "pg_backend_pid() % 16"


def _count_change(rows: str, sign: str) -> str:
    # 0013's statement: the collection's rows, on the writer's shard.
    return (
        "INSERT INTO lexical_count AS c (collection, shard, texts, renderings) "
        f"SELECT collection, {_SHARD}, {sign}count(*) FILTER (WHERE key NOT LIKE {_RENDERING}), "
        f"{sign}count(*) FILTER (WHERE key LIKE {_RENDERING}) FROM {rows} GROUP BY collection "
        "ON CONFLICT (collection, shard) DO UPDATE SET texts = c.texts + EXCLUDED.texts, "
        "renderings = c.renderings + EXCLUDED.renderings;"
    )


def _lexeme_change(rows: str, sign: str) -> str:
    # Each row's lexemes (a tsvector holds each once: a count of rows, as a word's idf
    # needs), added to the writer's shard. Always after the collection's count in the same
    # function: its row lock is the writer's first, so two writers of one shard and
    # collection wait there, and never take these rows in each other's order (a deadlock).
    # Ordered by lexeme, as one statement takes its locks.
    change = (
        "INSERT INTO lexical_lexeme AS l (collection, lexeme, shard, texts) "
        f"SELECT r.collection, u.lexeme, {_SHARD}, {sign}count(*) "
        f"FROM {rows} r, unnest(r.search_vector) u GROUP BY r.collection, u.lexeme "
        "ORDER BY r.collection, u.lexeme "
        "ON CONFLICT (collection, lexeme, shard) DO UPDATE SET texts = l.texts + EXCLUDED.texts;"
    )
    if sign:
        # A shard's row come to 0 says nothing: gone, so the table holds the lexemes in use
        # (a member's name and number are lexemes of their own).
        change += (
            f" DELETE FROM lexical_lexeme l USING (SELECT DISTINCT r.collection, u.lexeme "
            f"FROM {rows} r, unnest(r.search_vector) u) g WHERE l.collection = g.collection "
            f"AND l.lexeme = g.lexeme AND l.shard = {_SHARD} AND l.texts = 0;"
        )
    return change


def _functions(*, lexemes: bool) -> list[str]:
    def change(rows: str, sign: str) -> str:
        counted = _count_change(rows, sign)
        return f"{counted} {_lexeme_change(rows, sign)}" if lexemes else counted

    head = "CREATE OR REPLACE FUNCTION lexical_count_{}() RETURNS trigger LANGUAGE plpgsql AS $$ "
    added, removed = change("new_rows", ""), change("old_rows", "-")
    return [
        f"{head.format('added')}BEGIN {added} RETURN NULL; END $$",
        f"{head.format('removed')}BEGIN {removed} RETURN NULL; END $$",
        f"{head.format('moved')}BEGIN {removed} {added} RETURN NULL; END $$",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        # SQLite's FTS5 counts a word's texts in its own index (storage.lexical).
        return
    op.create_table(
        "lexical_lexeme",
        sa.Column("collection", sa.String(length=16), nullable=False),
        sa.Column("lexeme", sa.Text(), nullable=False),
        sa.Column("shard", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("texts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("collection", "lexeme", "shard", name=op.f("pk_lexical_lexeme")),
    )
    for statement in _functions(lexemes=True):
        op.execute(statement)
    # The rows already there, counted once (~7 s for 700,000 rows).
    op.execute(
        "INSERT INTO lexical_lexeme (collection, lexeme, shard, texts) "
        "SELECT r.collection, u.lexeme, 0, count(*) FROM lexical_record r, "
        "unnest(r.search_vector) u GROUP BY r.collection, u.lexeme"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _functions(lexemes=False):
        op.execute(statement)
    op.drop_table("lexical_lexeme")
