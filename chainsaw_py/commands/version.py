"""``chainsaw-py version``: prints the version, build time and commit like Chainsaw."""

from __future__ import annotations

import argparse
from typing import Any

from chainsaw_py import __version__


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("version", help="Print the version informations")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print(f"Version: {__version__}")
    print("Time: ---")
    print("Git commit ID: ---")
    return 0
