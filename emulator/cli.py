"""The ``parley`` command: ``parley dev`` runs the whole stack locally;
``parley replay-stream-failures`` replays what a stream consumer's failure queue holds;
``parley rotate-keys`` adds a signing key that signs two hours after it is published."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import uvloop
from pydantic import ValidationError

from emulator import keys_cli
from emulator.artifacts import BuildError
from emulator.config import DevSettings
from emulator.replay import add_parser as replay_parser
from emulator.replay import main_from_args as replay_main
from emulator.stack import PortInUse, Stack
from emulator.store import StoreError
from emulator.template import TemplateError
from media_nodes.server import add_parser as media_node_parser
from media_nodes.server import main_from_args as media_node_main

__all__ = ["main"]


def _dev_parser(sub: Any) -> None:
    dev = sub.add_parser("dev", help="run the local stack (gateway, functions, store)")
    dev.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    dev.add_argument("--http-port", type=int, help="HTTP API and UI port (default 3000)")
    dev.add_argument("--ws-port", type=int, help="WebSocket API port (default 3001)")
    dev.add_argument(
        "--connections-port",
        type=int,
        help="@connections over TLS, the events' domainName (default: the WebSocket port + 1)",
    )
    dev.add_argument("--store-port", type=int, help="embedded store port (default 4566)")
    dev.add_argument(
        "--store-host", help="embedded store address, loopback only (default 127.0.0.1)"
    )
    dev.add_argument("--template", type=Path, help="SAM template (default ./template.yaml)")
    dev.add_argument(
        "--stack-name",
        help="local stack name (default parley-local); with AWS_ENDPOINT_URL, a CloudFormation "
        "stack of this name there provides the tables and buckets",
    )
    dev.add_argument("--idle-timeout", type=float, dest="idle_timeout_s", help="seconds")
    dev.add_argument("--max-connection", type=float, dest="max_connection_s", help="seconds")
    dev.add_argument(
        "--schedule-interval",
        type=float,
        dest="schedule_interval_s",
        help="run scheduled functions every this many seconds (default: their own rate)",
    )
    dev.add_argument(
        "--media-port", type=int, help="the local media node's port (default 7000; 0 = any)"
    )
    dev.add_argument(
        "--no-media-node",
        action="store_false",
        dest="media_node",
        default=None,
        help="run without a media node (no voice)",
    )
    dev.add_argument("--no-reload", action="store_false", dest="reload", default=None)
    dev.add_argument("--no-warm", action="store_false", dest="warm", default=None)
    dev.add_argument("--ready-file", type=Path, help="write the served URLs here as JSON once up")
    dev.add_argument("--quiet-functions", action="store_true", help="hide the functions' logs")
    dev.add_argument(
        "--parameter-overrides",
        nargs="+",
        type=_key_value,
        metavar="KEY=VALUE",
        help="template parameters, as sam deploy takes them (e.g. OidcProviders='{...}')",
    )


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


async def _run_dev(settings: DevSettings, quiet_functions: bool) -> int:
    if quiet_functions:
        logging.getLogger("parley.fn").setLevel(logging.WARNING)

    def progress(text: str) -> None:
        print(f"parley dev: {text}", flush=True)

    stack = Stack(settings, progress=progress)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        info = await stack.start()
    except (TemplateError, PortInUse, StoreError, BuildError, ValueError) as exc:
        await stack.stop()
        print(f"parley dev: {exc}", file=sys.stderr, flush=True)
        return 2
    except BaseException:
        await stack.stop()
        raise
    store = "embedded moto server" if info.embedded_store else "AWS_ENDPOINT_URL"
    print(
        "\n".join(
            [
                "parley dev: ready",
                f"  UI + HTTP API   {info.http_url}/   (API under {info.http_url}/api/v1)",
                f"  WebSocket API   {info.ws_url}   (stage /{info.stage})",
                f"  @connections    {info.connections_url}/{{id}}",
                f"  AWS store       {info.store_url}   ({store})",
                *(
                    [f"  store key pair  {info.store_credentials}   (the store answers no other)"]
                    if info.store_credentials
                    else []
                ),
                f"  media node      {info.media_node.get('endpoint', '(none: --no-media-node)')}",
                "  Ctrl-C stops everything.",
            ]
        ),
        flush=True,
    )
    await stop.wait()
    print("parley dev: stopping …", flush=True)
    await stack.stop()  # first: the workers' last metric lines are read as they stop
    summary = stack.summary()
    print(f"parley dev: stopped ({summary})", flush=True)
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="parley", description="Parley's command line")
    sub = parser.add_subparsers(dest="command", required=True)
    _dev_parser(sub)
    # `parley desktop` (desktop/cli.py) and `parley media-node` (media_nodes/), imported lazily.
    from desktop.cli import add_parser as _desktop_parser

    _desktop_parser(sub)
    media_node_parser(sub)
    replay_parser(sub)
    keys_cli.add_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "rotate-keys":
        raise SystemExit(keys_cli.main_from_args(args))
    if args.command == "desktop":
        from desktop.cli import main as desktop_main

        raise SystemExit(desktop_main(args))
    if args.command == "media-node":
        media_node_main(args)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    if args.command == "replay-stream-failures":
        raise SystemExit(replay_main(args))
    if args.command == "dev":
        overrides = {
            k: v
            for k, v in vars(args).items()
            if v is not None and k not in ("command", "quiet_functions")
        }
        if "parameter_overrides" in overrides:
            overrides["parameter_overrides"] = dict(overrides["parameter_overrides"])
        try:
            settings = DevSettings(**overrides)
        except ValidationError as exc:
            first = exc.errors()[0]
            print(f"parley dev: {first['loc'][0]}: {first['msg']}", file=sys.stderr)
            raise SystemExit(2) from exc
        raise SystemExit(uvloop.run(_run_dev(settings, args.quiet_functions)))


if __name__ == "__main__":
    main()
