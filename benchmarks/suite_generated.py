"""Generated suites on the embedded cluster: N tests, each an ``apply`` then an ``assert`` of a ConfigMap,
run by ``python -m chainsaw_py test --embedded`` at several ``--parallel`` values in one run.

    python benchmarks/suite_generated.py [--tests 100] [--parallel 1 8] [--json out.json]

Prints, per ``--parallel``, the wall time of the whole process (start-up, embedded cluster, loading,
running, cleanup) and the peak RSS of the process; ``--json`` also writes them. A first run of a one-test
suite, not measured, compiles the bytecode (``--no-bytecode-cache``: compile in every run; see childenv.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from childenv import child_environment

TEST = """apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: generated-{index}
spec:
  steps:
  - try:
    - apply:
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: cm-{index}
          data:
            index: "{index}"
    - assert:
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: cm-{index}
          data:
            index: "{index}"
"""


def generate(directory: Path, count: int) -> None:
    for index in range(count):
        folder = directory / f"t{index:05d}"
        folder.mkdir(parents=True)
        (folder / "chainsaw-test.yaml").write_text(TEST.format(index=index), encoding="utf-8")


def run_suite(directory: Path, parallel: int, env: dict[str, str]) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "chainsaw_py", "test", str(directory), "--embedded=true",
                             "--quiet=true", "--no-color=true", "--parallel", str(parallel)],
                            cwd=directory, env=env, capture_output=True, text=True, timeout=1800, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"the generated suite failed (parallel {parallel}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return {"wall_s": wall, "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
            "max_rss_mb": after.ru_maxrss / 1024}


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=100)
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-bytecode-cache", action="store_true", help="compile every module in every run")
    args = parser.parse_args(argv)
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="generated-suite-") as name:
        directory = Path(name) / "suite"
        env = child_environment(Path(name), not args.no_bytecode_cache)
        generate(Path(name) / "warm-up", 1)
        run_suite(Path(name) / "warm-up", 1, env)
        generate(directory, args.tests)
        for parallel in args.parallel:
            figures[str(parallel)] = run_suite(directory, parallel, env)
            run = figures[str(parallel)]
            print(f"{args.tests} tests, --parallel {parallel}: {run['wall_s']:.2f} s wall, {run['cpu_s']:.2f} s CPU "
                  f"(peak RSS of the largest child so far {run['max_rss_mb']:.0f} MB)", flush=True)
    print(f"({os.cpu_count()} CPUs)")
    if args.json:
        args.json.write_text(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
