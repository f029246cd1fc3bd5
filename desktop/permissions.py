"""Ask before a page gets the microphone (or camera).

pywebview's Qt backend grants media capture to every page silently; Parley asks the user once
per origin and remembers the answer for the run. The decision logic is plain Python (tested
without Qt); ``install`` wires it to a QWebEnginePage's permission signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MediaPermissionPolicy", "install", "qt_ask"]

log = logging.getLogger("parley.desktop")

#: (origin, what) -> granted? ; ``what`` is "microphone", "camera" or "microphone and camera".
Asker = Callable[[str, str], bool]


@dataclass
class MediaPermissionPolicy:
    """Per-origin decisions for media capture; anything else a page asks for is denied."""

    ask: Asker
    decisions: dict[tuple[str, str], bool] = field(default_factory=dict)

    def decide(self, origin: str, what: str | None) -> bool:
        if what is None:
            return False  # geolocation, notifications, ...: Parley needs none of them
        key = (origin, what)
        if key not in self.decisions:
            self.decisions[key] = bool(self.ask(origin, what))
            log.info("%s access for %s: %s", what, origin, self.decisions[key])
        return self.decisions[key]


def qt_ask(origin: str, what: str) -> bool:
    """The question as a Qt dialog (modal; runs on the GUI thread, where the signal arrives)."""
    from qtpy.QtWidgets import QMessageBox

    answer = QMessageBox.question(
        None,
        "Parley",
        f"{origin} wants to use your {what}.\n\nAllow it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return bool(answer == QMessageBox.StandardButton.Yes)


def _origin(url: Any) -> str:
    """``scheme://host[:port]`` of a QUrl."""
    port = int(url.port())
    return f"{url.scheme()}://{url.host()}" + (f":{port}" if port != -1 else "")


def install(page: Any, policy: MediaPermissionPolicy) -> None:
    """Replace pywebview's grant-everything handler on ``page`` with the policy.

    Qt 6.8 added ``permissionRequested(QWebEnginePermission)`` and deprecated
    ``featurePermissionRequested``; both are handled so either Qt answers through the policy.
    """
    from qtpy.QtWebEngineCore import QWebEnginePage

    old_slot = getattr(page, "onFeaturePermissionRequested", None)
    if old_slot is None:
        raise RuntimeError(
            "pywebview's Qt page has no onFeaturePermissionRequested: its permission handling "
            "moved; re-check desktop/permissions.py against the pinned pywebview"
        )
    page.featurePermissionRequested.disconnect(old_slot)

    media = {
        QWebEnginePage.Feature.MediaAudioCapture: "microphone",
        QWebEnginePage.Feature.MediaVideoCapture: "camera",
        QWebEnginePage.Feature.MediaAudioVideoCapture: "microphone and camera",
    }

    permission_signal = getattr(page, "permissionRequested", None)
    if permission_signal is not None:
        from qtpy.QtWebEngineCore import QWebEnginePermission

        kinds = QWebEnginePermission.PermissionType
        by_type = {
            kinds.MediaAudioCapture: "microphone",
            kinds.MediaVideoCapture: "camera",
            kinds.MediaAudioVideoCapture: "microphone and camera",
        }

        def on_permission(permission: Any) -> None:
            what = by_type.get(permission.permissionType())
            if policy.decide(_origin(permission.origin()), what):
                permission.grant()
            else:
                permission.deny()

        permission_signal.connect(on_permission)
        return

    def on_feature(url: Any, feature: Any) -> None:
        granted = policy.decide(_origin(url), media.get(feature))
        policy_value = (
            QWebEnginePage.PermissionPolicy.PermissionGrantedByUser
            if granted
            else QWebEnginePage.PermissionPolicy.PermissionDeniedByUser
        )
        page.setFeaturePermission(url, feature, policy_value)

    page.featurePermissionRequested.connect(on_feature)
