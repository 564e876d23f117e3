"""Done-when of the embedding issue: pytest (serial and ``-n 4``) gives the same pass/fail/skip results as
``chainsaw-py test`` over e2e/tempostack-aws and over Chainsaw's example suite.

The three runs of a suite go at the same time (they are mostly waiting). failFast is off in all of them:
with it, which tests are skipped depends on the order tests finish in, and pytest-xdist's order is not
Chainsaw's (the plugin's fail-fast itself is tested in test_plugin.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chainsaw_py.loading.model import OPERATION_KINDS
from tests.shared import CORPUS, requires_shared

from .helpers import (
    CORPUS_VALUES,
    TEMPOSTACK,
    Outcomes,
    console_outcomes,
    finish,
    junit_outcomes,
    start_cli,
    start_pytest,
)

RESOURCE_OPERATIONS = {"apply", "assert", "create", "delete", "error", "patch", "update"}
needs_corpus = requires_shared("corpus", "chainsaw-examples")
CLUSTER = "--embedded" if set(OPERATION_KINDS) >= RESOURCE_OPERATIONS else "--no-cluster"
"""On embedded clusters once the resource operations exist; before that without a cluster (the same
plumbing, and most tests fail fast)."""


def _plugin_flags(cli_flags: list[str]) -> list[str]:
    """The pytest options equivalent to the CLI's flags."""
    flags: list[str] = []
    pairs = iter(cli_flags)
    for flag in pairs:
        if flag in ("--config", "--values", "--set", "--set-string"):
            flags += [f"--chainsaw-{flag[2:]}", next(pairs)]
        elif flag == "--no-cluster":
            flags.append("--chainsaw-cluster=none")
        elif flag == "--embedded":
            flags.append("--chainsaw-cluster=embedded")
        else:
            raise AssertionError(f"no pytest equivalent for {flag}")
    return [*flags, "--chainsaw-fail-fast=false"]


def _compare(suite: Path, cli_flags: list[str], tmp_path: Path, timeout: float) -> Outcomes:
    cli = start_cli(["test", "--test-dir", ".", *cli_flags, "--fail-fast=false", "--full-name"], suite)
    common = ["--chainsaw", *_plugin_flags(cli_flags), "--rootdir", ".", "-o", "junit_family=xunit1", "-q", "."]
    serial = start_pytest([*common, "--junitxml", str(tmp_path / "serial.xml")], suite)
    parallel = start_pytest([*common, "-n", "4", "--junitxml", str(tmp_path / "parallel.xml")], suite)
    runs = {name: finish(process, timeout) for name, process in
            (("cli", cli), ("serial", serial), ("parallel", parallel))}
    for name, run in runs.items():
        assert run.returncode in (0, 1), f"{name} run broke (exit {run.returncode}):\n{run.output[-4000:]}"
    expected = console_outcomes(runs["cli"].output)
    assert expected, runs["cli"].output[-4000:]
    assert junit_outcomes(tmp_path / "serial.xml") == expected, runs["serial"].output[-4000:]
    assert junit_outcomes(tmp_path / "parallel.xml") == expected, runs["parallel"].output[-4000:]
    return expected


@pytest.mark.slow
@needs_corpus
def test_corpus(tmp_path: Path) -> None:
    outcomes = _compare(CORPUS, ["--config", "config.yaml", *CORPUS_VALUES, CLUSTER], tmp_path, 900)
    assert outcomes[("proxy", "proxy", "skipped")] == 1
    assert sum(count for (_, name, _), count in outcomes.items() if name == "scenarios") == 2


@pytest.mark.slow
def test_tempostack(tmp_path: Path) -> None:
    outcomes = _compare(TEMPOSTACK, [CLUSTER], tmp_path, 900)
    assert sum(outcomes.values()) == 1
    if CLUSTER == "--no-cluster":
        assert outcomes == {(".", "tempostack-aws", "failed"): 1}
