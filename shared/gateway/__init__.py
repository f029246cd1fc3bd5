"""The gateway protocol (frames, ops) and the outbound side (@connections)."""
