"""search in the store: the index lease, and the searchable texts under the store's full-text
engine (SQLite FTS5; PostgreSQL full-text search with the english and finnish configurations)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_FTS = [
    # External content: the text lives once, in lexical_record; FTS5 keeps only its index.
    "CREATE VIRTUAL TABLE lexical_record_fts USING fts5(body, content='lexical_record', "
    "content_rowid='id', tokenize=\"unicode61 remove_diacritics 0\", prefix='4 7')",
    "CREATE TRIGGER lexical_record_ai AFTER INSERT ON lexical_record BEGIN "
    "INSERT INTO lexical_record_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER lexical_record_ad AFTER DELETE ON lexical_record BEGIN "
    "INSERT INTO lexical_record_fts(lexical_record_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER lexical_record_au AFTER UPDATE ON lexical_record BEGIN "
    "INSERT INTO lexical_record_fts(lexical_record_fts, rowid, body) "
    "VALUES ('delete', old.id, old.body); "
    "INSERT INTO lexical_record_fts(rowid, body) VALUES (new.id, new.body); END",
]
POSTGRES_FTS = [
    # Stored, so neither a search nor its ranking parses the texts again.
    "ALTER TABLE lexical_record ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english', body) || to_tsvector('finnish', body)) STORED",
    "CREATE INDEX ix_lexical_record_search ON lexical_record USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "index_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=80), nullable=False),
        sa.Column("expires_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_index_lease")),
    )
    op.create_table(
        "lexical_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("collection", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lexical_record")),
        sa.UniqueConstraint("key", name=op.f("uq_lexical_record_key")),
    )
    with op.batch_alter_table("lexical_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lexical_record_collection"), ["collection"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_lexical_record_owner"), ["owner"], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_FTS if dialect == "sqlite" else POSTGRES_FTS:
        op.execute(statement)
    # Records already in the store get their searchable texts from `scic reindex`.


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("lexical_record_ai", "lexical_record_ad", "lexical_record_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS lexical_record_fts")
    op.drop_table("lexical_record")
    op.drop_table("index_lease")
