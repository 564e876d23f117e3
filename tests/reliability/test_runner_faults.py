"""The runner under faults (issue 10): what a script starts does not outlive the run, large script output
costs disk instead of memory, in-process runs leave no certificate files, and an invalid object is not
re-sent while the server keeps giving the same answer."""

from __future__ import annotations

import re
import sys
import tempfile
import tracemalloc
from pathlib import Path

import pytest

from chainsaw_py.api import TestOptions, run_to_string
from chainsaw_py.operations.internal import capture
from chainsaw_py.util.processes import is_subreaper

from .runner_support import running, write_suite

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="subreaper and /proc are Linux's")


def run_suite(tmp_path: Path, body: str, **options: object) -> tuple[object, str]:
    write_suite(tmp_path / "suite", body)
    return run_to_string(TestOptions(test_dirs=[str(tmp_path / "suite")], no_color=True,
                                     **options))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ orphans

ESCAPING = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: escaping
spec:
  steps:
  - try:
    - script:
        content: |
          nohup setsid sleep 301 >/dev/null 2>&1 &
          echo $! > detached.pid
    - script:
        content: |
          setsid sleep 302 &
          echo $! > holding.pid
        timeout: 1s
"""


@linux_only
def test_nothing_a_script_starts_outlives_the_run(tmp_path: Path) -> None:
    _, output = run_suite(tmp_path, ESCAPING, no_cluster=True)
    detached = int((tmp_path / "suite" / "detached.pid").read_text())
    holding = int((tmp_path / "suite" / "holding.pid").read_text())
    assert not running(detached), output
    assert not running(holding), output
    assert "context deadline exceeded" in output  # its output was held open past the timeout
    assert not is_subreaper()  # the attribute is the run's only: an embedding host gets its process back


@linux_only
def test_a_background_process_lives_until_the_run_ends(tmp_path: Path) -> None:
    """A server started by one step may serve the next ones (as with Chainsaw)."""
    outcome, output = run_suite(tmp_path, """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: server
        spec:
          steps:
          - try:
            - script:
                content: nohup sleep 303 >/dev/null 2>&1 & echo $! > server.pid
            - script:
                content: kill -0 $(cat server.pid)
        """, no_cluster=True)
    assert outcome.ok, output  # type: ignore[attr-defined]
    assert not running(int((tmp_path / "suite" / "server.pid").read_text()))


# ------------------------------------------------------------------------------ large output

def large_output_suite(megabytes: int, check: bool) -> str:
    checked = """
        check:
          (length($stdout) > `0`): true""" if check else ""
    return f"""
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: loud
spec:
  steps:
  - try:
    - script:
        content: python -c "import sys; [sys.stdout.write('x' * 1023 + chr(10)) for _ in range({megabytes} * 1024)]"
        timeout: 1m{checked}
