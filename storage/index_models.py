"""The table the index's writers share: who is applying the outbox to the search index now.

Several processes (bot processes, an import, `scic reindex`) may want to apply the outbox at
once. Only the holder of the lease does, so two writers never put an older and a newer version
of one record into the index in the wrong order, and nobody embeds the same passages twice. A
lease runs out on its own, so a writer that dies holding it blocks the others for seconds, not
for ever.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base


class IndexLease(Base):
    __tablename__ = "index_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime]
