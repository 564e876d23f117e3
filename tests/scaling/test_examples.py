"""The patterns of docs/scaling.md, tested: the Kubernetes manifests pass the embedded cluster's validation
(server-side dry-run, strict field validation), the Indexed Job really runs its shards in pods on the embedded
cluster (the image mapped to ``python -m chainsaw_py``) and their reports merge; the GitHub Actions workflow is
well-formed and every ``chainsaw-py`` command it runs parses with the real command line."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from chainsaw_py import api
from chainsaw_py.cli import build_root
from chainsaw_py.client.clusters import connect
from chainsaw_py.commands.test import options_from
from chainsaw_py.commands.tree import Command
from chainsaw_py.embedded import EmbeddedCluster
from chainsaw_py.embedded.runtime.images import ImageProgram
from tests.shared import REPO

EXAMPLES = REPO / "docs" / "examples" / "scaling"
MANIFESTS = EXAMPLES / "kubernetes"
SETUP = ("namespace.yaml", "rbac.yaml", "suite.yaml", "reports-pvc.yaml")
NAMESPACE = "chainsaw-runner"


def _documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((MANIFESTS / name).read_text()) if doc]


def _image() -> str:
    images = {container["image"] for name in ("shards-job.yaml", "merge-job.yaml") for doc in _documents(name)
              for container in doc["spec"]["template"]["spec"]["containers"]}
    assert len(images) == 1
    return images.pop()


def test_every_manifest_passes_server_side_dry_run() -> None:
    names = sorted(path.name for path in MANIFESTS.glob("*.yaml"))
    assert names == sorted([*SETUP, "shards-job.yaml", "merge-job.yaml"])
    with EmbeddedCluster() as cluster:
        client = connect(cluster.kubeconfig_path).client
        client.create(_documents("namespace.yaml")[0])  # namespaced objects need their namespace to exist
        kinds = []
        for name in names:
            for doc in _documents(name):
                if doc["kind"] != "Namespace":
                    created = client.create(doc, dry_run=True)
                    assert created["metadata"]["name"] == doc["metadata"]["name"]
                    kinds.append(doc["kind"])
        assert not client.exists("batch/v1", "Job", NAMESPACE, "chainsaw-shards")  # dry-run kept nothing
    assert sorted(kinds) == ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Job", "Job",
                             "PersistentVolumeClaim", "ServiceAccount"]


def test_the_shard_count_matches_the_completions() -> None:
    job = _documents("shards-job.yaml")[0]
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert f"--shard-count={job['spec']['completions']}" in args
    items = job["spec"]["template"]["spec"]["volumes"][0]["configMap"]["items"]
    assert sorted(item["key"] for item in items) == sorted(_documents("suite.yaml")[0]["data"])
    merge_args = _documents("merge-job.yaml")[0]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert [arg for arg in merge_args if arg.endswith(".json")] == [
        f"/reports/shard-{index}.json" for index in range(job["spec"]["completions"])]


def _wait_for_job(client: Any, name: str, timeout: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get("batch/v1", "Job", NAMESPACE, name)
        conditions = {item["type"]: item["status"] for item in job.get("status", {}).get("conditions", [])}
        if conditions.get("Complete") == "True" or conditions.get("Failed") == "True":
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {name} did not finish in {timeout}s")


def _pod_logs(client: Any, job: str) -> dict[str, str]:
    pods = client.list("v1", "Pod", NAMESPACE)["items"]
    return {pod["metadata"].get("annotations", {}).get("batch.kubernetes.io/job-completion-index", pod["metadata"]["name"]):
            client.pod_logs(NAMESPACE, pod["metadata"]["name"], pod["spec"]["containers"][0]["name"])
            for pod in pods if pod["metadata"].get("labels", {}).get("job-name") == job}


@pytest.fixture
def cluster_with_mapped_image() -> Iterator[EmbeddedCluster]:
    program = ImageProgram(_image(), (sys.executable, "-m", "chainsaw_py"), env={"PYTHONPATH": str(REPO)})
    with EmbeddedCluster(images=[program]) as cluster:
        yield cluster


def _create_setup(client: Any, failing_test: str | None) -> None:
    """The setup manifests and the shards' Job; ``failing_test`` gets an assertion that cannot hold."""
    for name in (*SETUP, "shards-job.yaml"):
        for doc in _documents(name):
            if failing_test and doc["kind"] == "ConfigMap":
                doc["data"][f"{failing_test}.yaml"] = doc["data"][f"{failing_test}.yaml"].replace(
                    f"test: {failing_test}\n", "test: something else\n").replace("(length(test)): 5", "(length(test)): 6")
            if failing_test and doc["kind"] == "Job":
                doc["spec"]["template"]["spec"]["containers"][0]["args"].append("--assert-timeout=1s")
            client.create(doc)


