"""Figures for docs/scaling.md: merging shard reports, and what the terminal status line costs.

    python benchmarks/scaling_bench.py [--shards 8] [--tests 500] [--lines 20000]

- merge: ``--shards`` JSON reports of ``--tests`` tests each (3 steps of 3 operations) read back, checked,
  merged and written as JSON and JUnit; prints the seconds and tests per second;
- status line: ``--lines`` console lines written with and without the status line kept below them (to an
  in-memory stream); prints both times and the status redraws per second (bounded at 10).
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from datetime import UTC, datetime, timedelta

from chainsaw_py.report.console import Console
from chainsaw_py.report.merge import load_shards, merge_reports, suite_fingerprint
from chainsaw_py.report.model import OperationReport, Report, ShardInfo, StepReport, TestReport
from chainsaw_py.report.progress import RunProgress, live_status
from chainsaw_py.report.writers import save_report


def _shard(index: int, count: int, tests: int, suite: str) -> Report:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=index)
    report = Report(start_time=start, end_time=start + timedelta(minutes=5), shard=ShardInfo(index, count, suite))
    for number in range(tests):
        steps = [StepReport(f"step {s}", start, start, [OperationReport("apply", start, start, None, f"op {o}")
                                                          for o in range(3)]) for s in range(3)]
        report.tests.append(TestReport(f"suite/t{index}-{number}", f"t{index}-{number}", True, start, start,
                                       f"chainsaw-{number}", False, steps))
    return report


def measure_merge(shards: int, tests: int) -> dict[str, float]:
    suite = suite_fingerprint([("suite", "all")])
    with tempfile.TemporaryDirectory() as folder:
        files = [str(save_report(_shard(index, shards, tests, suite), "JSON", folder, f"shard-{index}"))
                 for index in range(shards)]
        began = time.perf_counter()
        merged = merge_reports(load_shards(files))
        for format in ("JSON", "JUNIT-TEST"):
            save_report(merged, format, folder, "merged")
        seconds = time.perf_counter() - began
    total = shards * tests
    return {"tests": total, "seconds": seconds, "tests_per_second": total / seconds}


def measure_status(lines: int) -> dict[str, float]:
    plain = io.StringIO()
    console = Console(plain)
    began = time.perf_counter()
    for number in range(lines):
        console.write(f"    | 12:00:00 | test | step | APPLY     | RUN   | line {number}")
    without = time.perf_counter() - began
    shown = io.StringIO()
    console = Console(shown)
    progress = RunProgress()
    progress.expect(lines)
    began = time.perf_counter()
    with live_status(console, progress):
        for number in range(lines):
            console.write(f"    | 12:00:00 | test | step | APPLY     | RUN   | line {number}")
            progress.started()
            progress.finished(failed=False)
    with_status = time.perf_counter() - began
    draws = shown.getvalue().count("chainsaw: ")
    return {"without": without, "with": with_status, "draws": draws, "draws_per_second": draws / with_status}


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--tests", type=int, default=500)
    parser.add_argument("--lines", type=int, default=20000)
    args = parser.parse_args(argv)
    merge = measure_merge(args.shards, args.tests)
    print(f"report merge: {args.shards} shards x {args.tests} tests = {merge['tests']:.0f} tests read, merged and "
          f"written (JSON + JUnit) in {merge['seconds']:.2f}s ({merge['tests_per_second']:.0f} tests/s)")
    status = measure_status(args.lines)
    print(f"status line: {args.lines} lines in {status['without']:.3f}s without it, {status['with']:.3f}s with it; "
          f"{status['draws']:.0f} redraws ({status['draws_per_second']:.1f}/s)")
    return {"merge": merge, "status": status}


if __name__ == "__main__":
    main()
