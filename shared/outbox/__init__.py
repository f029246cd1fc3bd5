"""The outbox: the gateway events a change emits, written in the change's own transaction."""
