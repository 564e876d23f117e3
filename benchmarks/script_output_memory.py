"""Peak memory of the runner when a script prints a lot (issue 10: 200 MB of output cost 1.2-1.5 GB).

    python benchmarks/script_output_memory.py [--megabytes 200] [--check]

Runs ``chainsaw-py test --no-cluster`` in a child process on a one-script suite that prints the given
amount (1 KiB lines), with the console going to /dev/null, and prints the child's peak RSS. ``--check``
adds a ``check`` that reads ``$stdout``, which makes the runner hold the output whole once.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SUITE = """apiVersion: chainsaw.kyverno.io/v1alpha1
kind: Test
metadata:
  name: loud
spec:
  steps:
  - try:
    - script:
        content: python -c "import sys; [sys.stdout.write('x' * 1023 + chr(10)) for _ in range({megabytes} * 1024)]"
        timeout: 10m{check}
"""
CHECK = """
        check:
          (length($stdout) > `0`): true"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        suite = Path(directory)
        (suite / "chainsaw-test.yaml").write_text(SUITE.format(megabytes=args.megabytes,
                                                               check=CHECK if args.check else ""))
        started = time.monotonic()
        completed = subprocess.run([sys.executable, "-m", "chainsaw_py", "test", str(suite), "--no-cluster"],
                                   env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.DEVNULL,
                                   check=False)
        elapsed = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{args.megabytes} MB of script output{' with a $stdout check' if args.check else ''}: "
          f"exit {completed.returncode}, peak RSS {peak:.0f} MB, {elapsed:.1f}s")


if __name__ == "__main__":
    main()
