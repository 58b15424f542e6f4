"""storage package."""

# Registers the flush listener that queues changed records for the search index.
import storage.outbox  # noqa: F401
