"""Direct messages: a channel of two users, outside any guild."""
