"""The Chromium switches QtWebEngine needs for Parley (FINDINGS.md, "Desktop shell").

Pure string work so it can be tested without Qt: the flags live in one environment variable,
``QTWEBENGINE_CHROMIUM_FLAGS``, read once when QtWebEngine starts.
"""

from __future__ import annotations

import os
import shlex

__all__ = [
    "FLAGS_ENV",
    "LOOPBACK_ICE",
    "MEDIA_AUTO_GRANT",
    "chromium_flags",
    "without_media_auto_grant",
]

FLAGS_ENV = "QTWEBENGINE_CHROMIUM_FLAGS"
#: Chromium grants every camera/microphone request without asking the embedder when this is set;
#: pywebview's Qt backend adds it. Parley asks the user instead, so it must never reach Chromium.
MEDIA_AUTO_GRANT = "--use-fake-ui-for-media-stream"
#: aiortc resolves mDNS host candidates slowly (1.26 s to connect against 0.29 s without them).
_DISABLED_FEATURES = ("WebRtcHideLocalIpsWithMdns",)
#: Chromium leaves loopback addresses out of ICE, so voice against a media node on this machine
#: (``make dev``'s, on 127.0.0.1) never connects. The only page the shell shows is Parley's, and
#: a loopback candidate tells a remote node nothing (it pairs with loopback candidates only).
LOOPBACK_ICE = "--allow-loopback-in-peer-connection"


def _merge_list_switch(flags: list[str], switch: str, values: tuple[str, ...]) -> list[str]:
    """Chromium keeps only the last copy of a switch, so feature lists must be merged into one."""
    merged: list[str] = []
    rest: list[str] = []
    prefix = f"{switch}="
    for flag in flags:
        if flag.startswith(prefix):
            merged.extend(v for v in flag[len(prefix) :].split(",") if v)
        else:
            rest.append(flag)
    for value in values:
        if value not in merged:
            merged.append(value)
    return [*rest, f"{prefix}{','.join(merged)}"]


def chromium_flags(existing: str = "", *, as_root: bool | None = None) -> str:
    """The flags to run with: what the user set, plus ours, minus the media auto-grant."""
    flags = [f for f in shlex.split(existing) if f != MEDIA_AUTO_GRANT]
    if as_root is None:
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if as_root and "--no-sandbox" not in flags:
        # Chromium's sandbox refuses to start as root; QtWebEngine then aborts.
        flags.append("--no-sandbox")
    if LOOPBACK_ICE not in flags:
        flags.append(LOOPBACK_ICE)
    flags = _merge_list_switch(flags, "--disable-features", _DISABLED_FEATURES)
    return " ".join(shlex.quote(f) for f in flags)


def without_media_auto_grant(value: str) -> str:
    """The same flags with the media auto-grant switch removed."""
    return " ".join(shlex.quote(f) for f in shlex.split(value) if f != MEDIA_AUTO_GRANT)