@pytest.mark.parametrize("failing_test", [None, "bravo"])
def test_the_indexed_job_runs_the_shards_in_pods(cluster_with_mapped_image: EmbeddedCluster,
                                                 failing_test: str | None) -> None:
    cluster = cluster_with_mapped_image
    client = connect(cluster.kubeconfig_path).client
    _create_setup(client, failing_test)
    job = _wait_for_job(client, "chainsaw-shards")
    logs = _pod_logs(client, "chainsaw-shards")
    names = ("alpha", "bravo", "charlie")
    expected = {name: "FAIL" if name == failing_test else "PASS" for name in names}
    for index, name in enumerate(names):  # each pod ran its own shard only
        assert re.search(rf"--- {expected[name]}: chainsaw/{name} ", logs[str(index)]), logs[str(index)]
        assert sum(re.search(r"--- (PASS|FAIL): chainsaw/", line) is not None
                   for line in logs[str(index)].splitlines()) == 1
    if failing_test is None:
        assert (job["status"].get("succeeded"), job["status"]["completedIndexes"]) == (3, "0-2"), logs
    else:  # the failing shard ran once (backoffLimitPerIndex: 0); the others still completed
        assert (job["status"]["completedIndexes"], job["status"]["failedIndexes"]) == ("0,2", "1"), logs
        assert job["status"]["conditions"][-1]["reason"] == "FailedIndexes"
    assert cluster.processes is not None
    claim = cluster.processes.folder / "claims" / NAMESPACE / "chainsaw-reports"
    assert sorted(path.name for path in claim.glob("shard-*.json")) == ["shard-0.json", "shard-1.json",
                                                                       "shard-2.json"]
    for doc in _documents("merge-job.yaml"):
        client.create(doc)
    merge = _wait_for_job(client, "chainsaw-merge")
    assert merge["status"].get("succeeded") == 1, _pod_logs(client, "chainsaw-merge")
    merged = json.loads((claim / "merged" / "chainsaw-report.json").read_text())
    statuses = {name: "failed" if name == failing_test else "passed" for name in names}
    assert sorted((test["group"], test["name"], test["status"]) for test in merged["tests"]) == [
        (f"shard-{index}", name, statuses[name]) for index, name in enumerate(names)]
    assert (claim / "merged" / "chainsaw-report.xml").read_text().count("<testcase ") == 3


# --------------------------------------------------------------------------------------- GitHub Actions


