"""The environment of the programs chainsaw_py starts (scripts, processes of the system under test, pods that
run as local processes): the runner's own interpreter comes first on PATH, so ``python``/``python3`` there is
the one chainsaw_py runs on, with the same installed packages."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def with_interpreter_first(env: dict[str, str]) -> dict[str, str]:
    interpreter_dir = str(Path(sys.executable).parent)
    path = env.get("PATH", "")
    if interpreter_dir not in path.split(os.pathsep)[:1]:
        env["PATH"] = os.pathsep.join([interpreter_dir, path]) if path else interpreter_dir
    return env
