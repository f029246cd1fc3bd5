"""Voice: voice states and rooms, media nodes, speaking reports and voice tokens."""
