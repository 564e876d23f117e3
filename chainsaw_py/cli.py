"""The ``chainsaw-py`` command line: Chainsaw's commands and flags, parsed and reported as Chainsaw (cobra and
pflag) does, each calling the public API.

Each sub-command lives in ``chainsaw_py.commands.<name>`` and exposes ``command()``, which returns its
``Command`` (flags, argument rule, handler ``(args) -> int``). Command modules import their heavy
dependencies inside the handler, so ``--help`` and shell completion stay fast.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
from collections.abc import Sequence

from chainsaw_py.util import generated_code

generated_code.install()   # before the first module with dataclasses is imported

from chainsaw_py.commands import (  # noqa: E402 - after the install above
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
from chainsaw_py.commands.tree import Command, execute, help_command, show_help  # noqa: E402
from chainsaw_py.errors import ChainsawError  # noqa: E402
from chainsaw_py.util.terminal import sanitize  # noqa: E402

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
    # registered first, so run last: during the interpreter's teardown after it, Python has given SIGINT back
    # its default action, and a Ctrl-C there would end the process by SIGINT instead of with its exit code
    atexit.register(signal.signal, signal.SIGINT, signal.SIG_IGN)
    try:
        code = main()
    except KeyboardInterrupt:   # a second Ctrl-C racing the end of the first one's cleanup (handlers restored)
        code = 130
    signal.signal(signal.SIGINT, _interrupted_while_exiting)
    sys.exit(code)


def _interrupted_while_exiting(_signum: int, _frame: object) -> None:
    """A Ctrl-C while the interpreter exits stops at once with 130, as a second Ctrl-C during the run does
    (instead of a KeyboardInterrupt in the exit's own cleanup, which ends the process by SIGINT)."""
    api = sys.modules.get("chainsaw_py.api")   # not imported: no run, nothing to abandon (no imports at exit)
    if api is not None:
        with contextlib.suppress(Exception):   # e.g. no new thread for its watchdog this late in the exit
            api.abandon_and_exit(130)
    os._exit(130)
