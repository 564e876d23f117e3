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


def _examples_and_files(tmp_path: Path) -> list[tuple[str, object]]:
    steps: list[tuple[str, object]] = []
    for language, body in _BLOCK.findall(PAGE.read_text()):
        first = body.split("\n", 1)[0]
        if first.startswith("# file: "):
            steps.append(("file", (tmp_path / first.removeprefix("# file: "), body)))
        elif language == "console":
            steps.extend(("run", example) for example in _parse_console(body))
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
    steps = _examples_and_files(tmp_path)
    ran = 0
    for kind, payload in steps:
        if kind == "file":
            path, text = payload  # type: ignore[misc]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            continue
        assert isinstance(payload, Example)
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
