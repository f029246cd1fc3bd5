"""Parley's shared library: domain, storage, auth, gateway protocol, configuration and ids.

The domain modules import no AWS SDK; storage adapters live under ``shared.storage``.
"""
