"""Presence: a user's chosen status and the connections that carry a session."""
