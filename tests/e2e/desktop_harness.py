"""Run the desktop shell once, offscreen, in its own process (Qt runs one app per process).

``python -m tests.e2e.desktop_harness '<json options>'`` prints the result as JSON on the last
line. The microphone question is answered by ``answer``, "connect to this server?" by
``confirm_server``, and every question is recorded, so a test can tell that the shell asked
(pywebview alone would have granted silently). With ``record_notifications``, the desktop
notifications the page asks the shell for are recorded (``notified``) instead of shown.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    spec = json.loads(sys.argv[1])
    from desktop.shell import ShellOptions, run

    asked: list[list[str]] = []
    servers_asked: list[list[str | None]] = []
    notified: list[list[str]] = []

    def notify(title: str, body: str) -> bool:
        notified.append([title, body])
        return True

    def ask(origin: str, what: str) -> bool:
        asked.append([origin, what])
        return bool(spec.get("answer", False))

    def confirm_server(server: str, gateway: str | None) -> bool:
        servers_asked.append([server, gateway])
        return bool(spec.get("confirm_server", False))

    options = ShellOptions(
        server=spec["server"],
        local_ui=Path(spec["local_ui"]) if spec.get("local_ui") else None,
        gateway=spec.get("gateway"),
        state_path=Path(spec["state_path"]),
        screenshot=Path(spec["screenshot"]) if spec.get("screenshot") else None,
        exit_after_load=True,
        timeout_s=float(spec.get("timeout", 60)),
        ask=ask,
        confirm_server=confirm_server,
        script=spec.get("script"),
        ready_js=spec.get("ready_js"),
        notify=notify if spec.get("record_notifications") else None,
    )
    if spec.get("ready_selector"):
        options.ready_selector = spec["ready_selector"]
    result = run(options)
    print(
        json.dumps(
            {
                "loaded": result.loaded,
                "ready": result.ready,
                "screenshot": str(result.screenshot) if result.screenshot else None,
                "error": result.error,
                "url": result.url,
                "probe": result.probe,
                "asked": asked,
                "servers_asked": servers_asked,
                "notified": notified,
                "flags": os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", ""),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
