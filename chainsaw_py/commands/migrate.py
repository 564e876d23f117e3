"""``chainsaw-py migrate kuttl tests|config``: convert kuttl tests and test suites to Chainsaw."""

from __future__ import annotations

import sys

from chainsaw_py.commands.tree import Arguments, Command, exact_args, minimum_args, no_args, show_help


def command() -> Command:
    tests = Command("tests", "Migrate KUTTL tests to Chainsaw", run=run_tests, args=minimum_args(1))
    config = Command("config", "Migrate KUTTL config to Chainsaw", run=run_config, args=exact_args(1))
    for converter in (tests, config):
        converter.flag("save", "bool", "If set, converted files will be saved", value=False)
        converter.flag("cleanup", "bool", "If set, delete converted files", value=False)
    kuttl = Command("kuttl", "Migrate KUTTL resources to Chainsaw", run=show_help, args=no_args).add(tests, config)
    return Command("migrate", "Migrate resources to Chainsaw", run=show_help, args=no_args).add(kuttl)


def run_tests(args: Arguments) -> int:
    from chainsaw_py.authoring.migrate import migrate_tests

    migrate_tests(args.args, args.save, args.cleanup, sys.stdout, sys.stderr)
    return 0


def run_config(args: Arguments) -> int:
    from chainsaw_py.authoring.migrate import migrate_config

    migrate_config(args.args[0], args.save, args.cleanup, sys.stdout, sys.stderr)
    return 0
