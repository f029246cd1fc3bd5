"""Accounts and authentication: passwords, tokens, signing keys, OpenID Connect logins."""
