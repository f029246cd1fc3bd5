"""shared.outbox.domain."""
