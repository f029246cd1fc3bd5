"""The feature's pure rules and values: no I/O, no AWS SDK (held by import-linter)."""
