"""Long-running child processes that die with the thread that started them, even when this process is killed
with SIGKILL (no cleanup code runs then): on Linux the child asks the kernel for SIGKILL when its parent goes
(``prctl(PR_SET_PDEATHSIG)``) before it executes the real program. A short-lived ``python -S -c`` does it, so
no code runs between fork and exec in this (threaded) process."""

from __future__ import annotations

import os
import shutil
import sys

_LAUNCHER = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(137)\n"
    "os.execve(sys.argv[2], sys.argv[3:], os.environ)\n"
)


def resolve_program(argv: list[str], env: dict[str, str], cwd: str | os.PathLike[str]) -> str:
    """The executable ``argv[0]`` names, searched on ``env``'s PATH (relative paths from ``cwd``); raises
    ``FileNotFoundError`` (an ``OSError``) as ``Popen`` would."""
    program = argv[0] if argv else ""
    if os.sep in program:
        candidate = program if os.path.isabs(program) else os.path.join(os.fspath(cwd), program)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
        raise FileNotFoundError(2, "No such file or directory", program)
    found = shutil.which(program, path=env.get("PATH", os.defpath)) if program else None
    if found is None:
        raise FileNotFoundError(2, "No such file or directory", program)
    return found


def bound_to_parent(argv: list[str], env: dict[str, str], cwd: str | os.PathLike[str]) -> list[str]:
    """``argv`` wrapped so that the program is killed when its parent goes (Linux); unchanged elsewhere.
    Raises ``FileNotFoundError`` when the program does not exist."""
    program = resolve_program(argv, env, cwd)
    if not sys.platform.startswith("linux"):
        return [program, *argv[1:]]
    return [sys.executable, "-S", "-c", _LAUNCHER, str(os.getpid()), program, *argv]
