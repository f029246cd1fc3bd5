"""``python -m media_nodes``: the media node alone, as its image runs it (no emulator needed)."""

from __future__ import annotations

import argparse
import sys

from media_nodes.server import add_parser, main_from_args


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m media_nodes")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    main_from_args(parser.parse_args(["media-node", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
