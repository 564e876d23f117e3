"""Speed and memory of loading test files: MB/s and RSS for one large test file at growing sizes (the
time and memory should grow linearly), for a file of large inline resources (CRDs), and the time to
discover and load a suite of many small tests.

    python benchmarks/loading.py                       # 1, 2 and 4 MB files; a suite of 2,000 tests
    python benchmarks/loading.py --megabytes 8 --tests 500
    python benchmarks/loading.py --source /path/to/other/checkout   # the same figures for another tree

Each measurement runs in a fresh interpreter (``--source`` decides which chainsaw_py it imports), so that
RSS is the process's own: "RSS +MB" is the growth of the resident set while loading, "peak" the highest
resident set of the process. Prints figures only; no assertions (they depend on the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_STEP = """  - name: step-{i}
    try:
    - apply:
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: cm-{i}
            labels:
              app: demo
              index: "{i}"
          data:
            key: value-{i}
            other: "some longer text to fill the line {i}"
    - assert:
        timeout: 30s
        resource:
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: cm-{i}
          data:
            (length(key) > `0`): true
    - script:
        content: echo hello {i}
        check:
          ($error == null): true
"""
_HEADER = """apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: {name}
spec:
  steps:
"""

_MEASURE = """
import json, resource, sys, time
from chainsaw_py.loading import discover_tests, load_test_file

def rss_mb():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20

mode, target = sys.argv[1], sys.argv[2]
before = rss_mb()
wall, cpu = time.perf_counter(), time.process_time()
loaded = load_test_file(target) if mode == "file" else discover_tests([target])
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps({"found": len(loaded), "wall": wall, "cpu": cpu, "rss_growth": rss_mb() - before,
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def test_file_text(megabytes: float, name: str = "large") -> str:
    """A valid test file of about ``megabytes`` MB (steps with apply, assert and script operations)."""
    step_size = len(_STEP.format(i=1000))
    steps = max(1, int(megabytes * 2**20 / step_size))
    return _HEADER.format(name=name) + "".join(_STEP.format(i=i) for i in range(steps))


def _schema(depth: int, indent: int) -> str:
    pad = " " * indent
    if depth == 0:
        return f"{pad}type: string\n{pad}description: a leaf field with some text describing it\n"
    fields = "".join(f"{pad}  field{i}:\n" + _schema(depth - 1, indent + 4) for i in range(4))
    return f"{pad}type: object\n{pad}description: an object at depth {depth}\n{pad}properties:\n" + fields


def resource_heavy_text(megabytes: float) -> str:
    """A valid test file of about ``megabytes`` MB whose steps apply large CRDs (deep OpenAPI schemas)."""
    crd = ("  - try:\n    - apply:\n        resource:\n          apiVersion: apiextensions.k8s.io/v1\n"
           "          kind: CustomResourceDefinition\n          metadata:\n            name: things{i}.example.com\n"
           "          spec:\n            group: example.com\n            versions:\n            - name: v1\n"
           "              served: true\n              storage: true\n              schema:\n"
           "                openAPIV3Schema:\n") + _schema(4, 18).replace("{", "{{").replace("}", "}}")
    steps = max(1, int(megabytes * 2**20 / len(crd)))
    return _HEADER.format(name="crds") + "".join(crd.format(i=i) for i in range(steps))


def write_suite(root: Path, count: int) -> None:
    for index in range(count):
        folder = root / f"test-{index:05d}"
        folder.mkdir(parents=True)
        (folder / "chainsaw-test.yaml").write_text(_HEADER.format(name=f"test-{index}") + _STEP.format(i=index))


def measure(source: Path, mode: str, target: Path) -> dict[str, float]:
    environment = {**os.environ, "PYTHONPATH": str(source)}
    result = subprocess.run([sys.executable, "-c", _MEASURE, mode, str(target)], env=environment, cwd=source,
                            capture_output=True, text=True, timeout=3600, check=False)
    if result.returncode != 0:
        raise SystemExit(f"measurement failed: {result.stderr.strip().splitlines()[-1:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=1.0, help="size of the smallest file (then 2x, 4x)")
    parser.add_argument("--tests", type=int, default=2000, help="tests in the suite")
    parser.add_argument("--source", type=Path, default=REPO, help="the checkout whose chainsaw_py is measured")
    args = parser.parse_args()
    print(f"chainsaw_py from {args.source}; {os.cpu_count()} cores")
    print(f"{'case':34} {'MB':>7} {'wall s':>8} {'cpu s':>8} {'MB/s':>7} {'RSS +MB':>8} {'peak MB':>8}")
    with tempfile.TemporaryDirectory(prefix="chainsaw-py-bench-") as scratch:
        for factor in (1, 2, 4):
            path = Path(scratch) / f"file-{factor}.yaml"
            path.write_text(test_file_text(args.megabytes * factor))
            size = path.stat().st_size / 2**20
            figures = measure(args.source, "file", path)
            print(f"{'one test file':34} {size:7.2f} {figures['wall']:8.2f} {figures['cpu']:8.2f} "
                  f"{size / figures['cpu']:7.2f} {figures['rss_growth']:8.1f} {figures['peak']:8.1f}")
        path = Path(scratch) / "resources.yaml"
        path.write_text(resource_heavy_text(args.megabytes * 2))
        size = path.stat().st_size / 2**20
        figures = measure(args.source, "file", path)
        print(f"{'one test file of large resources':34} {size:7.2f} {figures['wall']:8.2f} {figures['cpu']:8.2f} "
              f"{size / figures['cpu']:7.2f} {figures['rss_growth']:8.1f} {figures['peak']:8.1f}")
        suite = Path(scratch) / "suite"
        write_suite(suite, args.tests)
        size = sum(file.stat().st_size for file in suite.rglob("*.yaml")) / 2**20
        figures = measure(args.source, "suite", suite)
        label = f"suite of {args.tests} tests ({int(figures['found'])})"
        print(f"{label:34} {size:7.2f} {figures['wall']:8.2f} {figures['cpu']:8.2f} "
              f"{size / figures['cpu']:7.2f} {figures['rss_growth']:8.1f} {figures['peak']:8.1f}")
    print("MB/s is per CPU second (the machine is shared; wall time is also shown).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
