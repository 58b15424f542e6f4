"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from storage import migrate
from storage.lexical import not_the_engines_own
from storage.models import Base


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": not_the_engines_own}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_store_is_at_the_latest_revision_and_upgrading_again_is_harmless(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision(engine)
