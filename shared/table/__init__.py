"""The single table's base: its shape, typed items, keys, transactions and retries."""
