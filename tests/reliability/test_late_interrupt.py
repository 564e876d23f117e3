"""A second Ctrl-C that races the end of the first one's cleanup (the run has restored the default handler,
or the interpreter is exiting) exits with 130 — or, in the interpreter's last teardown, where it is ignored, with
the run's own code — never by SIGINT itself (seen in CI as -2)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

LATE_IN_MAIN = """
    import os, signal, time
    from chainsaw_py import cli

    def interrupted_after_the_run():
        os.kill(os.getpid(), signal.SIGINT)   # the default handler is back: a KeyboardInterrupt here
        time.sleep(5)
        return 1

    cli.main = interrupted_after_the_run
    cli.run()
"""

LATE_AT_EXIT = """
    import atexit, os, signal, time
    from chainsaw_py import api, cli   # a run imported the API

    def interrupted_while_exiting():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)

    def a_run_whose_cleanup_runs_at_exit():
        atexit.register(interrupted_while_exiting)
        return 1

    cli.main = a_run_whose_cleanup_runs_at_exit
    cli.run()
"""

LATE_IN_TEARDOWN = """
    import atexit, os, signal, time
    from chainsaw_py import cli

    def interrupted_in_the_last_teardown():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.5)

    atexit.register(interrupted_in_the_last_teardown)   # registered before run(): runs after its last handler
    cli.main = lambda: 1
    cli.run()
"""


LATE_AT_EXIT_WITHOUT_A_RUN = LATE_AT_EXIT.replace("from chainsaw_py import api, cli", "from chainsaw_py import cli")


@pytest.mark.parametrize(("program", "code"), [(LATE_IN_MAIN, 130), (LATE_AT_EXIT, 130),
                                               (LATE_AT_EXIT_WITHOUT_A_RUN, 130), (LATE_IN_TEARDOWN, 1)],
                         ids=["after-the-run", "while-exiting", "while-exiting-without-a-run", "in-the-last-teardown"])
def test_a_late_ctrl_c_exits_with_130_or_the_runs_code(program: str, code: int) -> None:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(program)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
