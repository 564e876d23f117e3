"""Rendering time and size of the HTML report for a large synthetic run.

    python benchmarks/html_report.py [--tests 2000] [--steps 5] [--operations 5] [--workers 8] [--output-chars 500]

Builds a report of ``tests`` tests run on ``workers`` workers, each with ``steps`` steps of ``operations``
operations, each operation with ``output-chars`` characters of output (a tenth of them failing with a diff;
the defaults stay under the 32 MB a run records, ``report.model.OUTPUT_BUDGET``),
then prints the time ``render_html`` took, the page's size and the lanes found.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chainsaw_py.report.html import render_html
from chainsaw_py.report.model import OperationReport, Report, StepReport, TestReport

START = datetime(2024, 1, 1, tzinfo=UTC)
DIFF = "--- expected\n+++ actual\n@@ -1,2 +1,2 @@\n data:\n-  key: a\n+  key: b"


def build(tests: int, steps: int, operations: int, workers: int, output_chars: int) -> Report:
    report = Report(start_time=START)
    clock = [0.0] * workers
    for index in range(tests):
        worker = index % workers
        begin = clock[worker]
        test = TestReport(base_path=f"e2e/t{index}", name=f"test-{index}", labels={"team": f"t{index % 7}"},
                          start_time=START + timedelta(seconds=begin))
        for step_index in range(steps):
            step = StepReport(name=f"step-{step_index}", start_time=START + timedelta(seconds=begin))
            for op_index in range(operations):
                failed = (index + step_index + op_index) % 10 == 0
                step.add(OperationReport(type="assert", start_time=START + timedelta(seconds=begin),
                                         end_time=START + timedelta(seconds=begin + 0.1),
                                         error=DIFF if failed else None, output="x" * output_chars))
                begin += 0.1
            step.end_time = START + timedelta(seconds=begin)
            test.add(step)
        test.end_time = START + timedelta(seconds=begin)
        clock[worker] = begin + 0.01
        report.add(test)
    report.end_time = START + timedelta(seconds=max(clock))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--operations", type=int, default=5)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--output-chars", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    report = build(args.tests, args.steps, args.operations, args.workers, args.output_chars)
    began = time.perf_counter()
    page = render_html(report)
    seconds = time.perf_counter() - began
    figures = {"tests": args.tests, "operations": args.tests * args.steps * args.operations,
               "render_s": round(seconds, 3), "size_mb": round(len(page.encode()) / 1e6, 2),
               "lanes": page.count('<div class="lane">')}
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{figures['tests']} tests, {figures['operations']} operations: rendered in {seconds:.2f} s, "
              f"{figures['size_mb']} MB, {figures['lanes']} lanes")


if __name__ == "__main__":
    main()
