"""The scenario end to end, offline: the README's main command, and a run with bad storage credentials."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import AWS_ENV, PLUGIN, REPO, SCENARIO

RUN_TIMEOUT = 240
STEPS = ["step-00", "step-01", "step-02", "step-03"]
SIMULATED = "the Tempo operator and the Tempo containers are simulated"


def offline_env(home: Path, **extra: str) -> dict[str, str]:
    """The runner's environment on a fresh machine: no kubeconfig, no AWS settings or credentials."""
    env = {key: value for key, value in os.environ.items() if key not in AWS_ENV and not key.startswith("AWS_")}
    home.mkdir(parents=True, exist_ok=True)
    env.update({"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true", **extra})
    return env


def run_chainsaw(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The test command as CI runs it; without colours (forced otherwise), as the assertions read columns."""
    return subprocess.run([sys.executable, "-m", "chainsaw_py", "test", "--no-color", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)


def report(path: Path) -> dict[str, Any]:
    document = json.loads((path / "chainsaw-report.json").read_text())
    assert len(document["tests"]) == 1
    return dict(document["tests"][0])


def steps(test: dict[str, Any]) -> list[tuple[str, str]]:
    """The test's steps and their status; the report also lists the cleanups, which must all have passed."""
    cleanups = [(step["name"], step["status"]) for step in test["steps"] if "cleanup" in step["name"]]
    assert cleanups and all(status == "passed" for _, status in cleanups), cleanups
    return [(step["name"], step["status"]) for step in test["steps"] if "cleanup" not in step["name"]]


def test_readme_main_command_passes_offline(tmp_path: Path) -> None:
    run = run_chainsaw(["--test-dir", "e2e/tempostack-aws", "--report-format", "JSON", "--report-path", str(tmp_path)],
                       offline_env(tmp_path / "home"))
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    test = report(tmp_path)
    assert test["status"] == "passed"
    assert steps(test) == [(name, "passed") for name in STEPS]
    assert "Using an embedded cluster" in output and "container images are never pulled or run" in output
    assert SIMULATED in run.stdout  # the plugin's notice, printed by the runner
    assert "Traceback" not in output


@pytest.fixture
def external_cluster(tmp_path: Path) -> Iterator[Any]:
    """An embedded cluster with local S3 and the scenario's plugin, outside the runner, so that what the run
    leaves behind can be inspected after it."""
    from chainsaw_py.embedded import EmbeddedCluster

    with EmbeddedCluster(kubeconfig=tmp_path / "kubeconfig", s3=True) as cluster:
        cluster.load_plugin(PLUGIN)
        yield cluster


def with_broken_secret(folder: Path, assert_timeout: str) -> None:
    """Insert a step after step-00 that gives s3-secret a wrong secret key, and shorten step-01's assert."""
    test_file = folder / "chainsaw-test.yaml"
    test = yaml.safe_load(test_file.read_text())
    steps = test["spec"]["steps"]
    wrong = base64.b64encode(b"not-the-secret-key").decode()
    steps.insert(1, {"name": "break-storage-secret", "try": [{"patch": {"resource": {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s3-secret"},
        "data": {"access_key_secret": wrong}}}}]})
    step_01 = next(step for step in steps if step["name"] == "step-01")
    next(op for op in step_01["try"] if "assert" in op)["assert"]["timeout"] = assert_timeout
    test_file.write_text(yaml.safe_dump(test, sort_keys=False))


def test_bad_credentials_fail_step_01_with_the_catch_output_and_leave_nothing(tmp_path: Path,
                                                                               external_cluster: Any) -> None:
    import boto3

    from chainsaw_py.client.clusters import connect

    folder = tmp_path / "tempostack-aws"
    shutil.copytree(SCENARIO, folder, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    with_broken_secret(folder, "1s")
    s3 = external_cluster.s3
    env = offline_env(tmp_path / "home", KUBECONFIG=str(external_cluster.kubeconfig_path),
                      AWS_ENDPOINT_URL=s3.endpoint_url)
    run = run_chainsaw(["--test-dir", str(folder), "--report-format", "JSON", "--report-path", str(tmp_path)], env)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output[-6000:]
    test = report(tmp_path)
    assert test["status"] == "failed"
    assert steps(test) == [("step-00", "passed"), ("break-storage-secret", "passed"), ("step-01", "failed")]
    # The catch block ran: the TempoStack as YAML shows why it is not Ready, and the pods' logs were asked for.
    catch = re.search(r"\| step-01 +\| CATCH +\| BEGIN \|(.*?)\| step-01 +\| CATCH +\| END +\|", output, re.DOTALL)
    assert catch is not None, output[-6000:]
    assert "kind: TempoStack" in catch.group(1) and "reason: PendingComponents" in catch.group(1)
    assert "type: Ready" not in catch.group(1)
    assert "-l app.kubernetes.io/managed-by=tempo-operator" in catch.group(1)
    assert "not-the-secret-key" not in output and s3.secret_access_key not in output
    assert "Traceback" not in output

    # Nothing is left: the test namespace and the bucket are gone.
    bucket = re.search(r"bucket (\S+): created", output)
    assert bucket is not None, output[-4000:]
    cluster = connect(Path(external_cluster.kubeconfig_path))
    try:
        assert not cluster.client.exists("v1", "Namespace", "", test["namespace"])
    finally:
        cluster.close()
    admin = boto3.client("s3", endpoint_url=s3.endpoint_url, region_name="us-east-1", aws_access_key_id=s3.access_key_id,
                         aws_secret_access_key=s3.secret_access_key)
    assert bucket.group(1) not in [entry["Name"] for entry in admin.list_buckets()["Buckets"]]
