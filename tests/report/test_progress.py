"""The live status line (``report.progress``): counts, and on a real pseudo-terminal the line is drawn below
the normal lines and cleared before each of them; never without a terminal, with ``NO_COLOR``, ``--no-color``
or ``--quiet``."""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
import threading
import time
import tty
from pathlib import Path

import pytest

from chainsaw_py.report.console import ERASE_LINE, Console
from chainsaw_py.report.progress import RunProgress, format_elapsed, live_status, status_wanted
from tests.shared import REPO

STATUS = re.compile(r"chainsaw: \d+/\d+ done, \d+ running, \d+ failed, [0-9hms]+ elapsed")
SUITE = """apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: {name}
spec:
  steps:
  - try:
    - script:
        content: echo {name}
"""


def test_counts_and_text() -> None:
    ticks = iter([0.0, 75.0])
    progress = RunProgress(clock=lambda: next(ticks))
    assert progress.status_text() == ""  # nothing to show before the total is known
    progress.expect(3)
    progress.started()
    progress.started()
    progress.finished(failed=True)
    assert progress.status_text() == "chainsaw: 1/3 done, 1 running, 1 failed, 1m15s elapsed"


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0s"), (42, "42s"), (187, "3m07s"), (3723, "1h02m03s")])
def test_elapsed_format(seconds: float, text: str) -> None:
    assert format_elapsed(seconds) == text


def test_status_is_cleared_before_each_line_and_drawn_after() -> None:
    buffer = io.StringIO()
    console = Console(buffer)
    progress = RunProgress()
    progress.expect(2)
    console.show_status(progress.status_text, 0.0)  # no timer: draws follow the lines only
    console.write("first")
    progress.started()
    console.write("second")
    console.hide_status()
    assert buffer.getvalue() == (f"first\n{ERASE_LINE}chainsaw: 0/2 done, 0 running, 0 failed, 0s elapsed"
                                 f"{ERASE_LINE}second\n{ERASE_LINE}chainsaw: 0/2 done, 1 running, 0 failed, 0s elapsed"
                                 f"{ERASE_LINE}")


def test_redraws_are_rate_limited() -> None:
    buffer = io.StringIO()
    console = Console(buffer)
    progress = RunProgress()
    with live_status(console, progress, interval=3600.0):
        for index in range(50):
            progress.expect(1)
            console.write(f"line {index}")
    assert buffer.getvalue().count("chainsaw: ") == 1  # drawn after the first line; the next an hour later
    assert not [thread for thread in threading.enumerate() if thread.name == "chainsaw-status"]  # timer stopped


def test_not_wanted_without_a_terminal_or_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert not status_wanted(io.StringIO(), quiet=False, no_color=False)
    master, slave = os.openpty()
    try:
        with os.fdopen(slave, "w", closefd=False) as terminal:
            assert status_wanted(terminal, quiet=False, no_color=False)
            assert not status_wanted(terminal, quiet=True, no_color=False)
            assert not status_wanted(terminal, quiet=False, no_color=True)
            monkeypatch.setenv("NO_COLOR", "1")
            assert not status_wanted(terminal, quiet=False, no_color=False)
            monkeypatch.setenv("NO_COLOR", "")
            assert status_wanted(terminal, quiet=False, no_color=False)
    finally:
        os.close(master)
        os.close(slave)


def _suite(tmp_path: Path) -> Path:
    for name in ("alpha", "beta"):
        folder = tmp_path / "suite" / name
        folder.mkdir(parents=True)
        (folder / "chainsaw-test.yaml").write_text(SUITE.format(name=name))
    return tmp_path / "suite"


def _environment(no_color: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = str(REPO)
    if no_color is not None:
        env["NO_COLOR"] = no_color
    return env


def _run_on_terminal(suite: Path, flags: list[str], env: dict[str, str]) -> str:
    """Run ``chainsaw-py test`` with stdout on a pseudo-terminal (raw: no newline translation); its output."""
    master, slave = os.openpty()
    tty.setraw(slave)
    process = subprocess.Popen([sys.executable, "-m", "chainsaw_py", "test", "--no-cluster", str(suite), *flags],
                               stdout=slave, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env,
                               cwd=suite.parent)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side is closed
                break
            if not data:
                break
            chunks.append(data)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    return b"".join(chunks).decode()


def test_a_terminal_shows_the_status_line_below_the_normal_lines(tmp_path: Path) -> None:
    output = _run_on_terminal(_suite(tmp_path), [], _environment(None))
    pieces = output.split(ERASE_LINE)
    statuses = [piece for piece in pieces[1:] if STATUS.fullmatch(piece)]
    assert statuses, output
    assert statuses[0] == "chainsaw: 0/2 done, 0 running, 0 failed, 0s elapsed"
    normal = [piece for piece in pieces if not STATUS.fullmatch(piece)]
    for piece in normal:  # normal output is whole lines, never mixed with the status line
        assert "chainsaw: " not in piece and (piece == "" or piece.endswith("\n")), repr(piece)
    assert not STATUS.fullmatch(pieces[-1])  # cleared at the end
    text = "".join(normal)
    assert "--- PASS: chainsaw/alpha" in text and "Tests Summary..." in text and "- Passed  tests 2" in text


@pytest.mark.parametrize(("flags", "no_color"), [(["--no-color"], None), (["--quiet"], None), ([], "1")])
def test_no_status_line_when_turned_off(tmp_path: Path, flags: list[str], no_color: str | None) -> None:
    output = _run_on_terminal(_suite(tmp_path), flags, _environment(no_color))
    assert "Tests Summary..." in output
    assert "\r" not in output and "chainsaw: " not in output


def test_no_status_line_without_a_terminal(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "chainsaw_py", "test", "--no-cluster", str(_suite(tmp_path))],
                            capture_output=True, text=True, env=_environment(None), cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Tests Summary..." in result.stdout
    assert "\r" not in result.stdout and "chainsaw: " not in result.stdout
