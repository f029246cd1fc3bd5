"""``parley media-node``: run one media node until SIGTERM (drain) or SIGINT.

One node process per core: the GIL keeps a process to one core (FINDINGS.md), so a machine runs
as many nodes as it has cores, each with its own id and port.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from media_nodes.config import MediaNodeSettings, UnknownSettings, check_environment

__all__ = ["add_parser", "main_from_args", "run"]


def add_parser(sub: Any) -> None:
    """The ``media-node`` subcommand of ``parley`` (flags beat PARLEY_MEDIA_* variables)."""
    node = sub.add_parser("media-node", help="run a media node (the voice SFU)")
    node.add_argument("--node-id", help="this node's id (the audience of its voice tokens)")
    node.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    node.add_argument("--port", type=int, help="signalling/metrics port (default 7000; 0 = any)")
    node.add_argument("--public-endpoint", help="signalling URL given to clients")
    node.add_argument("--region", help="region announced in the registry")
    node.add_argument(
        "--ice-address",
        action="append",
        dest="ice_host_addresses",
        help="ICE host candidate address (repeatable; default 127.0.0.1)",
    )
    node.add_argument("--public-ip", help="address announced in ICE candidates, or ec2-metadata")
    node.add_argument("--rtp-ports", help="local UDP ports for media, e.g. 40000-40999")
    node.add_argument("--capacity", type=int, help="participants accepted in all")
    node.add_argument("--jwks-file", type=Path, dest="voice_jwks_file", help="voice token JWKS")
    node.add_argument("--no-registry", action="store_false", dest="registry", default=None)
    node.add_argument("--ready-file", type=Path, help="write the served URLs here once up")
    node.add_argument("--drain-grace", type=float, dest="drain_grace_s", help="seconds")


def settings_from_args(args: argparse.Namespace) -> MediaNodeSettings:
    keys = (
        "node_id",
        "host",
        "port",
        "public_endpoint",
        "region",
        "ice_host_addresses",
        "public_ip",
        "rtp_ports",
        "capacity",
        "voice_jwks_file",
        "registry",
        "ready_file",
        "drain_grace_s",
    )
    overrides = {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    return MediaNodeSettings(**overrides)


async def run(settings: MediaNodeSettings) -> int:
    """Serve until SIGINT (stop at once) or SIGTERM (drain first)."""
    # Imported here, not at the top: `parley dev` builds this subcommand's parser too, and
    # should not pay for importing aiortc and PyAV when it never runs a node.
    from media_nodes.node import MediaNode, TokenVerifier
    from media_nodes.public_address import MetadataUnavailable, resolve_public_ip
    from media_nodes.registry import StoreRegistry
    from media_nodes.voice_keys import FollowedVerifier
    from shared.voice.voice_tokens import VoiceTokenVerifier

    try:
        settings = await resolve_public_ip(settings)
    except MetadataUnavailable as exc:
        print(f"parley media-node: public_ip: {exc}", file=sys.stderr)
        return 2
    verifier: TokenVerifier
    if settings.voice_jwks_file is not None and not settings.voice_jwks:
        verifier = FollowedVerifier(settings.voice_jwks_file, settings.node_id)
    else:
        verifier = VoiceTokenVerifier(settings.jwks_text(), node_id=settings.node_id)
    node = MediaNode(
        settings, verifier=verifier, registry=StoreRegistry() if settings.registry else None
    )
    if settings.registry and settings.report_speaking:
        from media_nodes.speaking import speaking_reporter

        node.speaking_hooks.append(speaking_reporter(settings.node_id))
    await node.start()
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    drain_task: list[asyncio.Task[None]] = []

    def on_term() -> None:
        if not drain_task:
            drain_task.append(asyncio.create_task(node.drain()))
            drain_task[0].add_done_callback(lambda _: done.set())

    loop.add_signal_handler(signal.SIGTERM, on_term)
    loop.add_signal_handler(signal.SIGINT, done.set)
    print(
        f"parley media-node: {settings.node_id} ready at {node.endpoint} (ICE on "
        f"{', '.join(settings.ice_host_addresses) or 'every interface'}, announced as "
        f"{settings.public_ip or 'bound'}, UDP ports {settings.rtp_ports or 'any'})",
        flush=True,
    )
    await done.wait()
    if not drain_task:
        await node.stop()
    print(f"parley media-node: {settings.node_id} stopped", flush=True)
    return 0


def main_from_args(args: argparse.Namespace) -> None:
    """Entry point for ``parley media-node``."""
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    try:
        check_environment(os.environ)
        settings = settings_from_args(args)
        settings.jwks_text()
    except UnknownSettings as exc:
        print(f"parley media-node: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            print(f"parley media-node: {where}: {error['msg']}", file=sys.stderr)
        raise SystemExit(2) from exc
    except (ValueError, OSError) as exc:
        print(f"parley media-node: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    raise SystemExit(asyncio.run(run(settings)))
