"""The ``chainsaw-py`` command line: Chainsaw's commands and flags, parsed and reported as Chainsaw (cobra and
pflag) does, each calling the public API.

Each sub-command lives in ``chainsaw_py.commands.<name>`` and exposes ``command()``, which returns its
``Command`` (flags, argument rule, handler ``(args) -> int``). Command modules import their heavy
dependencies inside the handler, so ``--help`` and shell completion stay fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from chainsaw_py.commands import (
    assert_,
    build,
    cluster,
    completion,
    create,
    docs,
    export,
    lint,
    migrate,
    renovate,
    report,
    test,
    version,
)
from chainsaw_py.commands.tree import Command, execute, help_command, show_help
from chainsaw_py.errors import ChainsawError
from chainsaw_py.util.terminal import sanitize

PROGRAM = "chainsaw-py"


def build_root(name: str = PROGRAM) -> Command:
    root = Command(name, "Stronger tool for e2e testing", run=show_help)
    root.add(assert_.command(), build.command(), cluster.command(), completion.command(name), create.command(),
             docs.command(), export.command(), help_command(name), lint.command(), migrate.command(),
             renovate.command(), report.command(), test.command(), version.command(), *completion.hidden_commands())
    return root


def main(argv: Sequence[str] | None = None) -> int:
    root = build_root()
    try:
        return execute(root, sys.argv[1:] if argv is None else list(argv))
    except ChainsawError as err:
        print(f"Error: {sanitize(str(err))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


def run() -> None:
    sys.exit(main())
