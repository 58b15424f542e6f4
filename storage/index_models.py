"""The table the index's writers share: who is applying the outbox to the search index now.

Several processes (bot processes, an import, `scic reindex`) may want to apply the outbox at
once. Only the holder of the lease does, so two writers never put an older and a newer version
of one record into the index in the wrong order, and nobody embeds the same passages twice. A
lease runs out on its own, so a writer that dies holding it blocks the others for seconds, not
for ever.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class IndexLease(Base):
    __tablename__ = "index_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime]


class LexicalRecord(Base):
    """One searchable text of a member or challenge (a capability, a reference, a challenge's
    needs...), kept by `storage.lexical` in the same transaction as the record itself.

    The store's full-text engine indexes ``body``: SQLite FTS5 (the ``lexical_record_fts``
    table, kept in step by triggers) and PostgreSQL full-text search (a generated ``tsvector``
    column over the ``english`` and ``finnish`` configurations, with a GIN index). Both are
    created by migration 0007.
    """

    __tablename__ = "lexical_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the record's key, as the search index's passages start: "member:12:capability:0"
    key: Mapped[str] = mapped_column(String(200), unique=True)
    #: "member:12", "challenge:3"
    owner: Mapped[str] = mapped_column(String(40), index=True)
    #: "members" or "challenges": the search index it belongs to
    collection: Mapped[str] = mapped_column(String(16), index=True)
    body: Mapped[str] = mapped_column(Text)


class LexicalCount(Base):
    """How many rows of ``lexical_record`` each collection holds, kept by the store itself
    (triggers, migration 0012) in the same statement as the rows: a question's full-text
    statistics need the collection's size, which counting the rows cost ~34 ms at 10,000
    members, on every question."""

    __tablename__ = "lexical_count"

    collection: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: On PostgreSQL each writer adds to the shard of its backend (migration 0013), so two
    #: writers of one collection do not wait for each other's commit; a collection's count
    #: is the sum over its shards. SQLite (one writer at a time) keeps shard 0.
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default="0")
    #: the records' own texts (what `storage.lexical.count_texts` counts)
    texts: Mapped[int]
    #: renderings in the other language (rows keyed "...~rendering.<language>")
    renderings: Mapped[int]
