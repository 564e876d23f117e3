"""benchmarks/run_all.py with tiny sizes: every benchmark runs and the table has a figure per row (a smoke
test: nothing here checks a timing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str) -> object:
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # eight benchmark processes, six of them start an embedded cluster (~1-3 min on 2 cores)
def test_every_row_is_measured_with_tiny_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    run_all = load("run_all")
    table = run_all.main(["--tiny"])  # type: ignore[attr-defined]
    assert [what for what, _, _ in table] == [row.what for row in run_all.ROWS]  # type: ignore[attr-defined]
    assert all(figure and figure != "-" for _, figure, _ in table)
    assert "CPUs" in capsys.readouterr().out


def test_the_pod_check_matches_and_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    figures = load("checks_pods").main(["--pods", "5", "--rounds", "1", "--profile", "--both"])  # type: ignore[attr-defined]
    assert figures["ratio"] > 0 and figures["lean_ratio"] > 0
    assert "function calls" in capsys.readouterr().out


def test_the_get_path_benchmark_measures_every_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert load("embedded_get_path").main(["--requests", "3", "--rounds", "1", "--scheme", "http",  # type: ignore[attr-defined]
                                           "--same-request", "--transport"]) == 0
    out = capsys.readouterr().out
    assert all(f"{label} http" in out for label in ("this", "bare", "transport")) and "server µs/GET" in out


def test_the_scaling_benchmark_measures_merge_and_status_line(capsys: pytest.CaptureFixture[str]) -> None:
    figures = load("scaling_bench").main(["--shards", "2", "--tests", "3", "--lines", "50"])  # type: ignore[attr-defined]
    assert figures["merge"]["tests"] == 6 and figures["status"]["draws"] >= 1
    out = capsys.readouterr().out
    assert "report merge: 2 shards x 3 tests" in out and "status line: 50 lines" in out


@pytest.mark.parametrize("mode", ["process", "in-process"])
def test_the_suite_breakdown_reports_every_process_of_the_run(capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setenv("CHAINSAW_PY_EMBEDDED", mode)
    lines = load("suite_breakdown").main(["--tests", "2", "--parallel", "2"])  # type: ignore[attr-defined]
    runner = [line for line in lines if str(line["process"]).endswith("__main__.py")]
    cluster = [line for line in lines if str(line["process"]).endswith("child.py")]
    assert len(runner) == 1 and len(cluster) == (1 if mode == "process" else 0)
    assert {"cluster ready", "first test", "last test", "end"} <= set(runner[0]["marks"])
    roles = set(runner[0]["roles"]) | (set(cluster[0]["roles"]) if cluster else set())
    assert {"api server", "controllers", "runner and client"} <= roles
    assert "CPU by thread role" in capsys.readouterr().out


def test_the_create_pipeline_benchmark_measures_and_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    figures = load("create_pipeline").main(["--creates", "20", "--rounds", "1", "--profile"])  # type: ignore[attr-defined]
    assert figures["this checkout"]["thread_us"] > 0
    out = capsys.readouterr().out
    assert "function calls" in out and "handler CPU µs/create" in out
