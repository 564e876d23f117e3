"""The embedded cluster of a run in a process of its own (``CHAINSAW_PY_EMBEDDED=process``, the default) keeps
every behaviour of the in-process cluster (``in-process``): the suite's ``chainsaw_embedded.py`` plugins and
their notices, pods whose images map to local programs, the local S3, one-line start errors; and a second
Ctrl-C leaves neither the cluster's process, nor a container, nor the cluster's kubeconfig behind."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from chainsaw_py import api
from chainsaw_py.client.clusters import EMBEDDED_MODE_VARIABLE
from chainsaw_py.errors import ChainsawError

REPO = Path(__file__).resolve().parents[2]
PLUGIN = REPO / "tests" / "embedded" / "plugin_example" / "chainsaw_embedded.py"
PY = sys.executable
MODES = ["process", "in-process"]

WIDGET_SUITE = """
apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: widget
spec:
  steps:
  - try:
    - apply:
        resource:
          apiVersion: example.com/v1
          kind: Widget
          metadata: {name: alpha}
          spec: {size: 3}
    - assert:
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata: {name: alpha-config}
          data: {size: "3"}
    - create:
        resource:
          apiVersion: v1
          kind: Pod
          metadata: {name: writer}
          spec:
            containers:
            - {name: main, image: example.com/writer}
    - assert:
        resource:
          apiVersion: v1
          kind: Pod
          metadata: {name: writer}
          status: {phase: Running}
    - script:
        content: >-
          for i in $(seq 200); do test -s "$PIDFILE" && break; sleep 0.1; done;
          test -n "$AWS_ENDPOINT_URL" && cat "$PIDFILE"
        check:
          ($error == null): true
