"""Structured logging for every Parley process, through Powertools Logger.

The service name comes from ``POWERTOOLS_SERVICE_NAME`` (set per function by the template);
``POWERTOOLS_LOG_LEVEL`` sets the level. Log lines are JSON, one per line.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

__all__ = ["logger"]

logger = Logger()
