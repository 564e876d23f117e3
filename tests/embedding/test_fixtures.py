"""The plugin's fixtures (they work with or without ``--chainsaw``): the session, the cluster in use, the
local S3, and ``chainsaw_run`` for tests declared in Python; without a cluster, on an embedded cluster and on
a cluster reached through a kubeconfig."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .helpers import make_test, run_pytest, write_files

FIXTURE_TESTS = '''
import os

import pytest

from chainsaw_py.declare import Step, Test, assert_, python, scenario, script

MODE = os.environ["EXPECTED_CLUSTER"]


def test_declared_tests_share_the_session(chainsaw_session, chainsaw_run):
    seen = {}

    def look(ctx):
        seen["cluster"] = ctx.cluster
        seen["namespace"] = ctx.namespace

    chainsaw_run(Test("look", steps=[Step(try_=[python(look)])]))
    assert seen["cluster"] is chainsaw_session.cluster
    assert (seen["namespace"] is None) == (MODE == "none")


def test_cluster(chainsaw_cluster):
    names = [item["metadata"]["name"] for item in chainsaw_cluster.client.list("v1", "Namespace")["items"]]
    assert "default" in names
    assert chainsaw_cluster.kubeconfig.is_file()
    assert chainsaw_cluster.embedded == (MODE == "embedded")
    assert chainsaw_cluster.api_client is chainsaw_cluster.client.api_client
    if MODE.startswith("kubeconfig"):
        assert chainsaw_cluster.client.get("v1", "ConfigMap", "default", "made-outside")["data"] == {"a": "b"}


def test_scripts_get_the_kubeconfig_of_the_cluster_in_use(chainsaw_cluster, chainsaw_run):
    assert ("KUBECONFIG" in os.environ) == (MODE == "kubeconfig-env")  # the plugin leaves the environment alone
    check = f'grep -F "server: {chainsaw_cluster.server}" "$KUBECONFIG"'
    chainsaw_run(Test("kubeconfig-env", steps=[Step(try_=[script(check)])]))


def test_s3(chainsaw_s3):
    s3 = chainsaw_s3.client()
    s3.create_bucket(Bucket="fixture-bucket")
    assert "fixture-bucket" in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
    assert chainsaw_s3.environment["AWS_ENDPOINT_URL"] == chainsaw_s3.endpoint_url


def test_run_passes(chainsaw_run):
    results = chainsaw_run(Test("declared", steps=[Step(try_=[script("echo declared-log-line")])]))
    assert [result.status for result in results] == ["passed"]


def test_run_fails(chainsaw_run):
    chainsaw_run(Test("declared-failure", steps=[Step(try_=[assert_(resource={"(`1`)": 2}, timeout="100ms")])]))


def test_run_scenarios(chainsaw_run):
    test = Test("declared-scenarios", steps=[Step(try_=[assert_(resource={"($n > `0`)": True})])],
                scenarios=[scenario("one", {"n": 1}), scenario("two", {"n": 2})])
    assert [(result.scenario, result.status) for result in chainsaw_run(test)] == [("one", "passed"), ("two", "passed")]
'''

YAML_TEST = make_test("yaml-side", "  - try:\n    - script:\n        content: echo from yaml\n")


def _outcomes(output: str) -> dict[str, str]:
    return {match.group(2): match.group(1).lower()
            for match in re.finditer(r"^(PASSED|FAILED|SKIPPED|ERROR) \S*?::([\w#\[\]-]+)", output, re.MULTILINE)}


def _run(tmp_path: Path, mode: str, *extra: str, **env: str) -> str:
    write_files(tmp_path, {"test_with_fixtures.py": FIXTURE_TESTS, "yaml/chainsaw-test.yaml": YAML_TEST})
    run = run_pytest(["-rA", "-p", "no:randomly", *extra], tmp_path, timeout=300, EXPECTED_CLUSTER=mode, **env)
    assert run.returncode == 1, run.output
    return run.output


def _check_common(output: str) -> None:
    assert "chainsaw test 'declared-failure' failed:\n(`1`): Invalid value: 1: Expected value: 2" in output
    assert "Captured chainsaw declared call" in output and "declared-log-line" in output
    assert "Traceback" not in output


def test_without_a_cluster(tmp_path: Path) -> None:
    output = _run(tmp_path, "none", "--chainsaw-cluster=none")
    assert _outcomes(output) == {"test_declared_tests_share_the_session": "passed", "test_s3": "passed",
                                 "test_run_passes": "passed", "test_run_fails": "failed",
                                 "test_run_scenarios": "passed"}, output
    assert re.search(r"SKIPPED \[1\] test_with_fixtures.py:\d+: chainsaw: running without a cluster", output), output
    _check_common(output)


def test_on_an_embedded_cluster_with_chainsaw_tests(tmp_path: Path) -> None:
    output = _run(tmp_path, "embedded", "--chainsaw", "--chainsaw-cluster=embedded")
    assert _outcomes(output) == {"yaml-side": "passed", "test_declared_tests_share_the_session": "passed", "test_cluster": "passed",
                        "test_scripts_get_the_kubeconfig_of_the_cluster_in_use": "passed",
                        "test_s3": "passed", "test_run_passes": "passed", "test_run_fails": "failed",
                        "test_run_scenarios": "passed"}, output
    _check_common(output)


def test_through_a_kubeconfig(tmp_path: Path) -> None:
    from chainsaw_py.client.clusters import connect
    from chainsaw_py.embedded import EmbeddedCluster

    kubeconfig = tmp_path / "outside" / "kubeconfig"
    kubeconfig.parent.mkdir()
    with EmbeddedCluster(kubeconfig=kubeconfig) as cluster:
        connect(Path(cluster.kubeconfig_path)).client.create(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "made-outside", "namespace": "default"},
             "data": {"a": "b"}})
        output = _run(tmp_path / "suite", "kubeconfig", f"--chainsaw-kubeconfig={kubeconfig}")
        from_env = _run(tmp_path / "env", "kubeconfig-env", KUBECONFIG=str(kubeconfig))
    for run in (output, from_env):
        assert _outcomes(run)["test_cluster"] == "passed", run
        assert _outcomes(run)["test_scripts_get_the_kubeconfig_of_the_cluster_in_use"] == "passed", run
        _check_common(run)


@pytest.mark.parametrize("fixture", ["chainsaw_session", "chainsaw_cluster", "chainsaw_s3"])
def test_a_cluster_that_cannot_start_fails_the_test_in_one_line(tmp_path: Path, fixture: str) -> None:
    write_files(tmp_path, {"test_it.py": f"def test_it({fixture}):\n    pass\n"})
    run = run_pytest(["-q", "--chainsaw-cluster=kubeconfig"], tmp_path, HOME=str(tmp_path))
    assert run.returncode == 1, run.output
    assert "chainsaw: no kubeconfig found (set KUBECONFIG or --chainsaw-kubeconfig)" in run.output
    assert "Traceback" not in run.output
