"""Chainsaw's example suite without a cluster, run with upstream's flags (../shared/README.md): every
test that needs no cluster passes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chainsaw_py.api import TestOptions, run_to_string

RUNNABLE_WITHOUT_CLUSTER = {
    "command-output": ["command-output"],
    "metrics-decode": ["metrics-decode"],
    "script-env": ["script-env"],
    "sleep": ["sleep"],
    "test-info": ["test-info"],
    "timeout": ["timeout"],
    "values": ["values"],
}


def upstream_options(corpus: Path, folder: str, report_dir: Path) -> TestOptions:
    return TestOptions(
        test_dirs=[str(corpus / folder)], config=str(corpus / "config.yaml"),
        values=[str(corpus / "values.yaml")], set_values=["env=poc", "clusterDirectory=my-cluster"],
        set_string_values=["image.tag=01"], remarshal=True, no_cluster=True, no_color=True,
        report_format="JSON", report_path=str(report_dir))


@pytest.mark.parametrize("folder", sorted(RUNNABLE_WITHOUT_CLUSTER))
def test_runnable_example_passes(corpus: Path, folder: str, tmp_path: Path) -> None:
    if folder == "command-output" and not _on_path("kubectl"):
        pytest.skip("kubectl is not on PATH")
    outcome, output = run_to_string(upstream_options(corpus, folder, tmp_path))
    assert outcome.summary.failed == 0, output
    assert sorted(r.name for r in outcome.results if r.status == "passed") == RUNNABLE_WITHOUT_CLUSTER[folder], output
    report = json.loads((tmp_path / "chainsaw-report.json").read_text())
    assert {t["status"] for t in report["tests"]} == {"passed"}


def test_scenarios_first_test_passes_both_scenarios(corpus: Path, tmp_path: Path) -> None:
    outcome, output = run_to_string(upstream_options(corpus, "scenarios", tmp_path))
    first = [r for r in outcome.results if r.name == "scenarios"]
    assert [(r.scenario, r.status) for r in first] == [("scenario #1", "passed"), ("scenario #2", "passed")], output
    # The second test applies a ConfigMap: without a cluster it fails, and fail-fast skips the rest.
    second = [r.status for r in outcome.results if r.name == "scenarios-bindings"]
    assert second == ["failed", "skipped"], output
    assert "cluster client not set" in output


def test_cluster_tests_fail_without_a_cluster(corpus: Path, tmp_path: Path) -> None:
    outcome, output = run_to_string(upstream_options(corpus, "quick-start", tmp_path))
    assert outcome.summary.failed == 1
    assert "cluster client not set" in output


def _on_path(name: str) -> bool:
    return any((Path(p) / name).exists() for p in os.environ.get("PATH", "").split(os.pathsep))
