"""Scale (issue 14): a generated suite of 2,000 tests (an ``apply`` then an ``assert`` of a ConfigMap each,
as suite_generated.py) loads in under 2 s and runs with ``--parallel 16`` on the embedded cluster without
errors or growing memory (RSS after the run within 1.5x of the RSS after 200 tests).

    python benchmarks/scale.py [--tests 2000] [--parallel 16] [--timeout 1200] [--json out.json]

Everything runs in one child process (bounded by ``--timeout``), with a bytecode cache as in
childenv.py (warmed by a two-test run first): it loads the suite twice (the first load validates every document and records it; the second
is what any later run costs), then runs it through ``api.run`` while a thread samples the process's RSS.
The RSS "after 200 tests" is taken when the 200th test has finished (its ``--- PASS``/``--- FAIL`` line is
only printed at the end, so the count is the tests started minus those still running: started >= 200 +
parallel); "after the run" once ``api.run`` has returned, after a garbage collection.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from childenv import child_environment
from suite_generated import generate

DRIVER = r"""
import gc, io, json, sys, threading, time
from chainsaw_py import api
from chainsaw_py.loading import discover_tests

suite, parallel, early = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
figures = {}
for label in ("load_first", "load"):
    started, cpu = time.perf_counter(), time.process_time()
    count = len(discover_tests([suite]))
    figures[label + "_s"], figures[label + "_cpu_s"] = time.perf_counter() - started, time.process_time() - cpu
figures["tests"] = count

def rss_mb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024

class Progress(io.TextIOBase):
    started = 0
    early_rss = None
    def writable(self):
        return True
    def write(self, text):
        self.started += text.count("=== CONT  chainsaw/")
        if self.early_rss is None and self.started >= early + parallel:
            gc.collect()
            self.early_rss = rss_mb()
        return len(text)

progress = Progress()
peak = [0.0]
done = threading.Event()
def sample():
    while not done.wait(0.2):
        peak[0] = max(peak[0], rss_mb())
threading.Thread(target=sample, daemon=True).start()
started = time.perf_counter()
outcome = api.run(api.TestOptions(test_dirs=[suite], embedded=True, parallel=parallel, no_color=True),
                  progress, handle_signals=False)
figures["run_s"] = time.perf_counter() - started
done.set()
gc.collect()
figures.update(rss_after_early_mb=progress.early_rss or 0.0, rss_after_run_mb=rss_mb(), rss_peak_mb=peak[0],
               passed=outcome.summary.passed, failed=outcome.summary.failed,
               failures=[f"{r.full_name}: {' / '.join(r.errors)[:500]}" for r in outcome.results
                         if r.status == "failed"][:10])
print(json.dumps(figures))
"""


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--early", type=int, default=200, help="the RSS reference: after this many tests")
    parser.add_argument("--timeout", type=float, default=1200.0, help="bound on the whole child process (s)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scale-") as name:
        scratch = Path(name)
        generate(scratch / "warm-up", 2)
        generate(scratch / "suite", args.tests)
        # the cluster in the measured process, so that its RSS is the whole run's (server and watch history too)
        env = {**child_environment(scratch), "CHAINSAW_PY_CACHE_DIR": str(scratch / "cache"),
               "CHAINSAW_PY_EMBEDDED": "in-process"}
        subprocess.run([sys.executable, "-c", DRIVER, str(scratch / "warm-up"), "1", "1"],  # compiles the bytecode
                       cwd=scratch, env=env, capture_output=True, timeout=args.timeout, check=True)
        result = subprocess.run([sys.executable, "-c", DRIVER, str(scratch / "suite"), str(args.parallel),
                                 str(min(args.early, args.tests))],
                                cwd=scratch, env=env, capture_output=True, text=True, timeout=args.timeout, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the scale run failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    growth = figures["rss_after_run_mb"] / figures["rss_after_early_mb"] if figures["rss_after_early_mb"] else 0.0
    figures["rss_growth"] = growth
    print(f"{figures['tests']} tests: loaded in {figures['load_first_s']:.2f} s ({figures['load_first_cpu_s']:.2f} s "
          f"CPU; first load, validating) and {figures['load_s']:.2f} s ({figures['load_cpu_s']:.2f} s CPU; again; "
          f"goal < 2 s); --parallel {args.parallel}: {figures['run_s']:.1f} s, "
          f"{figures['passed']} passed, {figures['failed']} failed; RSS {figures['rss_after_early_mb']:.0f} MB after "
          f"{min(args.early, args.tests)} tests, {figures['rss_after_run_mb']:.0f} MB after the run "
          f"({growth:.2f}x; goal <= 1.5x), peak {figures['rss_peak_mb']:.0f} MB; {os.cpu_count()} CPUs")
    for failure in figures["failures"]:
        print(f"  failed: {failure}")
    if args.json:
        args.json.write_text(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
