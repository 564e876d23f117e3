"""``chainsaw-py version``: prints the version, commit time and commit like Chainsaw (``---`` when unknown)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("version", help="Print the version informations", allow_abbrev=False,
                                   description="Print the version, the commit time and the git commit ID.")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from chainsaw_py.authoring.version import version_info

    for line in version_info().lines():
        print(line)
    return 0
