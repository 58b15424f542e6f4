"""The opportunity digests: choosing what each subscriber hears, sending it exactly once,
subscriptions, and what members say of it."""
