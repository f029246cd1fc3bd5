"""Parley's commands: each loads what it needs through storage, applies the pure domain rules,
and commits one transaction (with its outbox events). Handlers call exactly one of these."""
