"""Notification settings: what each user wants to be told of, per guild, per channel and in DMs."""
