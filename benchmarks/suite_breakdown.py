"""Where the CPU of a generated suite on the embedded cluster goes: start-up before the first test, then the
tests, split by thread role (runner and client, API server, controllers, watches), for each process of the run.

    python benchmarks/suite_breakdown.py [--tests 100] [--parallel 8] [--json out.json]

Runs ``python -m chainsaw_py test --embedded`` on the suite of ``suite_generated.py`` in a child process that
samples ``/proc/self/task/*/stat`` (CPU per thread, mapped to thread names) every 20 ms and records
``os.times()`` at four moments: the interpreter's start (from ``/proc/self/stat``), the cluster ready, the
first test started, the last test ended. When the embedded cluster runs in a process of its own
(``CHAINSAW_PY_EMBEDDED_PROCESS``, docs/embedded.md), that process reports the same figures through the
environment variable ``CHAINSAW_PY_BREAKDOWN`` (a file each process appends its JSON line to).
Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from childenv import child_environment
from suite_generated import generate

PROBE = r'''
import json, os, sys, threading, time
out = os.environ["CHAINSAW_PY_BREAKDOWN"]
tick = os.sysconf("SC_CLK_TCK")
boot_ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
uptime = float(open("/proc/uptime").read().split()[0])
started_ago = uptime - boot_ticks / tick          # seconds since this process started
origin = time.monotonic() - started_ago
marks = {}
cpu_by_tid = {}
names = {}

def cpu_now():
    t = os.times()
    return t.user + t.system

def mark(name):
    if name not in marks:
        marks[name] = (time.monotonic() - origin, cpu_now())

def sample():
    for thread in threading.enumerate():
        if thread.native_id is not None:
            names[thread.native_id] = thread.name
    for tid in os.listdir("/proc/self/task"):
        try:
            fields = open(f"/proc/self/task/{tid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu_by_tid[int(tid)] = (int(fields[11]) + int(fields[12])) / tick

def sampler():
    while True:
        sample()
        time.sleep(0.02)

threading.Thread(target=sampler, name="breakdown-sampler", daemon=True).start()

def role(name):
    if name.startswith("embedded-http-worker") or name == "embedded-apiserver":
        return "api server"
    if name.startswith("embedded-controller") or name == "embedded-resync":
        return "controllers"
    if name.startswith("watch-"):
        return "client watches"
    if name == "MainThread" or name.startswith("chainsaw"):
        return "runner and client"
    if name == "breakdown-sampler":
        return "sampler"
    return "other"

def report():
    sample()
    mark("end")
    roles = {}
    for tid, seconds in cpu_by_tid.items():
        key = role(names.get(tid, "?"))
        roles[key] = roles.get(key, 0.0) + seconds
    line = {"process": sys.argv[0] if sys.argv else "?", "pid": os.getpid(), "marks": marks, "roles": roles}
    with open(out, "a") as handle:
        handle.write(json.dumps(line) + "\n")

import atexit
atexit.register(report)
_os_exit = os._exit
def _exit_reporting(code):
    report()
    _os_exit(code)
os._exit = _exit_reporting   # the embedded cluster's process skips the interpreter's teardown
'''

HOOKS = r'''
from chainsaw_py.runner import runner as _runner_module
_original_runner_run = _runner_module.Runner.run
def _runner_run(self, *args, **kwargs):
    mark("cluster ready")
    return _original_runner_run(self, *args, **kwargs)
_runner_module.Runner.run = _runner_run
_original_pass_run = _runner_module.RunPass.run
def _pass_run(self, instance):
    mark("first test")
    try:
        return _original_pass_run(self, instance)
    finally:
        marks["last test"] = (time.monotonic() - origin, cpu_now())
_runner_module.RunPass.run = _pass_run
'''


def write_probe(folder: Path) -> Path:
    """A ``sitecustomize`` that every Python process of the run loads (the probe), and the hooks that mark
    the runner's moments."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        PROBE + "\nif os.environ.get('CHAINSAW_PY_BREAKDOWN_HOOKS') == '1':\n"
        "    import importlib.abc, importlib.machinery\n"
        "    _hooks = " + repr(HOOKS) + "\n"
        "    class _After(importlib.abc.MetaPathFinder):\n"
        "        def find_spec(self, name, path, target=None):\n"
        "            if name == 'chainsaw_py.api':\n"
        "                sys.meta_path.remove(self)\n"
        "                spec = importlib.machinery.PathFinder.find_spec(name, path)\n"
        "                loader = spec.loader\n"
        "                original = loader.exec_module\n"
        "                def exec_module(module):\n"
        "                    original(module)\n"
        "                    exec(_hooks, globals())\n"
        "                loader.exec_module = exec_module\n"
        "                return spec\n"
        "            return None\n"
        "    sys.meta_path.insert(0, _After())\n", encoding="utf-8")
    return folder


def main(argv: list[str] | None = None) -> list[dict[str, object]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=100)
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not os.path.isdir("/proc"):
        raise SystemExit("suite_breakdown needs /proc (Linux)")
    with tempfile.TemporaryDirectory(prefix="suite-breakdown-") as name:
        scratch = Path(name)
        env = child_environment(scratch)
        probe = write_probe(scratch / "probe")
        env["PYTHONPATH"] = f"{env['PYTHONPATH']}{os.pathsep}{probe}"
        warm = scratch / "warm-up"
        generate(warm, 1)
        suite = scratch / "suite"
        generate(suite, args.tests)
        lines: list[dict[str, object]] = []
        for folder, measured in ((warm, False), (suite, True)):
            output = scratch / ("warm.jsonl" if not measured else "run.jsonl")
            run_env = {**env, "CHAINSAW_PY_BREAKDOWN": str(output), "CHAINSAW_PY_BREAKDOWN_HOOKS": "1"}
            done = subprocess.run([sys.executable, "-m", "chainsaw_py", "test", str(folder), "--embedded=true",
                                   "--quiet=true", "--no-color=true", "--parallel", str(args.parallel)],
                                  cwd=folder, env=run_env, capture_output=True, text=True, timeout=600, check=False)
            if done.returncode != 0:
                raise SystemExit(f"the suite failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
            if measured:
                lines = [json.loads(line) for line in output.read_text().splitlines()]
    for line in lines:
        print(describe(line))
    print(f"({os.cpu_count()} CPUs, {args.tests} tests, --parallel {args.parallel})")
    if args.json:
        args.json.write_text(json.dumps(lines))
    return lines


def describe(line: dict[str, object]) -> str:
    marks: dict[str, list[float]] = line["marks"]  # type: ignore[assignment]
    roles: dict[str, float] = line["roles"]  # type: ignore[assignment]
    parts = [f"process {line['process']} (pid {line['pid']}):"]
    previous = ("start", 0.0, 0.0)
    for name in ("cluster ready", "first test", "last test", "end"):
        if name in marks:
            wall, cpu = marks[name]
            parts.append(f"  {previous[0]} -> {name}: {wall - previous[1]:.2f} s wall, {cpu - previous[2]:.2f} s CPU")
            previous = (name, wall, cpu)
    parts.append("  CPU by thread role: " + ", ".join(f"{role} {seconds:.2f} s"
                                                      for role, seconds in sorted(roles.items(), key=lambda r: -r[1])))
    return "\n".join(parts)


if __name__ == "__main__":
    main()