"""


def _writer(pid_file: Path) -> str:
    """A program that writes its pid and the S3 endpoint it was given, then sleeps."""
    return (f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid()) + ' ' + "
            "os.environ.get('AWS_ENDPOINT_URL', '')); time.sleep(300)")


def _suite(tmp_path: Path, body: str = WIDGET_SUITE) -> tuple[Path, Path]:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "chainsaw-test.yaml").write_text(textwrap.dedent(body))
    shutil.copy(PLUGIN, suite / "chainsaw_embedded.py")
    pid_file = tmp_path / "pod.pid"
    (tmp_path / ".chainsaw-py.yaml").write_text(textwrap.dedent(f"""
        images:
        - image: example.com/writer
          entrypoint: [{PY!r}, -c, {_writer(pid_file)!r}]
    """))
    return suite, pid_file


def _env(tmp_path: Path, mode: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "KUBECONFIG"}
    env.update({"PYTHONPATH": str(REPO), "HOME": str(tmp_path), EMBEDDED_MODE_VARIABLE: mode,
                "TMPDIR": str(_scratch(tmp_path)), "PIDFILE": str(tmp_path / "pod.pid")})
    return env


def _scratch(tmp_path: Path) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir(exist_ok=True)
    return folder


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _cluster_processes(runner: int) -> list[int]:
    """The embedded cluster processes spawned by the run ``runner``."""
    wanted = f"CHAINSAW_PY_EMBEDDED_PARENT={runner}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if wanted in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _until(check: object, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"the run ended first:\n{out}\n{err}")
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.mark.parametrize("mode", MODES)
def test_plugins_mapped_pods_and_local_s3_work_in_both_modes(tmp_path: Path, mode: str) -> None:
    suite, pid_file = _suite(tmp_path)
    done = subprocess.run([PY, "-m", "chainsaw_py", "test", str(suite), "--embedded", "--no-color"], cwd=tmp_path,
                          env=_env(tmp_path, mode), capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Embedded cluster plugins: " in done.stdout
    assert "(pods whose images map to local programs run them: 1 mappings)" in done.stdout
    pid, endpoint = pid_file.read_text().split()
    assert endpoint.startswith("http://127.0.0.1:")   # the container saw the local S3, as in-process
    assert not _alive(int(pid))
    assert list(_scratch(tmp_path).iterdir()) == []   # the cluster's kubeconfig is gone


def test_a_second_ctrl_c_leaves_no_cluster_process_container_or_kubeconfig(tmp_path: Path) -> None:
    body = WIDGET_SUITE.replace("    - script:", "    - script:\n        content: touch started; sleep 120\n"
                                "        timeout: 5m\n    - script:", 1)
    body += "    cleanup:\n    - script:\n        content: touch cleaning; sleep 60\n        timeout: 5m\n"
    suite, pid_file = _suite(tmp_path, body)
    runner = subprocess.Popen([PY, "-m", "chainsaw_py", "test", str(suite), "--embedded", "--no-color"],
                              cwd=tmp_path, env=_env(tmp_path, "process"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        _until(lambda: (suite / "started").exists() and pid_file.exists() and pid_file.read_text(), runner)
        clusters = _cluster_processes(runner.pid)
        assert len(clusters) == 1
        container = int(pid_file.read_text().split()[0])
        assert _alive(container)
        assert [path.name for path in _scratch(tmp_path).iterdir() if path.name.startswith("chainsaw-kubeconfig")]
        runner.send_signal(signal.SIGINT)
        _until(lambda: (suite / "cleaning").exists(), runner)   # the second Ctrl-C comes during the cleanup
        runner.send_signal(signal.SIGINT)
        _, stderr = runner.communicate(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    assert runner.returncode == 130, stderr
    assert "Traceback" not in stderr
    time.sleep(0.3)   # PR_SET_PDEATHSIG and the kills are asynchronous
    assert not any(_alive(pid) for pid in [*clusters, container])
    assert [path.name for path in _scratch(tmp_path).iterdir() if path.name.startswith("chainsaw-kubeconfig")] == []


@pytest.mark.parametrize("mode", MODES)
def test_a_plugin_that_fails_is_a_one_line_error(tmp_path: Path, mode: str) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "chainsaw-test.yaml").write_text(textwrap.dedent(WIDGET_SUITE))
    (suite / "chainsaw_embedded.py").write_text("def register(registry):\n    raise RuntimeError('no widgets today')\n")
    done = subprocess.run([PY, "-m", "chainsaw_py", "test", str(suite), "--embedded", "--no-color"], cwd=tmp_path,
                          env=_env(tmp_path, mode), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert errors == [f"Error: embedded plugin {suite / 'chainsaw_embedded.py'}: register failed: RuntimeError: "
                      "no widgets today"], done.stderr
    assert list(_scratch(tmp_path).iterdir()) == []


def test_a_cluster_process_that_dies_while_starting_is_a_one_line_error_with_its_last_words(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "chainsaw-test.yaml").write_text(textwrap.dedent(WIDGET_SUITE))
    (suite / "chainsaw_embedded.py").write_text(
        "import os, sys\nsys.stderr.write('the plugin gave up\\n')\nsys.stderr.flush()\nos._exit(3)\n")
    done = subprocess.run([PY, "-m", "chainsaw_py", "test", str(suite), "--embedded", "--no-color"], cwd=tmp_path,
                          env=_env(tmp_path, "process"), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == ("Error: cannot start the embedded cluster: its process exited with code 3: "
                                            "the plugin gave up")
    assert "the plugin gave up" in done.stderr.splitlines()[0]   # its stderr reached the run's


def test_an_unknown_mode_is_a_one_line_error(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "chainsaw-test.yaml").write_text(textwrap.dedent(WIDGET_SUITE))
    done = subprocess.run([PY, "-m", "chainsaw_py", "test", str(suite), "--embedded", "--no-color"], cwd=tmp_path,
                          env=_env(tmp_path, "threads"), capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert done.stderr.strip() == ('Error: invalid CHAINSAW_PY_EMBEDDED "threads": expected one of process, '
                                   "in-process")


@pytest.mark.parametrize("mode", MODES)
def test_the_python_api_and_sessions_use_the_chosen_mode(tmp_path: Path, mode: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    suite, pid_file = _suite(tmp_path)
    monkeypatch.setenv(EMBEDDED_MODE_VARIABLE, mode)
    monkeypatch.setenv("PIDFILE", str(pid_file))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    before = set(_cluster_processes(os.getpid()))
    options = api.TestOptions(test_dirs=[str(suite)], embedded=True, sut_config=str(tmp_path / ".chainsaw-py.yaml"))
    tests = api.load_tests([str(suite)])
    with api.Session(options, tests=tests, stream=io.StringIO()) as session:
        spawned = set(_cluster_processes(os.getpid())) - before
        assert len(spawned) == (1 if mode == "process" else 0)
        results = session.run_test(tests[0])
        assert [result.status for result in results] == ["passed"], results[0].errors
    assert not any(_alive(pid) for pid in spawned)
    outcome = api.run(options, io.StringIO(), handle_signals=False)
    assert outcome.ok, [result.errors for result in outcome.results]


def test_the_in_process_mode_is_refused_for_an_unknown_value_by_the_api(monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    suite, _ = _suite(tmp_path)
    monkeypatch.setenv(EMBEDDED_MODE_VARIABLE, "nope")
    with pytest.raises(ChainsawError, match='invalid CHAINSAW_PY_EMBEDDED "nope"'):
        api.run(api.TestOptions(test_dirs=[str(suite)], embedded=True), io.StringIO(), handle_signals=False)


def test_plugins_import_what_the_run_can_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder the run put on ``sys.path`` (pytest's rootdir, a script's own) reaches the cluster's process."""
    library = tmp_path / "lib"
    library.mkdir()
    (library / "widget_notices.py").write_text("TEXT = 'imported from the run path'\n")
    monkeypatch.syspath_prepend(str(library))
    monkeypatch.setenv(EMBEDDED_MODE_VARIABLE, "process")
    monkeypatch.delenv("KUBECONFIG", raising=False)
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "chainsaw-test.yaml").write_text(textwrap.dedent(WIDGET_SUITE).split("    - create:")[0])
    (suite / "chainsaw_embedded.py").write_text(
        PLUGIN.read_text() + "\n\nimport widget_notices\n_register = register\n\n\n"
        "def register(registry):\n    registry.notice(widget_notices.TEXT)\n    _register(registry)\n")
    output = io.StringIO()
    outcome = api.run(api.TestOptions(test_dirs=[str(suite)], embedded=True), output, handle_signals=False)
    assert outcome.ok, output.getvalue()
    assert "imported from the run path" in output.getvalue()


def test_a_cluster_process_that_never_answers_is_killed_with_a_one_line_error(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "chainsaw-test.yaml").write_text(textwrap.dedent(WIDGET_SUITE))
    (suite / "chainsaw_embedded.py").write_text(
        f"import os, time\nopen({str(tmp_path / 'hung.pid')!r}, 'w').write(str(os.getpid()))\ntime.sleep(600)\n")
    # long enough for the cluster process to start and import the plugin on a loaded machine (with 3 s, under
    # load 12-37 it was sometimes killed before, leaving no pid to check)
    env = {**_env(tmp_path, "process"), "CHAINSAW_PY_EMBEDDED_START_SECONDS": "8"}
    done = subprocess.run([PY, "-m", "chainsaw_py", "test", str(suite), "--embedded", "--no-color"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == ("Error: cannot start the embedded cluster: its process did not answer "
                                            "within 8 s (CHAINSAW_PY_EMBEDDED_START_SECONDS)")
    hung = int((tmp_path / "hung.pid").read_text())
    deadline = time.monotonic() + 10
    while _alive(hung) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(hung)
