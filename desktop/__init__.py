"""Parley's desktop client: the web UI in a pywebview window on PySide6's QtWebEngine."""
