"""Items of link previews: the per-URL cache."""
