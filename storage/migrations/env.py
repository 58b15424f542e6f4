"""Alembic environment: runs against the engine the caller hands over (see storage.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import storage.digest_models  # registers the digest tables on Base.metadata
import storage.index_models  # registers the index lease on Base.metadata
import storage.lifecycle_models  # registers the challenge notices on Base.metadata
import storage.profile_models  # registers the profile audit trail and nudges on Base.metadata
import storage.slack_models  # noqa: F401  (registers the Slack tables on Base.metadata)
from storage.lexical import not_the_engines_own
from storage.models import Base

config = context.config
engine: Engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=not_the_engines_own,
    )
    context.run_migrations()
