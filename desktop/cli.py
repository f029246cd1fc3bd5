"""``parley desktop``'s arguments and entry point (wired into ``emulator/cli.py``)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "main"]


def add_parser(sub: Any) -> None:
    desk = sub.add_parser("desktop", help="open the Parley desktop client")
    desk.add_argument(
        "--server",
        help="the server's HTTP origin (default: the last one used, else the local stack "
        "at http://127.0.0.1:3000)",
    )
    desk.add_argument("--gateway", help="the gateway URL (default: ask the server)")
    desk.add_argument(
        "--local-ui",
        nargs="?",
        type=Path,
        const=Path(__file__).resolve().parent / "ui" / "dist",
        help="serve a local UI build (default desktop/ui/dist) instead of the server's",
    )
    desk.add_argument("--state-file", type=Path, help="where geometry and session are kept")
    desk.add_argument("--screenshot", type=Path, help="save a PNG once the page is ready")
    desk.add_argument(
        "--exit-after-load", action="store_true", help="quit once the page is ready (tests)"
    )
    desk.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the page")


def main(args: argparse.Namespace) -> int:
    """Run the shell; the exit status says whether the page became ready (harness mode)."""
    from desktop.shell import ShellOptions, run

    logging.getLogger("parley.desktop").setLevel(logging.INFO)
    options = ShellOptions(
        server=args.server,
        gateway=args.gateway,
        local_ui=args.local_ui,
        screenshot=args.screenshot,
        exit_after_load=args.exit_after_load,
        timeout_s=args.timeout,
    )
    if args.state_file is not None:
        options.state_path = args.state_file
    result = run(options)
    if result.error:
        print(f"parley desktop: {result.error}", file=sys.stderr)
        return 1
    if result.screenshot:
        print(f"parley desktop: screenshot saved to {result.screenshot}")
    return 0
