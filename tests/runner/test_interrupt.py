"""Ctrl-C during a run: operations stop, cleanup still runs, the report is written, the exit code is
non-zero; a second Ctrl-C exits at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SUITE = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: interrupted
spec:
  steps:
  - try:
    - script:
        content: touch started; sleep 60
        timeout: 2m
    finally:
    - script:
        content: touch finally-ran
    cleanup:
    - script:
        content: sleep 0.3; touch cleanup-ran
"""


def start(tmp_path: Path) -> subprocess.Popen[str]:
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "chainsaw-test.yaml").write_text(textwrap.dedent(SUITE))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "chainsaw_py", "test", str(tmp_path / "suite"), "--no-cluster", "--no-color",
         "--report-format", "JSON", "--report-path", str(tmp_path)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_sigint_stops_cleans_up_and_reports(tmp_path: Path) -> None:
    process = start(tmp_path)
    wait_for(tmp_path / "suite" / "started")
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode != 0
    assert (tmp_path / "suite" / "cleanup-ran").exists(), stdout
    assert not (tmp_path / "suite" / "finally-ran").exists()
    report = json.loads((tmp_path / "chainsaw-report.json").read_text())
    assert report["tests"][0]["status"] == "failed"
    assert report["interrupted"] is True
    assert "Traceback" not in stderr and "Traceback" not in stdout
    assert "Error: interrupted" in stderr


def test_second_sigint_exits_at_once(tmp_path: Path) -> None:
    process = start(tmp_path)
    wait_for(tmp_path / "suite" / "started")
    process.send_signal(signal.SIGINT)
    time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=10)
    assert process.returncode == 130
