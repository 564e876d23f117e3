"""The ``chainsaw-py`` command line: a thin layer that parses flags and calls the public API.

Each sub-command lives in ``chainsaw_py.commands.<name>`` and exposes ``register(subparsers)``,
which adds its parser and sets ``handler`` to a function ``(args) -> int``. Command modules import
their heavy dependencies inside the handler, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from chainsaw_py.errors import ChainsawError

COMMANDS: tuple[str, ...] = (
    "assert_",
    "build",
    "cluster",
    "create",
    "export",
    "lint",
    "migrate",
    "renovate",
    "test",
    "version",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainsaw-py",
        description="Declarative end-to-end tests for Kubernetes (Kyverno Chainsaw compatible).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"chainsaw_py.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return int(handler(args) or 0)
    except ChainsawError as err:
        print(f"Error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


def run() -> None:
    sys.exit(main())
