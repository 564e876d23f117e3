"""Nothing a pod that runs as processes starts outlives it, its cluster or the run: containers, the commands
exec'd in them (``kubectl exec``, probes) and the pod's files are in the run's leftovers, so a second Ctrl-C
(``Leftovers.abandon``) ends them too."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.runtime import containers, pods
from chainsaw_py.embedded.runtime.images import ImageProgram
from chainsaw_py.util.leftovers import Leftovers
from tests.embedded.process_pods import create, phase, process_cluster, until

SLEEPER = ImageProgram("example.com/sleeper", (sys.executable, "-c", "import time; time.sleep(120)"))


@pytest.fixture
def leftovers(monkeypatch: pytest.MonkeyPatch) -> Leftovers:
    """A registry of this test's own (abandoning the process-wide one would also end other tests' pods)."""
    registry = Leftovers()
    monkeypatch.setattr(containers, "LEFTOVERS", registry)
    monkeypatch.setattr(pods, "LEFTOVERS", registry)
    return registry


@pytest.fixture
def cluster(leftovers: Leftovers) -> Iterator[EmbeddedCluster]:
    with process_cluster([SLEEPER]) as running:
        yield running


def _gone(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def _running_pod(cluster: EmbeddedCluster, name: str) -> None:
    create(cluster, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
                     "spec": {"terminationGracePeriodSeconds": 1,
                              "containers": [{"name": "main", "image": "example.com/sleeper"}]}})
    until(lambda: phase(cluster, name) == "Running")


def _exec_sleep(cluster: EmbeddedCluster, name: str, marker: Path) -> subprocess.Popen[bytes]:
    """``kubectl exec`` of a command that writes its pid and then sleeps, left running."""
    return subprocess.Popen(["kubectl", "--kubeconfig", str(cluster.kubeconfig_path), "exec", name, "--", "sh", "-c",
                             f"echo $$ > {marker}; exec sleep 120"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_a_second_ctrl_c_kills_exec_d_commands_and_removes_the_pod_files(cluster: EmbeddedCluster,
                                                                         leftovers: Leftovers,
                                                                         tmp_path: Path) -> None:
    _running_pod(cluster, "busy")
    marker = tmp_path / "pid"
    client = _exec_sleep(cluster, "busy", marker)
    try:
        pid = int(until(lambda: marker.exists() and marker.read_text().strip()))
        assert not _gone(pid)
        folder = cluster.processes.folder if cluster.processes is not None else Path("/nonexistent")
        assert any(folder.rglob("token"))
        leftovers.abandon(budget=1.0)
        until(lambda: _gone(pid), timeout=5)
        assert not folder.exists()
    finally:
        client.kill()
        client.wait()


def test_exec_d_commands_end_with_their_pod(cluster: EmbeddedCluster, leftovers: Leftovers, tmp_path: Path) -> None:
    from chainsaw_py.embedded.apiserver import DeleteOptions

    _running_pod(cluster, "short")
    marker = tmp_path / "pid"
    client = _exec_sleep(cluster, "short", marker)
    try:
        pid = int(until(lambda: marker.exists() and marker.read_text().strip()))
        rt = cluster.registry.lookup("", "v1", "pods")
        assert rt is not None
        cluster.api.delete(rt, "default", "short", DeleteOptions(grace_period=1))
        until(lambda: _gone(pid), timeout=10)
        assert client.wait(timeout=10) != 0   # the exec ends when its container does
    finally:
        client.kill()
        client.wait()


def test_the_folders_of_killed_runtimes_are_removed_by_the_next_one(tmp_path: Path) -> None:
    """A runner killed with SIGKILL leaves its pods' files (tokens) behind: the next runtime removes them."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = tmp_path / f"chainsaw-py-pods-{gone.pid}-abcd"
    (stale / "default_p_1234").mkdir(parents=True)
    (stale / "default_p_1234" / "token").write_text("secret")
    alive = tmp_path / f"chainsaw-py-pods-{os.getpid()}-efgh"
    alive.mkdir()
    assert pods.remove_stale_folders(tmp_path) == 1
    assert not stale.exists() and alive.exists()
