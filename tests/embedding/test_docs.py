"""Every example of docs/embedding.md and of the README runs: an example is the fenced blocks marked
``<!-- example: ID FILE -->`` (written to a folder) and ``<!-- example: ID $ -->`` (a console block: the
command after ``$`` runs there, and each following line must appear in its output)."""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .helpers import REPO, Run, run_command, run_pytest, write_files

DOCS = {"embedding": REPO / "docs" / "embedding.md", "readme": REPO / "README.md"}
_BLOCK = re.compile(r"<!-- example: (?P<id>\S+) (?P<target>\S+) -->\n```[a-z]*\n(?P<body>.*?)```", re.DOTALL)


@dataclass
class Example:
    files: dict[str, str] = field(default_factory=dict)
    command: str = ""
    expected: list[str] = field(default_factory=list)


def examples() -> dict[str, Example]:
    found: dict[str, Example] = {}
    for doc, path in DOCS.items():
        for match in _BLOCK.finditer(path.read_text(encoding="utf-8")):
            _add(found.setdefault(f"{doc}:{match.group('id')}", Example()), match)
    return found


def _add(example: Example, match: re.Match[str]) -> None:
    if match.group("target") == "$":
        command, *expected = match.group("body").splitlines()
        example.command = command.removeprefix("$ ")
        example.expected = [line for line in expected if line.strip()]
    else:
        example.files[match.group("target")] = match.group("body")


def test_the_doc_has_its_examples() -> None:
    assert sorted(examples()) == ["embedding:declare", "embedding:fixtures", "embedding:plugin",
                                  "embedding:python", "readme:api", "readme:authoring", "readme:declare",
                                  "readme:pytest"]
    assert all(example.command and example.files for example in examples().values())


def _execute(command: str, cwd: Path) -> Run:
    argv = shlex.split(command)
    if argv[0] == "pytest":
        return run_pytest(argv[1:], cwd)
    if argv[0] == "python":
        return run_command([sys.executable, *argv[1:]], cwd)
    if argv[0] == "chainsaw-py":
        return run_command([sys.executable, "-m", "chainsaw_py", *argv[1:]], cwd)
    raise AssertionError(f"unknown command in the doc: {command}")


@pytest.mark.parametrize("name", sorted(examples()))
def test_example_runs(name: str, tmp_path: Path) -> None:
    example = examples()[name]
    if "kubectl" in "".join(example.files.values()) and shutil.which("kubectl") is None:
        pytest.skip("kubectl is not on PATH")
    write_files(tmp_path, example.files)
    run = _execute(example.command, tmp_path)
    assert run.returncode == 0, run.output
    for line in example.expected:
        assert line in run.output, run.output

