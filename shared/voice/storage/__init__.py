"""The feature's items in the single table."""
