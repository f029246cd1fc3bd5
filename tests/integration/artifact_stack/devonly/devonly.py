"""Imports PyYAML, which the development environment has and the layer has not."""

from __future__ import annotations

from typing import Any

import yaml


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"yaml": yaml.__version__}
