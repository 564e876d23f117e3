"""Every row of issue 14's table, one benchmark each, printed as one table with the machine's core count.

    python benchmarks/run_all.py [--tiny]

Each benchmark runs in its own process (``python benchmarks/<name>.py ... --json``), so that start-up,
threads and memory of one do not touch the next. ``--tiny`` runs every one with tiny sizes (a smoke test:
the figures mean nothing). Loading speed of YAML test files is benchmarked separately (issue 14's loading
row belongs to the loading work: `python benchmarks/loading.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parent
REPO = BENCHMARKS.parent


@dataclass(frozen=True)
class Row:
    what: str
    goal: str
    script: str
    full: tuple[str, ...]
    tiny: tuple[str, ...]

    def figure(self, figures: dict[str, Any]) -> str:
        return _FIGURES[self.script](figures)


def _suite(parallel: str) -> Any:
    return lambda f: f"{f[parallel]['wall_s']:.1f} s" if parallel in f else "-"


_FIGURES = {
    "suite_generated_1": _suite("1"),
    "suite_generated_8": _suite("8"),
    "operations_assert_latency": lambda f: (f"{f['pairs_per_s_1']:.1f}/s (with Chainsaw's first wait "
                                            f"{f['pairs_per_s_1_first_wait']:.1f}/s)"),
    "checks_pods": lambda f: (f"{f['ratio']:.2f}x ({f['check_s'] * 1000:.0f} vs {f['json_loads_s'] * 1000:.0f} ms CPU);"
                              f" lean pods {f['lean_ratio']:.2f}x ({f['lean_check_s'] * 1000:.0f} vs"
                              f" {f['lean_json_loads_s'] * 1000:.0f} ms)"),
    "startup_cpu": lambda f: f"{f['test']:.3f} s (bare python {f['bare']:.3f} s)",
    "example_suite": lambda f: (f"{f['ratio']:.2f}x ({f['wall_s']:.1f} s vs {f['sleep_s']:.0f} s)"
                                if f else "skipped (no corpus/kubectl)"),
    "embedded_bench": lambda f: (f"{f['get_vs_bare_https']:.0%} sequential ({f['get_vs_bare_lean_https']:.0%} with "
                                 f"lean clients at once); creates {f['create_per_s_https']:.0f}/s sequential, "
                                 f"{f['create_aggregate_per_s_https']:.0f}/s with lean clients at once "
                                 f"({f['create_aggregate_urllib3_per_s_https']:.0f}/s urllib3)"),
    "scale": lambda f: (f"loads in {f['load_s']:.2f} s ({f['load_cpu_s']:.2f} s CPU); {f['passed']} passed, {f['failed']} failed in "
                        f"{f['run_s']:.0f} s; RSS {f['rss_growth']:.2f}x"),
}

ROWS = [
    Row("100 generated tests (apply + assert), --parallel 1", "<= 4 s", "suite_generated_1",
        ("suite_generated.py", "--tests", "100", "--parallel", "1"), ("suite_generated.py", "--tests", "2", "--parallel", "1")),
    Row("same, --parallel 8", "<= 2 s", "suite_generated_8",
        ("suite_generated.py", "--tests", "100", "--parallel", "8"), ("suite_generated.py", "--tests", "2", "--parallel", "8")),
    Row("apply+assert pairs per second, one thread", ">= 60", "operations_assert_latency",
        ("operations_assert_latency.py", "--rounds", "20", "--seconds", "5", "--chainsaw-first-wait"),
        ("operations_assert_latency.py", "--rounds", "1", "--seconds", "0.2", "--threads", "2", "--chainsaw-first-wait")),
    Row("assertion tree, two JMESPath filters, 10,000 pods vs json.loads", "<= 2x", "checks_pods",
        ("checks_pods.py", "--pods", "10000", "--both"), ("checks_pods.py", "--pods", "20", "--rounds", "1", "--both")),
    Row("`test` of a one-script test, --no-cluster, CPU", "<= 0.15 s", "startup_cpu",
        ("startup_cpu.py", "--runs", "7"), ("startup_cpu.py", "--runs", "1")),
    Row("Chainsaw's example suite vs its sleeps", "<= 1.1x", "example_suite",
        ("example_suite.py",), ("example_suite.py", "--only", "basic")),
    Row("embedded GET rate vs bare server; creates/s", ">= 90 %; >= 2,500/s", "embedded_bench",
        ("embedded_bench.py",), ("embedded_bench.py", "--seconds", "0.3", "--get-seconds", "0.3", "--rounds", "1",
                                 "--clients", "2", "--capacity-rounds", "1")),
    Row("2,000 tests: loading; --parallel 16 on the embedded cluster; RSS after the run vs after 200 tests",
        "< 2 s; no errors; <= 1.5x", "scale",
        ("scale.py", "--tests", "2000", "--parallel", "16"), ("scale.py", "--tests", "4", "--parallel", "2", "--early", "2")),
]


def run_row(row: Row, tiny: bool, scratch: Path) -> dict[str, Any]:
    output = scratch / f"{row.script}.json"
    argv = [sys.executable, str(BENCHMARKS / (row.tiny if tiny else row.full)[0]),
            *(row.tiny if tiny else row.full)[1:], "--json", str(output)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=3600, check=False)
    sys.stdout.write(result.stdout)
    if result.returncode != 0:
        raise SystemExit(f"{row.full[0]} failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(output.read_text())) if output.exists() else {}


def main(argv: list[str] | None = None) -> list[tuple[str, str, str]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: a smoke test, not a measurement")
    args = parser.parse_args(argv)
    table: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="benchmarks-") as name:
        for row in ROWS:
            table.append((row.what, row.figure(run_row(row, args.tiny, Path(name))), row.goal))
    width = max(len(what) for what, _, _ in table)
    print(f"\nissue 14 on {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f})"
          + (" -- tiny sizes, figures meaningless" if args.tiny else ""))
    print(f"| {'what':<{width}} | measured | goal |")
    for what, figure, goal in table:
        print(f"| {what:<{width}} | {figure} | {goal} |")
    return table


if __name__ == "__main__":
    main()
