"""Helpers of the runner's reliability tests: suites on disk, a CLI run in a child process, and an embedded
cluster served from the test process so that what a killed run left behind can be inspected."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def write_suite(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chainsaw-test.yaml").write_text(textwrap.dedent(body))
    return folder


def start_cli(arguments: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """``python -m chainsaw_py ARGS`` with this checkout first on the path."""
    return subprocess.Popen([sys.executable, "-m", "chainsaw_py", *arguments], cwd=cwd,
                            env={**os.environ, "PYTHONPATH": str(REPO), **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_for_file(path: Path, process: subprocess.Popen[str], seconds: float = 60) -> None:
    """Wait for ``path`` while ``process`` runs (its output is shown if it ends first)."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None:
            stdout, stderr = process.communicate()
            raise AssertionError(f"{path.name} never appeared; the run ended:\n{stdout}\n{stderr}")
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)
