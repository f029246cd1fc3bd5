"""shared.voice.storage."""
