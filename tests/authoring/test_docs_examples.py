"""Every example of docs/authoring.md runs and prints what the page shows.

Blocks whose first line is ``# file: <path>`` are written (whole) under a temporary folder, in page order;
in ``console`` blocks, each ``$ chainsaw-py ...`` or ``$ cat FILE`` line must print the lines after it (up
to the next ``$`` line), trailing blank lines aside; ``…`` in an expected line stands for any text.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from tests.authoring.conftest import Cli

PAGE = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@dataclass
class Example:
    command: list[str]
    expected: str


@dataclass
class FileBlock:
    path: str
    text: str


def _page_steps() -> list[FileBlock | Example]:
    steps: list[FileBlock | Example] = []
    for language, body in _BLOCK.findall(PAGE.read_text()):
        first = body.split("\n", 1)[0]
        if first.startswith("# file: "):
            steps.append(FileBlock(first.removeprefix("# file: "), body))
        elif language == "console":
            steps.extend(_parse_console(body))
    return steps


def _parse_console(body: str) -> list[Example]:
    examples: list[Example] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            examples.append(Example(shlex.split(line[2:]), ""))
        else:
            examples[-1].expected += line + "\n"
    return examples


def _matches(expected: str, actual: str) -> bool:
    pattern = "\n".join(".*".join(map(re.escape, line.split("…"))) for line in expected.rstrip("\n").split("\n"))
    return re.fullmatch(pattern, actual.rstrip("\n")) is not None


def test_page_examples(tmp_path: Path, cli: Cli) -> None:
    ran = 0
    for payload in _page_steps():
        if isinstance(payload, FileBlock):
            path = tmp_path / payload.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(payload.text)
            continue
        if payload.command[0] == "cat":
            output = (tmp_path / payload.command[1]).read_text()
        else:
            assert payload.command[0] == "chainsaw-py"
            result = cli(*payload.command[1:])
            assert result.code == 0, (payload.command, result.err)
            output = result.out
        assert _matches(payload.expected, output), (payload.command, output)
        ran += 1
    assert ran >= 8  # every command of the page ran
