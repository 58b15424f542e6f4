"""storage package."""

# Register the listeners that keep search in step with every change to a record: the texts of
# full-text search in the same transaction, and the outbox the vector index is fed from.
import storage.lexical
import storage.outbox  # noqa: F401
