"""Running pytest (with the plugin) and the CLI in subprocesses, and reading their results.

The plugin is exercised the way users get it: pytest in a child process, the plugin loaded through its
``pytest11`` entry point (or with ``-p`` when the package is not installed).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEMPOSTACK = REPO / "e2e" / "tempostack-aws"

CORPUS_VALUES = ["--values", "values.yaml", "--set", "env=poc", "--set", "clusterDirectory=my-cluster",
                 "--set-string", "image.tag=01"]
"""How upstream runs its example suite (../shared/README.md), less --remarshal."""

Outcomes = Counter[tuple[str, str, str]]
"""(folder relative to the suite, test name, status) -> how many instances."""


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str


QUIET_PLUGINS = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark"]
"""Plugins the child runs do not need (hypothesis alone takes a second to import)."""


def _plugin_args() -> list[str]:
    installed = any(entry.value == "chainsaw_py.pytest_plugin" for entry in metadata.entry_points(group="pytest11"))
    return [] if installed else ["-p", "chainsaw_py.pytest_plugin"]


def environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTEST_", "AWS_")) and key not in ("KUBECONFIG", "FORCE_COLOR")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def run_pytest(args: list[str], cwd: Path, timeout: float = 300, **env: str) -> Run:
    """``python -m pytest`` in ``cwd`` (no cache, no ini file from above ``cwd`` unless given)."""
    command = [sys.executable, "-m", "pytest", *QUIET_PLUGINS, *_plugin_args(), *args]
    return run_command(command, cwd, timeout, env)


def start_pytest(args: list[str], cwd: Path, **env: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "pytest", *QUIET_PLUGINS, *_plugin_args(), *args]
    return subprocess.Popen(command, cwd=cwd, env=environment(**env), text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def collect(args: list[str], rootdir: Path) -> list[str]:
    """The node ids pytest collects (and keeps) for ``args`` in ``rootdir``, in this process: faster than a
    child process for checks of collection alone. Raises if collection fails."""
    import pytest

    collected: list[str] = []

    class Recorder:
        def pytest_collection_finish(self, session: pytest.Session) -> None:
            collected.extend(item.nodeid for item in session.items)

    plugins: list[object] = [Recorder()]
    if _plugin_args():
        import chainsaw_py.pytest_plugin

        plugins.append(chainsaw_py.pytest_plugin)
    code = pytest.main(["-p", "no:cacheprovider", "--collect-only", "-q", f"--rootdir={rootdir}", *args, str(rootdir)],
                       plugins=plugins)
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise AssertionError(f"collection failed with exit code {code}")
    return collected


def run_cli(args: list[str], cwd: Path, timeout: float = 300) -> Run:
    return run_command([sys.executable, "-m", "chainsaw_py", *args], cwd, timeout, {})


def start_cli(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "chainsaw_py", *args], cwd=cwd, env=environment(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(process: subprocess.Popen[str], timeout: float = 300) -> Run:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"timed out after {timeout}s:\n{output[-3000:]}") from None
    return Run(process.returncode, output)


def run_command(command: list[str], cwd: Path, timeout: float = 300, env: dict[str, str] | None = None) -> Run:
    process = subprocess.Popen(command, cwd=cwd, env=environment(**(env or {})), text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    return finish(process, timeout)


def junit_outcomes(path: Path) -> Outcomes:
    """Outcomes from pytest's JUnit XML (``-o junit_family=xunit1``, which records each item's file)."""
    outcomes: Outcomes = Counter()
    for case in ET.parse(path).getroot().iter("testcase"):
        folder = str(Path(case.get("file", "")).parent)
        name = case.get("name", "").split("[")[0].split("#")[0]
        if case.find("failure") is not None or case.find("error") is not None:
            status = "failed"
        elif case.find("skipped") is not None:
            status = "skipped"
        else:
            status = "passed"
        outcomes[(folder, name, status)] += 1
    return outcomes


def console_outcomes(output: str) -> Outcomes:
    """Outcomes from the Go-test result lines of ``chainsaw test --full-name`` (``--- FAIL: chainsaw/<path>[<name>]``).

    The console is the reference: Chainsaw's reports show a test that failed outside its operations (a
    namespace template error, say) as passed."""
    outcomes: Outcomes = Counter()
    statuses = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}
    for match in _RESULT_LINE.finditer(output):
        folder, name = match.group("folder"), match.group("name")
        outcomes[(os.path.normpath(folder), name, statuses[match.group("status")])] += 1
    return outcomes


_RESULT_LINE = re.compile(r"^    --- (?P<status>PASS|FAIL|SKIP): chainsaw/(?P<folder>.*)\[(?P<name>[^\]]*)\](?:#\d+)? \(",
                          re.MULTILINE)


def write_files(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def make_test(name: str, steps: str, spec: str = "", metadata: str = "") -> str:
    """A Test document; ``steps`` and ``spec`` are YAML indented for their place under ``spec:``."""
    return (f"apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\nmetadata:\n  name: {name}\n{metadata}"
            f"spec:\n{spec}  steps:\n{steps}")
