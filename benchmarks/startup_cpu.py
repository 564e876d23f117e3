"""CPU time of a whole ``chainsaw_py test`` process for a one-script test with ``--no-cluster``, next to a
bare ``python -c pass`` in the same run (issue 14: goal <= 0.15 s).

    python benchmarks/startup_cpu.py [--runs 7] [--json out.json]

The test is run once first, so that the suite's valid documents are recorded (``loading.validated``) and
the bytecode is compiled as on any second run (``--no-bytecode-cache``: compile every module in every run,
as this machine's ``PYTHONDONTWRITEBYTECODE`` makes it; see childenv.py). Prints the median user+system CPU
of both.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from childenv import child_environment

TEST = """apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: one-script
spec:
  steps:
  - try:
    - script:
        content: echo hello
"""


def child_cpu(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-bytecode-cache", action="store_true", help="compile every module in every run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="startup-") as name:
        directory = Path(name)
        (directory / "one").mkdir()
        (directory / "one" / "chainsaw-test.yaml").write_text(TEST, encoding="utf-8")
        env = {**child_environment(directory, not args.no_bytecode_cache),
               "CHAINSAW_PY_CACHE_DIR": str(directory / "cache")}
        run = [sys.executable, "-m", "chainsaw_py", "test", "one", "--no-cluster=true"]
        bare = [sys.executable, "-c", "pass"]
        child_cpu(run, directory, env)
        samples: dict[str, list[float]] = {"test": [], "bare": []}
        for _ in range(args.runs):  # alternate, so that load drifts touch both alike
            samples["test"].append(child_cpu(run, directory, env))
            samples["bare"].append(child_cpu(bare, directory, env))
    figures = {label: statistics.median(values) for label, values in samples.items()}
    print(f"one-script test, --no-cluster: {figures['test']:.3f} s CPU (median of {args.runs}); "
          f"bare python -c pass: {figures['bare']:.3f} s; {os.cpu_count()} CPUs"
          + (" (no bytecode cache)" if args.no_bytecode_cache else ""))
    if args.json:
        args.json.write_text(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
