"""Parley's pure domain: rules and values with no I/O (no boto3, pynamodb or powertools)."""
