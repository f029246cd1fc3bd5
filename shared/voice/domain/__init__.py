"""shared.voice.domain."""
