"""shared.messages.domain."""
