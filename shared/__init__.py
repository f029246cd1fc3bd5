"""Parley's shared library: one package per feature, and the platform modules they share.

A feature package holds its pure rules in ``domain/`` (no I/O, no AWS SDK), its commands at its
top level and its items in ``storage/``; ``shared.table`` is the single-table base. The rule and
the package list: ``docs/decisions.md``, "``shared/`` is organised by feature".
"""
