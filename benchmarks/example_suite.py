"""Chainsaw's example suite on the embedded cluster, next to the sum of its ``sleep`` operations (the waits
the suite asks for; issue 14: goal <= 1.1x).

    python benchmarks/example_suite.py [--corpus DIR] [--only sleep,basic]
                                       [--json out.json]

Runs the suite the way tests/conformance/test_corpus_embedded.py does (its config runs one test at a time)
and prints the wall time of the run, the sleeps and their ratio. Needs the corpus and kubectl.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = next((folder / "shared" / "corpus" / "chainsaw-examples" for folder in REPO.parents
               if (folder / "shared" / "corpus" / "chainsaw-examples").is_dir()), REPO / "missing-corpus")
"""../shared's corpus, looked up from the nearest ancestor folder that has one (worktrees live deeper)."""


def sleep_seconds(tests: list[Any]) -> float:
    from chainsaw_py.golang.durations import parse_duration

    total = 0.0
    for discovered in tests:
        for step in discovered.test.spec.steps:
            for operation in [*step.try_, *(step.catch or []), *(step.finally_ or []), *(step.cleanup or [])]:
                if operation.type == "sleep":
                    total += parse_duration(operation.action.duration)
    return total


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--only", default="", help="comma-separated test folders (default: all)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not args.corpus.is_dir() or shutil.which("kubectl") is None:
        print("example suite: skipped (needs the corpus and kubectl)")
        return {}
    from chainsaw_py.api import TestOptions, run_to_string
    from chainsaw_py.loading.discovery import discover_tests

    folders = [str(args.corpus / name) for name in args.only.split(",") if name] or [str(args.corpus)]
    with tempfile.TemporaryDirectory(prefix="example-suite-") as report:
        options = TestOptions(
            test_dirs=folders, config=str(args.corpus / "config.yaml"), values=[str(args.corpus / "values.yaml")],
            set_values=["env=poc", "clusterDirectory=my-cluster"], set_string_values=["image.tag=01"],
            remarshal=True, selector=["!no-ko-test"], embedded=True, no_color=True, report_path=report)
        sleeps = sleep_seconds(discover_tests(folders, selector=["!no-ko-test"]))
        started = time.perf_counter()
        outcome, output = run_to_string(options)
        wall = time.perf_counter() - started
    failed = [r.full_name for r in outcome.results if r.status == "failed"]
    if failed:
        raise SystemExit(f"example suite failed: {failed}\n{output[-3000:]}")
    figures = {"wall_s": wall, "sleep_s": sleeps, "ratio": wall / sleeps if sleeps else float("nan"),
               "tests": float(len(outcome.results))}
    print(f"example suite ({len(outcome.results)} tests): {wall:.1f} s wall, sleeps {sleeps:.1f} s, "
          f"ratio {figures['ratio']:.2f}x (goal <= 1.1x); {os.cpu_count()} CPUs")
    if args.json:
        args.json.write_text(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
