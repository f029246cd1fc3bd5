"""shared.messages.storage."""
