"""shared.outbox."""
