"""shared.messages."""
