"""``chainsaw-py build docs``: write a README per test folder and an optional catalog."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    build = subparsers.add_parser("build", help="Build commands", allow_abbrev=False,
                                  description="Build commands.")
    build.set_defaults(handler=lambda _args: _usage(build))
    docs = build.add_subparsers(dest="build_command", metavar="COMMAND").add_parser(
        "docs", help="Build tests documentation", allow_abbrev=False,
        description="Write a README (bindings and steps tables) into every test folder under the test "
                    "directories, and optionally a catalog linking them. Without --test-dir nothing is "
                    "written, as upstream.")
    docs.add_argument("--test-dir", action="append", default=[], metavar="DIR",
                      help="Directories containing test cases to run (repeatable)")
    docs.add_argument("--test-file", default="chainsaw-test", help='Name of the test file (default "chainsaw-test")')
    docs.add_argument("--readme-file", default="README.md",
                      help='Name of the built docs file (default "README.md")')
    docs.add_argument("--catalog", default="", help="Path to the built test catalog file")
    docs.set_defaults(handler=run_docs)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def run_docs(args: argparse.Namespace) -> int:
    from chainsaw_py.authoring.docs import build_docs

    build_docs(args.test_dir, args.test_file, args.readme_file, args.catalog)
    return 0
