"""Pure rules of link previews: which URLs a message links to, which addresses may be
fetched, and what a fetched page's metadata becomes."""
