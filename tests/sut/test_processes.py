"""Processes of the system under test run alongside a suite: readiness, abort on exit, logs, stop."""

from __future__ import annotations

import os
import socket
import sys
import textwrap
import time
from pathlib import Path

import pytest

from chainsaw_py import api
from chainsaw_py.errors import LoadError
from chainsaw_py.loading.sut import ProcessSpec, Readiness, load_sut
from chainsaw_py.loading.sut_file import sut_path
from chainsaw_py.runner.processes import ProcessFailed, ProcessSupervisor

PY = sys.executable


def _spec(code: str, ready: Readiness | None = None, name: str = "op", stop: float = 5.0) -> ProcessSpec:
    return ProcessSpec(name=name, command=(PY, "-u", "-c", textwrap.dedent(code)), ready=ready or Readiness(),
                       stop_timeout=stop)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper does not count)."""
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (ProcessLookupError, FileNotFoundError):
        return False
    return state != "Z"


def test_log_readiness_then_stop_with_sigterm(tmp_path: Path) -> None:
    code = """
        import signal, sys, time
        signal.signal(signal.SIGTERM, lambda *_: (print("got SIGTERM"), sys.exit(0)))
        print("listening now")
        while True:
            time.sleep(0.05)
    """
    supervisor = ProcessSupervisor((_spec(code, Readiness(log="listening")),), tmp_path, None)
    supervisor.start(lambda error: None)
    process = supervisor.processes[0]
    assert process.log_matched() and process.pid is not None
    supervisor.stop()
    assert process.returncode == 0
    assert "got SIGTERM" in (tmp_path / "process-op.log").read_text()


def test_stop_kills_the_whole_group_after_the_grace_period(tmp_path: Path) -> None:
    code = """
        import signal, subprocess, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"])
        print("child", child.pid, flush=True)
        time.sleep(60)
    """
    supervisor = ProcessSupervisor((_spec(code, Readiness(log="child"), stop=0.3),), tmp_path, None)
    supervisor.start(lambda error: None)
    child = int(supervisor.processes[0].last_lines()[-1].split()[1])
    started = time.monotonic()
    supervisor.stop()
    assert time.monotonic() - started < 5
    time.sleep(0.1)
    assert not _alive(child)


def test_tcp_and_http_readiness(tmp_path: Path) -> None:
    port = _free_port()
    code = f"""
        import http.server, time
        time.sleep(0.3)
        http.server.ThreadingHTTPServer(("127.0.0.1", {port}), http.server.SimpleHTTPRequestHandler).serve_forever()
    """
    ready = Readiness(tcp=f"127.0.0.1:{port}", http=f"http://127.0.0.1:{port}/", timeout=10)
    supervisor = ProcessSupervisor((_spec(code, ready),), tmp_path, None)
    try:
        supervisor.start(lambda error: None)
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass
    finally:
        supervisor.stop()


def test_not_ready_in_time_is_a_clear_error_and_the_process_is_stopped(tmp_path: Path) -> None:
    code = """
        import time
        print("warming up")
        time.sleep(60)
    """
    supervisor = ProcessSupervisor((_spec(code, Readiness(log="never", timeout=0.5)),), tmp_path, None)
    with pytest.raises(ProcessFailed) as caught:
        supervisor.start(lambda error: None)
    message = str(caught.value)
    assert "process op was not ready within 0.5s: still waiting for a log line matching 'never'" in message
    assert "warming up" in message
    assert supervisor.processes[0].returncode is not None


def test_exit_before_ready_reports_the_exit_code(tmp_path: Path) -> None:
    supervisor = ProcessSupervisor((_spec("import sys; print('bad flag'); sys.exit(2)", Readiness(log="x")),),
                                   tmp_path, None)
    with pytest.raises(ProcessFailed, match=r"process op exited with code 2 before it was ready") as caught:
        supervisor.start(lambda error: None)
    assert "bad flag" in str(caught.value)


def test_a_command_that_does_not_exist(tmp_path: Path) -> None:
    spec = ProcessSpec(name="op", command=("/nonexistent/operator",))
    with pytest.raises(ProcessFailed, match="cannot start /nonexistent/operator"):
        ProcessSupervisor((spec,), tmp_path, None).start(lambda error: None)


def _suite(tmp_path: Path, sut: str, sleep: str = "20s") -> Path:
    (tmp_path / "t1").mkdir()
    (tmp_path / "t1" / "chainsaw-test.yaml").write_text(textwrap.dedent(f"""
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata: {{name: t1}}
        spec:
          steps:
          - try:
            - sleep: {{duration: {sleep}}}
    """))
    (tmp_path / ".chainsaw-py.yaml").write_text(textwrap.dedent(sut))
    return tmp_path


def test_a_process_exiting_mid_suite_fails_the_running_test_at_once(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    suite = _suite(tmp_path, f"""
        processes:
        - name: op
          command: [{PY!r}, -u, -c, "import sys, time; print('ready'); time.sleep(0.5); print('fatal: lost'); sys.exit(3)"]
          ready: {{log: ready}}
    """)
    monkeypatch.chdir(suite)
    started = time.monotonic()
    outcome, output = api.run_to_string(api.TestOptions(test_dirs=["."], no_cluster=True, report_format="JSON",
                                                        report_path=str(tmp_path / "out")))
    assert time.monotonic() - started < 10
    assert not outcome.ok and outcome.summary.failed == 1
    errors = "\n".join(outcome.results[0].errors)
    assert "process op exited with code 3 while the tests were running" in errors
    assert "fatal: lost" in errors and "fatal: lost" in output
    assert "fatal: lost" in (tmp_path / "out" / "process-op.log").read_text()
    assert "fatal: lost" in (tmp_path / "out" / "chainsaw-report.json").read_text()


def test_processes_get_the_cluster_kubeconfig_and_stop_after_the_run(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "pid"
    suite = _suite(tmp_path, f"""
        processes:
        - name: op
          command: [{PY!r}, -u, -c, "import os, time; open({str(marker)!r}, 'w').write(str(os.getpid())); print('kubeconfig', os.path.isfile(os.environ['KUBECONFIG'])); time.sleep(60)"]
          ready: {{log: "kubeconfig True"}}
          stopTimeout: 1s
    """, sleep="10ms")
    monkeypatch.chdir(suite)
    outcome, output = api.run_to_string(api.TestOptions(test_dirs=["."], embedded=True))
    assert outcome.ok, output
    assert "Process op is ready" in output
    assert not _alive(int(marker.read_text()))


def test_session_runs_processes_given_in_code(tmp_path: Path) -> None:
    spec = _spec("import time; print('up'); time.sleep(60)", Readiness(log="up"))
    with api.Session(api.TestOptions(no_cluster=True, processes=[spec])) as session:
        assert session.processes is not None
        pid = session.processes.processes[0].pid
        assert pid is not None and _alive(pid)
    time.sleep(0.1)
    assert not _alive(pid)


def test_sut_file_errors_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / ".chainsaw-py.yaml"
    path.write_text("processes:\n- name: op\n  command: [x]\n  ready:\n    tcp: nope\n")
    with pytest.raises(LoadError) as caught:
        load_sut(path)
    assert str(caught.value) == f"{path}:5: processes[0].ready.tcp: expected host:port"
    path.write_text("processes:\n- name: op\n  comand: [x]\n")
    with pytest.raises(LoadError, match=r":3: processes\[0\]\.comand: unknown field"):
        load_sut(path)
    path.write_text("images:\n- image: a/b:*\n")
    with pytest.raises(LoadError, match=r"images\[0\]\.entrypoint: required value missing"):
        load_sut(path)


def test_sut_file_is_found_next_to_the_configuration(tmp_path: Path) -> None:
    (tmp_path / ".chainsaw-py.yaml").write_text("images:\n- image: ghcr.io/acme/op:*\n  entrypoint: op --run\n")
    config = tmp_path / ".chainsaw.yaml"
    assert sut_path(str(config)) == tmp_path / ".chainsaw-py.yaml"
    sut = load_sut(sut_path(str(config)))
    assert sut.images[0].entrypoint == ("/bin/sh", "-c", "op --run")
    assert sut.images[0].matches("ghcr.io/acme/op:v1") and not sut.images[0].matches("ghcr.io/acme/other:v1")


def test_cli_reports_a_bad_sut_file_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from chainsaw_py.cli import main

    bad = tmp_path / "sut.yaml"
    bad.write_text("processes: {}\n")
    code = main(["test", "--no-cluster", "--test-dir", str(tmp_path), "--sut-config", str(bad)])
    assert code == 1
    assert f"{bad}:1: processes: expected a list" in capsys.readouterr().err


def test_resource_readiness_and_ctrl_c_stops_the_processes(tmp_path: Path) -> None:
    """The process creates a Lease with kubectl (through the KUBECONFIG it was given); readiness waits for its
    holder; a SIGINT to the runner then stops the run, and the process with it."""
    import signal
    import subprocess

    marker = tmp_path / "pid"
    lease = ("apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: op-leader, namespace: default}\n"
             "spec: {holderIdentity: op-1}\n")
    (tmp_path / "lease.yaml").write_text(lease)
    code = (f"import os, subprocess, time; open({str(marker)!r}, 'w').write(str(os.getpid())); "
            f"subprocess.run(['kubectl', 'apply', '-f', {str(tmp_path / 'lease.yaml')!r}], check=True); "
            f"time.sleep(120)")
    suite = _suite(tmp_path, f"""
        processes:
        - name: op
          command: [{PY!r}, -u, -c, "{code}"]
          ready:
            resource: {{apiVersion: coordination.k8s.io/v1, kind: Lease, namespace: default, name: op-leader,
                        field: spec.holderIdentity}}
            timeout: 30s
          stopTimeout: 2s
    """, sleep="60s")
    env = {key: value for key, value in os.environ.items() if key != "KUBECONFIG"}
    env["HOME"] = str(tmp_path)
    runner = subprocess.Popen([PY, "-m", "chainsaw_py", "test", "--test-dir", ".", "--embedded", "--no-color"],
                              cwd=suite, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert runner.stdout is not None
    lines = []
    for line in runner.stdout:
        lines.append(line)
        if "SLEEP     | RUN" in line:
            break
    assert any("Process op is ready" in line for line in lines), "".join(lines)
    pid = int(marker.read_text())
    assert _alive(pid)
    runner.send_signal(signal.SIGINT)
    rest = runner.communicate(timeout=60)[0]
    assert runner.returncode != 0
    assert "interrupted" in rest.lower()
    time.sleep(0.2)
    assert not _alive(pid)


def test_a_failing_operation_shows_the_processes_last_lines(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "t1").mkdir()
    (tmp_path / "t1" / "chainsaw-test.yaml").write_text(textwrap.dedent("""
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata: {name: t1}
        spec:
          steps:
          - try:
            - script:
                content: exit 1
    """))
    (tmp_path / ".chainsaw-py.yaml").write_text(textwrap.dedent(f"""
        processes:
        - name: op
          command: [{PY!r}, -u, -c, "import time; print('reconcile failed: quota'); time.sleep(60)"]
          ready: {{log: quota}}
    """))
    monkeypatch.chdir(tmp_path)
    outcome, output = api.run_to_string(api.TestOptions(test_dirs=["."], no_cluster=True, report_format="JSON",
                                                        report_path=str(tmp_path / "out")))
    assert not outcome.ok
    assert "=== PROCESSES" in output and "reconcile failed: quota" in output
    assert "reconcile failed: quota" in (tmp_path / "out" / "chainsaw-report.json").read_text()


def test_a_killed_runner_takes_its_processes_and_pods_along(tmp_path: Path) -> None:
    """SIGKILL leaves no cleanup code a chance: the children are bound to the runner by the kernel."""
    import signal
    import subprocess

    sut_pid, pod_pid = tmp_path / "sut-pid", tmp_path / "pod-pid"
    writer = "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); time.sleep(120)"
    (tmp_path / "t1").mkdir()
    (tmp_path / "t1" / "chainsaw-test.yaml").write_text(textwrap.dedent(f"""
        apiVersion: chainsaw.kyverno.io/v1alpha1
        kind: Test
        metadata: {{name: t1}}
        spec:
          steps:
          - try:
            - create:
                resource:
                  apiVersion: v1
                  kind: Pod
                  metadata: {{name: writer}}
                  spec:
                    containers:
                    - {{name: main, image: example.com/writer, args: [{str(pod_pid)!r}]}}
            - sleep: {{duration: 120s}}
    """))
    (tmp_path / ".chainsaw-py.yaml").write_text(textwrap.dedent(f"""
        processes:
        - name: op
          command: [{PY!r}, -c, "{writer}", {str(sut_pid)!r}]
        images:
        - image: example.com/writer
          entrypoint: [{PY!r}, -c, "{writer}"]
    """))
    env = {key: value for key, value in os.environ.items() if key != "KUBECONFIG"}
    env["HOME"] = str(tmp_path)
    runner = subprocess.Popen([PY, "-m", "chainsaw_py", "test", "--test-dir", ".", "--embedded", "--no-color"],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (sut_pid.exists() and pod_pid.exists() and sut_pid.read_text() and pod_pid.read_text()):
            assert time.monotonic() < deadline and runner.poll() is None
            time.sleep(0.1)
        pids = [int(sut_pid.read_text()), int(pod_pid.read_text())]
        assert all(_alive(pid) for pid in pids)
    finally:
        runner.send_signal(signal.SIGKILL)
        runner.wait()
    time.sleep(0.5)
    assert not any(_alive(pid) for pid in pids)