"""


def test_large_output_is_spilled_to_disk_and_shown_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(capture, "SPOOL_THRESHOLD", 64 * 1024)
    megabytes = 8
    tracemalloc.start()
    try:
        outcome, output = run_suite(tmp_path, large_output_suite(megabytes, check=False), no_cluster=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcome.ok  # type: ignore[attr-defined]
    # the console shows every line (run_to_string's buffer holds them; that is the test's own memory)
    assert output.count("        " + "x" * 1023 + "\n") == megabytes * 1024
    print(f"peak traced memory {peak / 2**20:.1f} MiB for {megabytes} MiB of output, console in memory")
    assert peak < 3.5 * megabytes * 2**20  # the console buffer (~1.01x) and its growth; no whole copies


def test_large_output_written_to_a_file_costs_little_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chainsaw_py.api import run

    monkeypatch.setattr(capture, "SPOOL_THRESHOLD", 64 * 1024)
    options = TestOptions(test_dirs=[str(tmp_path / "suite")], no_cluster=True, no_color=True)
    write_suite(tmp_path / "suite", large_output_suite(0, check=False))
    with (tmp_path / "warm-up.txt").open("w") as console:
        run(options, console, handle_signals=False)  # imports and caches are not what is measured
    write_suite(tmp_path / "suite", large_output_suite(8, check=False))
    with (tmp_path / "console.txt").open("w") as console:
        tracemalloc.start()
        try:
            outcome = run(options, console, handle_signals=False)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert outcome.ok
    print(f"peak traced memory {peak / 2**20:.1f} MiB for 8 MiB of output, console to a file")
    assert peak < 2 * 2**20
    assert (tmp_path / "console.txt").read_text().count("x" * 1023) == 8 * 1024


def test_stdout_is_whole_when_a_check_reads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(capture, "SPOOL_THRESHOLD", 4 * 1024)
    outcome, output = run_suite(tmp_path, large_output_suite(1, check=True), no_cluster=True)
    assert outcome.ok, output[-2000:]  # type: ignore[attr-defined]


def test_captured_output_is_stripped_like_go() -> None:
    import io

    captured = capture.Captured(threshold=8)
    captured.drain(io.BytesIO(b"\n\n  first line\nsecond \xff line\n\n  \n"))
    assert captured.spilled
    assert "".join(captured.stripped_chunks()) == "first line\nsecond \ufffd line"
    assert captured.text() == "\n\n  first line\nsecond \ufffd line\n\n  \n"
    blank = capture.Captured(threshold=1)
    blank.drain(io.BytesIO(b" \n\t\n"))
    assert blank.blank() and list(blank.stripped_chunks()) == []


# ------------------------------------------------------------------------------ certificates


def test_in_process_runs_leave_no_certificate_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kubernetes.config import kube_config

    from chainsaw_py.client.clusters import embedded_cluster

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    cached = dict(kube_config._temp_files)  # other tests of this process may have left some
    for _ in range(3):
        with embedded_cluster([], lambda _: None) as cluster:
            assert cluster.client.get("v1", "Namespace", "", "default")["metadata"]["name"] == "default"
    assert list(tmp_path.iterdir()) == []
    assert kube_config._temp_files == cached


# ------------------------------------------------------------------------------ final answers

INVALID_SECRET = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: invalid-secret
spec:
  steps:
  - try:
    - apply:
        resource:
          apiVersion: v1
          kind: Secret
          metadata:
            name: broken
          type: Opaque
          data:
            key: not base64!
"""


def test_an_invalid_secret_is_sent_once_and_logged_as_failed(tmp_path: Path) -> None:
    outcome, output = run_suite(tmp_path, INVALID_SECRET, embedded=True)
    assert not outcome.ok  # type: ignore[attr-defined]
    assert len(re.findall(r"\| CREATE +\| ERROR \| v1/Secret", output)) == 1, output
    assert not re.search(r"\| CREATE +\| OK +\| v1/Secret", output)


def test_output_beyond_the_limit_is_dropped_and_said_so() -> None:
    import io

    captured = capture.Captured(threshold=4, limit=10)
    captured.drain(io.BytesIO(b"0123456789abcdef"))
    assert captured.text() == "0123456789"
    assert "".join(captured.stripped_chunks()) == "0123456789\n[6 more bytes dropped: over the 10-byte output limit]"


@linux_only
def test_an_embedding_session_is_a_subreaper_only_while_open(tmp_path: Path) -> None:
    from chainsaw_py.api import Session, load_tests

    write_suite(tmp_path / "suite", """
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata:
          name: background
        spec:
          steps:
          - try:
            - script:
                content: nohup setsid sleep 304 >/dev/null 2>&1 & echo $! > background.pid
        """)
    tests = load_tests([str(tmp_path / "suite")])
    with Session(TestOptions(no_cluster=True), tests=tests) as session:
        assert is_subreaper()
        assert [result.status for result in session.run_test(tests[0])] == ["passed"]
        background = int((tmp_path / "suite" / "background.pid").read_text())
        assert running(background)  # a later test of the session may use it
    assert not is_subreaper()
    assert not running(background)