def _workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load((EXAMPLES / "github-actions.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _invocations(workflow: dict[Any, Any]) -> list[tuple[str, list[str]]]:
    """(job, argv) of every ``chainsaw-py`` command in a ``run:`` step, ``${{ ... }}`` filled with a value."""
    found = []
    for job_name, job in workflow["jobs"].items():
        for step in job["steps"]:
            text = re.sub(r"\$\{\{\s*matrix\.shard\s*\}\}", "1", step.get("run", ""))
            assert "${{" not in text, text
            for line in text.splitlines():
                words = shlex.split(line)
                if words[:1] == ["chainsaw-py"]:
                    found.append((str(job_name), words[1:]))
    return found


def _parse(argv: list[str]) -> tuple[Command, dict[str, Any], list[str]]:
    """Parse ``argv`` with the real command line; its errors fail the test."""
    command, rest = build_root().find(argv)
    assert command.run is not None and command.parent is not None, argv
    values, changed, positionals = command.flags.parse(rest)
    assert command.args is None or command.args(command, positionals) is None, argv
    for flag in command.flags.flags:
        if flag.choices and flag.name in changed:
            assert values[flag.dest] in flag.choices, (flag.name, values[flag.dest])
    return command, values, positionals


def test_the_workflow_is_well_formed() -> None:
    workflow = _workflow()
    shard, merge = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    assert shard["strategy"]["fail-fast"] is False
    assert merge["needs"] == "shard" and merge["if"] == "always()"
    uses = [step.get("uses", "") for job in (shard, merge) for step in job["steps"]]
    assert "actions/upload-artifact@v4" in uses and "actions/download-artifact@v4" in uses


def test_the_workflow_runs_real_commands_with_real_flags() -> None:
    workflow = _workflow()
    invocations = _invocations(workflow)
    assert [(job, argv[:2]) for job, argv in invocations] == [("shard", ["test", "--test-dir"]),
                                                              ("merge", ["report", "merge"])]
    command, test_values, _ = _parse(invocations[0][1])
    shards = workflow["jobs"]["shard"]["strategy"]["matrix"]["shard"]
    assert command.path == "chainsaw-py test" and test_values["shard_count"] == len(shards) == 3
    assert test_values["report_format"] == "JSON" and test_values["embedded"] is True
    upload = workflow["jobs"]["shard"]["steps"][-1]["with"]["path"].replace("${{ matrix.shard }}", "1")
    assert upload == f"{test_values['report_path']}/{test_values['report_name']}.json"  # the file the run writes
    command, values, positionals = _parse(invocations[1][1])
    assert command.path == "chainsaw-py report merge"
    assert values["report_format"] == ["JSON", "JUNIT-TEST"] and positionals == ["shards/shard-*.json"]


def test_a_wrong_flag_in_a_workflow_would_be_caught() -> None:
    from chainsaw_py.commands.flags import FlagError

    with pytest.raises(FlagError):
        _parse(["test", "--shard-idx", "1"])


def test_merging_what_the_workflow_uploads(tmp_path: Path) -> None:
    """The shard step's command, run for real on a small suite, then the merge step's."""
    suite = tmp_path / "e2e" / "one"
    suite.mkdir(parents=True)
    (suite / "chainsaw-test.yaml").write_text("apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata:\n"
                                              "  name: one\nspec:\n  steps:\n  - try:\n    - sleep:\n"
                                              "        duration: 1ms\n")
    (tmp_path / "e2e" / "two").mkdir()
    (tmp_path / "e2e" / "two" / "chainsaw-test.yaml").write_text(
        (suite / "chainsaw-test.yaml").read_text().replace("name: one", "name: two"))
    workflow = _workflow()
    shard_argv = _invocations(workflow)[0][1]
    files = []
    for index in range(2):
        argv = [word.replace("--embedded", "--no-cluster") for word in shard_argv]
        argv = [str(index) if word == "1" else word for word in argv]
        argv[argv.index("--shard-count") + 1] = "2"
        argv[argv.index("--test-dir") + 1] = str(tmp_path / "e2e")
        argv[argv.index("--report-path") + 1] = str(tmp_path / "reports")
        argv[argv.index("--report-name") + 1] = f"shard-{index}"
        _, values, _ = _parse(argv)
        options = options_from(argparse.Namespace(**values, args=[], changed=set()))
        options.quiet = True
        outcome, _ = api.run_to_string(options)
        assert outcome.ok and outcome.report_file is not None
        files.append(str(outcome.report_file))
    merged = api.merge_reports(files, formats=["JSON", "JUNIT-TEST"], path=str(tmp_path / "merged"), name="e2e")
    assert sorted((test.group, test.name) for test in merged.report.tests) == [("shard-0", "one"), ("shard-1", "two")]
