"""The plugin's shard flags split a suite as ``chainsaw-py test --shard-index/--shard-count`` does, also under
pytest-xdist (each test of the shard runs once), and the shards partition the suite. Without a cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import (
    Outcomes,
    collect,
    console_outcomes,
    finish,
    junit_outcomes,
    make_test,
    run_pytest,
    start_cli,
    write_files,
)

COUNT = 3


def _passes(name: str, spec: str = "") -> str:
    return make_test(name, "  - try:\n    - script:\n        content: 'true'\n", spec=spec)


SCENARIOS = _passes("matrix", "  scenarios:\n  - name: one\n  - name: two\n  - {}\n")
SUITE = {  # pytest walks a, a/b, a-b; the CLI sorts paths as strings: a, a-b, a/b (and shard 0 ends in between)
    "a/chainsaw-test.yaml": _passes("a-first") + "---\n" + _passes("a-second") + "---\n" + _passes("a-third"),
    "a/b/chainsaw-test.yaml": _passes("nested"),
    "a-b/chainsaw-test.yaml": _passes("dashed"),
    "a0/chainsaw-test.yaml": SCENARIOS,
    "b/chainsaw-test.yaml": _passes("skipped", "  skip: true\n"),
    "c/00-assert.yaml": "(`1`): 1\n",
    "d/chainsaw-test.yaml": _passes("serial", "  concurrent: false\n") + "---\n" + _passes("d-second") + "---\n"
    + _passes("d-third"),
    "e/f/g/chainsaw-test.yaml": _passes("deep"),
    "e/chainsaw-test.yaml": _passes("e-only"),
}
PLUGIN = ["--chainsaw", "--chainsaw-cluster=none", "-p", "no:randomly"]


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("sharded"), SUITE)


@pytest.fixture(scope="module")
def cli_shards(suite: Path) -> list[Outcomes]:
    """The outcomes of ``chainsaw-py test`` for each shard (the runs go at the same time)."""
    common = ["test", "--test-dir", ".", "--no-cluster", "--full-name", f"--shard-count={COUNT}"]
    processes = [start_cli([*common, f"--shard-index={index}"], suite) for index in range(COUNT)]
    shards = []
    for process in processes:
        run = finish(process, timeout=120)
        assert run.returncode == 0, run.output
        shards.append(console_outcomes(run.output))
    return shards


def _tests(outcomes: Outcomes) -> set[tuple[str, str]]:
    return {(folder, name) for folder, name, _status in outcomes}


def _collected_tests(node_ids: list[str]) -> set[tuple[str, str]]:
    """(folder, test name) of node ids such as ``a0/chainsaw-test.yaml::matrix[one]`` or ``a/...::x#01``."""
    tests = set()
    for node_id in node_ids:
        file, name = node_id.split("::")
        tests.add((str(Path(file).parent), name.split("[")[0].split("#")[0]))
    return tests


def test_the_shards_partition_the_suite(cli_shards: list[Outcomes]) -> None:
    everything = sum(cli_shards, Outcomes())
    assert sum(everything.values()) == 15  # 13 tests, one with three scenarios
    assert ("a-b", "dashed") in _tests(cli_shards[0]) and ("a/b", "nested") in _tests(cli_shards[1])
    assert all(cli_shards), cli_shards
    for index, shard in enumerate(cli_shards):
        for other in cli_shards[index + 1:]:
            assert not _tests(shard) & _tests(other)


@pytest.mark.parametrize("index", range(COUNT))
def test_collection_keeps_the_clis_shard(suite: Path, cli_shards: list[Outcomes], index: int) -> None:
    node_ids = collect([*PLUGIN, f"--chainsaw-shard-index={index}", f"--chainsaw-shard-count={COUNT}"], suite)
    assert _collected_tests(node_ids) == _tests(cli_shards[index])


@pytest.mark.parametrize("index", range(COUNT))
def test_xdist_runs_each_test_of_the_shard_once(suite: Path, cli_shards: list[Outcomes], index: int,
                                                tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    run = run_pytest([*PLUGIN, "-n", "2", f"--chainsaw-shard-index={index}", f"--chainsaw-shard-count={COUNT}",
                      "-o", "junit_family=xunit1", "--junitxml", str(junit), "-q"], suite)
    assert run.returncode == 0, run.output
    assert junit_outcomes(junit) == cli_shards[index], run.output


def test_a_negative_shard_index_is_a_usage_error(suite: Path) -> None:
    run = run_pytest([*PLUGIN, "--chainsaw-shard-index=-1", "--chainsaw-shard-count=2"], suite)
    assert run.returncode == 4, run.output
    assert "chainsaw_shard_index: invalid value -1 (must not be negative)" in run.output
    assert "Traceback" not in run.output


def test_ini_settings_shard_too(suite: Path, cli_shards: list[Outcomes]) -> None:
    node_ids = collect([*PLUGIN, "-o", "chainsaw_shard_index=2", "-o", f"chainsaw_shard_count={COUNT}"], suite)
    assert _collected_tests(node_ids) == _tests(cli_shards[2])
