"""CPU time of a whole ``chainsaw_py test`` process for a one-script test with ``--no-cluster``, next to a
bare ``python -c pass`` in the same run (issue 14: goal <= 0.15 s).

    python benchmarks/startup_cpu.py [--runs 7] [--json out.json] [--baseline /path/to/other/checkout]

The test is run once first, so that the suite's valid documents are recorded (``loading.validated``) and
the bytecode is compiled as on any second run (``--no-bytecode-cache``: compile every module in every run,
as this machine's ``PYTHONDONTWRITEBYTECODE`` makes it; see childenv.py). Prints the median user+system CPU
of both. ``--baseline`` also runs another checkout's chainsaw_py (e.g. the main branch), alternating with
this one's in the same run, for a before/after on the same load.
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
    parser.add_argument("--baseline", type=Path, help="another checkout of chainsaw_py, measured alternately")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="startup-") as name:
        directory = Path(name)
        (directory / "one").mkdir()
        (directory / "one" / "chainsaw-test.yaml").write_text(TEST, encoding="utf-8")
        trees = {"test": child_environment(directory / "this", not args.no_bytecode_cache)}
        if args.baseline is not None:
            trees["baseline"] = child_environment(directory / "baseline", not args.no_bytecode_cache,
                                                  args.baseline.resolve())
        cache = {"CHAINSAW_PY_CACHE_DIR": str(directory / "cache")}
        run = [sys.executable, "-m", "chainsaw_py", "test", "one", "--no-cluster=true"]
        bare = [sys.executable, "-c", "pass"]
        for env in trees.values():
            child_cpu(run, directory, {**env, **cache})
        samples: dict[str, list[float]] = {label: [] for label in [*trees, "bare"]}
        for _ in range(args.runs):  # alternate, so that load drifts touch all alike
            for label, env in trees.items():
                samples[label].append(child_cpu(run, directory, {**env, **cache}))
            samples["bare"].append(child_cpu(bare, directory, trees["test"]))
    figures = {label: statistics.median(values) for label, values in samples.items()}
    baseline = f"; baseline {args.baseline}: {figures['baseline']:.3f} s" if args.baseline is not None else ""
    print(f"one-script test, --no-cluster: {figures['test']:.3f} s CPU (median of {args.runs}){baseline}; "
          f"bare python -c pass: {figures['bare']:.3f} s; {os.cpu_count()} CPUs"
          + (" (no bytecode cache)" if args.no_bytecode_cache else ""))
    if args.json:
        args.json.write_text(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
