"""Answers whether the module named in the path imports in this worker, and from where."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    name = (event.get("pathParameters") or {}).get("module")
    answer: dict[str, Any] = {"sys_path": sys.path, "cwd": os.getcwd()}
    if name:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            answer.update(imported=False, error=f"{type(exc).__name__}: {exc}")
        else:
            answer.update(imported=True, file=getattr(module, "__file__", None))
    return answer
