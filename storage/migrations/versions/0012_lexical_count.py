"""lexical counts: each collection's number of full-text rows, kept by triggers in the same
statement as the rows, so a question reads it instead of counting the collection

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A rendering row's key holds this (storage.lexical.RENDERING); the same LIKE as count_texts.
_RENDERING = "'%~rendering.%'"

SQLITE_TRIGGERS = [
    "CREATE TRIGGER lexical_count_ai AFTER INSERT ON lexical_record BEGIN "
    "INSERT OR IGNORE INTO lexical_count(collection, texts, renderings) "
    "VALUES (new.collection, 0, 0); "
    f"UPDATE lexical_count SET texts = texts + (new.key NOT LIKE {_RENDERING}), "
    f"renderings = renderings + (new.key LIKE {_RENDERING}) "
    "WHERE collection = new.collection; END",
    "CREATE TRIGGER lexical_count_ad AFTER DELETE ON lexical_record BEGIN "
    f"UPDATE lexical_count SET texts = texts - (old.key NOT LIKE {_RENDERING}), "
    f"renderings = renderings - (old.key LIKE {_RENDERING}) "
    "WHERE collection = old.collection; END",
    "CREATE TRIGGER lexical_count_au AFTER UPDATE OF key, collection ON lexical_record BEGIN "
    f"UPDATE lexical_count SET texts = texts - (old.key NOT LIKE {_RENDERING}), "
    f"renderings = renderings - (old.key LIKE {_RENDERING}) "
    "WHERE collection = old.collection; "
    "INSERT OR IGNORE INTO lexical_count(collection, texts, renderings) "
    "VALUES (new.collection, 0, 0); "
    f"UPDATE lexical_count SET texts = texts + (new.key NOT LIKE {_RENDERING}), "
    f"renderings = renderings + (new.key LIKE {_RENDERING}) "
    "WHERE collection = new.collection; END",
]

# Statement-level, over the statement's rows at once: an import's insert of thousands of rows
# updates each collection's count once. Two writers' updates of one count wait for each other
# (a row lock until commit), so the count is never lost.
_PG_ADDED = (
    "INSERT INTO lexical_count AS c (collection, texts, renderings) "
    f"SELECT collection, count(*) FILTER (WHERE key NOT LIKE {_RENDERING}), "
    f"count(*) FILTER (WHERE key LIKE {_RENDERING}) FROM new_rows GROUP BY collection "
    "ON CONFLICT (collection) DO UPDATE SET texts = c.texts + EXCLUDED.texts, "
    "renderings = c.renderings + EXCLUDED.renderings;"
)
_PG_REMOVED = (
    "UPDATE lexical_count AS c SET texts = c.texts - d.texts, "
    "renderings = c.renderings - d.renderings FROM ("
    f"SELECT collection, count(*) FILTER (WHERE key NOT LIKE {_RENDERING}) AS texts, "
    f"count(*) FILTER (WHERE key LIKE {_RENDERING}) AS renderings FROM old_rows "
    "GROUP BY collection) AS d WHERE c.collection = d.collection;"
)
POSTGRES_TRIGGERS = [
    "CREATE FUNCTION lexical_count_added() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"{_PG_ADDED} RETURN NULL; END $$",
    "CREATE FUNCTION lexical_count_removed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"{_PG_REMOVED} RETURN NULL; END $$",
    "CREATE FUNCTION lexical_count_moved() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"{_PG_REMOVED} {_PG_ADDED} RETURN NULL; END $$",
    "CREATE TRIGGER lexical_count_ai AFTER INSERT ON lexical_record "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION lexical_count_added()",
    "CREATE TRIGGER lexical_count_ad AFTER DELETE ON lexical_record "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION lexical_count_removed()",
    "CREATE TRIGGER lexical_count_au AFTER UPDATE ON lexical_record "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION lexical_count_moved()",
]


def upgrade() -> None:
    op.create_table(
        "lexical_count",
        sa.Column("collection", sa.String(length=16), nullable=False),
        sa.Column("texts", sa.Integer(), nullable=False),
        sa.Column("renderings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("collection", name=op.f("pk_lexical_count")),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)
    # The rows already there, counted once.
    op.execute(
        "INSERT INTO lexical_count (collection, texts, renderings) "
        f"SELECT collection, sum(CASE WHEN key LIKE {_RENDERING} THEN 0 ELSE 1 END), "
        f"sum(CASE WHEN key LIKE {_RENDERING} THEN 1 ELSE 0 END) "
        "FROM lexical_record GROUP BY collection"
    )


def downgrade() -> None:
    for name in ("lexical_count_ai", "lexical_count_ad", "lexical_count_au"):
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON lexical_record")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if op.get_bind().dialect.name == "postgresql":
        for function in ("lexical_count_added", "lexical_count_removed", "lexical_count_moved"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_table("lexical_count")
