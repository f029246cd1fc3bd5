"""Storage adapters: pynamodb entities on Parley's single table, and the key builders."""
