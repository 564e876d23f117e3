"""The environment of a measured ``chainsaw_py`` child process.

An installed chainsaw_py runs from compiled bytecode (pip writes the ``.pyc`` files). The development machine
sets ``PYTHONDONTWRITEBYTECODE``, which makes every process compile chainsaw_py's ~250 modules from source
again (0.15-0.3 s of CPU per process): benchmarks give their children a bytecode cache of their own
(``PYTHONPYCACHEPREFIX`` in a scratch folder, so the checkout stays clean) unless asked not to, and warm it
with a first run that is not measured.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def child_environment(scratch: Path, bytecode_cache: bool = True, repo: Path = REPO) -> dict[str, str]:
    """The environment running ``repo``'s chainsaw_py (default: this checkout's)."""
    env = {**os.environ, "PYTHONPATH": str(repo)}
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    return env
