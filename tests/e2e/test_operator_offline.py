"""e2e/operator-offline: a kopf operator and the pods it creates really run on the embedded cluster; the README's
first command and the pytest plugin both pass it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "e2e" / "operator-offline"

pytestmark = [
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="the suite's scripts call kubectl"),
    pytest.mark.skipif(subprocess.run([sys.executable, "-c", "import kopf"], capture_output=True,
                                      check=False).returncode != 0, reason="kopf (test extra) is not installed"),
]


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "KUBECONFIG"}
    env.update({"HOME": str(tmp_path), "PYTHONPATH": str(REPO)})
    return env


def _readme_command() -> list[str]:
    readme = (SUITE / "README.md").read_text()
    block = re.search(r"```\n(.*?)\n```", readme, re.S)
    assert block is not None
    words = shlex.split(block.group(1))
    assert words[:2] == ["python", "-m"]
    return [sys.executable, *words[1:]]


def test_readme_command_passes(tmp_path: Path) -> None:
    result = subprocess.run(_readme_command(), cwd=REPO, env=_environment(tmp_path), capture_output=True,
                            text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "--- PASS: chainsaw/greeter" in result.stdout
    assert "Hello offline from hello-" in result.stdout          # the proxy's answer
    assert "reconciled: message 'Hello offline'" in result.stdout  # the operator's log


def test_pytest_plugin_passes(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pytest", "--chainsaw", "--chainsaw-config=e2e/operator-offline/.chainsaw.yaml",
               "e2e/operator-offline", "-p", "no:cacheprovider", "-q",
               "-n", "0", "--rootdir", str(REPO)]
    result = subprocess.run(command, cwd=REPO, env=_environment(tmp_path), capture_output=True, text=True,
                            timeout=240, check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
