"""``chainsaw-py migrate kuttl tests|config``: convert kuttl tests and test suites to Chainsaw."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chainsaw_py.authoring.flags import add_go_bool_flag


def register(subparsers: Any) -> None:
    migrate = subparsers.add_parser("migrate", help="Migrate resources to Chainsaw", allow_abbrev=False,
                                    description="Migrate resources to Chainsaw.")
    migrate.set_defaults(handler=lambda _args: _usage(migrate))
    kuttl = migrate.add_subparsers(dest="migrate_command", metavar="COMMAND").add_parser(
        "kuttl", help="Migrate KUTTL resources to Chainsaw", allow_abbrev=False,
        description="Migrate KUTTL resources to Chainsaw.")
    kuttl.set_defaults(handler=lambda _args: _usage(kuttl))
    commands = kuttl.add_subparsers(dest="kuttl_command", metavar="COMMAND")
    tests = commands.add_parser(
        "tests", help="Migrate KUTTL tests to Chainsaw", allow_abbrev=False,
        description="Convert the kuttl test folders under PATH (numbered step files, no chainsaw-test.yaml) "
                    "to chainsaw-test.yaml: printed, or saved beside the steps with --save.")
    tests.add_argument("paths", nargs="+", metavar="PATH", help="folders to search for kuttl tests")
    _save_and_cleanup(tests)
    tests.set_defaults(handler=run_tests)
    config = commands.add_parser(
        "config", help="Migrate KUTTL config to Chainsaw", allow_abbrev=False,
        description="Convert a kuttl TestSuite file to a Chainsaw configuration: printed, or saved as "
                    ".chainsaw.yaml beside it with --save.")
    config.add_argument("file", metavar="FILE", help="the kuttl TestSuite file (kuttl-test.yaml)")
    _save_and_cleanup(config)
    config.set_defaults(handler=run_config)


def _save_and_cleanup(parser: argparse.ArgumentParser) -> None:
    add_go_bool_flag(parser, "save", "If set, converted files will be saved")
    add_go_bool_flag(parser, "cleanup", "If set, delete converted files")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def run_tests(args: argparse.Namespace) -> int:
    from chainsaw_py.authoring.migrate import migrate_tests

    migrate_tests(args.paths, args.save, args.cleanup, sys.stdout, sys.stderr)
    return 0


def run_config(args: argparse.Namespace) -> int:
    from chainsaw_py.authoring.migrate import migrate_config

    migrate_config(args.file, args.save, args.cleanup, sys.stdout, sys.stderr)
    return 0
