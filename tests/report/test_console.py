"""Console lines in Chainsaw's format (Chainsaw's pkg/runner/sink.go)."""

from __future__ import annotations

import io
import re

import pytest

from chainsaw_py.report.console import Console, ConsoleStepLogger, use_color
from chainsaw_py.steplog import ObjectRef, error_section, section

LINE = re.compile(r"^    \| \d\d:\d\d:\d\d \| (.*)$")


def lines(console_output: str) -> list[str]:
    out = []
    for line in console_output.splitlines():
        match = LINE.match(line)
        out.append(match.group(1) if match else line)
    return out


def test_log_line_layout() -> None:
    buffer = io.StringIO()
    logger = ConsoleStepLogger(Console(buffer), "quick-start", "", "step #1  ")
    logger.log("APPLY", "RUN", ObjectRef("v1", "ConfigMap", "chainsaw-immense-jay", "cm"))
    logger.log("TRY", "BEGIN")
    assert lines(buffer.getvalue()) == [
        "quick-start | step #1   | APPLY     | RUN   | v1/ConfigMap @ chainsaw-immense-jay/cm",
        "quick-start | step #1   | TRY       | BEGIN |",
    ]


def test_scenario_column_and_sections() -> None:
    buffer = io.StringIO()
    logger = ConsoleStepLogger(Console(buffer), "scenarios", "scenario #1", "@chainsaw")
    logger.log("SCRIPT", "LOG", None, section("stdout", "hello\nworld"))
    assert buffer.getvalue().splitlines() == [
        buffer.getvalue().splitlines()[0],
        "        === STDOUT",
        "        hello",
        "        world",
    ]
    assert buffer.getvalue().splitlines()[0].endswith("| scenarios | scenario #1 | @chainsaw | SCRIPT    | LOG   |")


def test_object_without_name_or_namespace() -> None:
    assert str(ObjectRef("apps/v1", "Deployment")) == "apps/v1/Deployment @ *"
    assert str(ObjectRef("", "")) == "/ @ *"
    assert str(ObjectRef.of({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}})) == \
        "v1/Namespace @ x"


def test_error_section_sorts_lines() -> None:
    assert error_section(["b", "a"]) == "=== ERROR\na\nb"


def test_quiet_buffers_until_an_error() -> None:
    buffer = io.StringIO()
    console = Console(buffer, quiet=True)
    logger = ConsoleStepLogger(console, "t", "", "s")
    other = ConsoleStepLogger(console, "t", "", "other")
    logger.log("TRY", "BEGIN")
    other.log("TRY", "BEGIN")
    assert buffer.getvalue() == ""
    logger.log("ASSERT", "ERROR", None, error_section(["boom"]))
    logger.log("TRY", "END")
    output = lines(buffer.getvalue())
    assert output[0] == "t | s | TRY       | BEGIN |"
    assert output[1] == "t | s | ASSERT    | ERROR |"
    assert output[-1] == "t | s | TRY       | END   |"
    assert not any("other" in line for line in output)


def test_colors_are_ansi_when_enabled() -> None:
    buffer = io.StringIO()
    ConsoleStepLogger(Console(buffer, color=True), "t", "", "s").log("APPLY", "DONE")
    # as Chainsaw's sink: %-*s with the width 14 wider, so the padding follows the reset code
    assert buffer.getvalue().endswith("| \x1b[32;1mt\x1b[0m | \x1b[32;1ms\x1b[0m | \x1b[32;1mAPPLY\x1b[0m        "
                                      "| \x1b[32;1mDONE\x1b[0m     |\n")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("no_color", "stream", "force", "environment", "expected"), [
    (False, io.StringIO(), True, {}, True),  # the test command: forced, also when piped
    (True, io.StringIO(), True, {}, False),
    (False, io.StringIO(), True, {"NO_COLOR": "1"}, False),
    (False, io.StringIO(), True, {"NO_COLOR": ""}, True),
    (False, io.StringIO(), False, {}, False),  # the Python API: a terminal only
    (False, _Terminal(), False, {}, True),
    (False, _Terminal(), False, {"NO_COLOR": "yes"}, False),
])
def test_colours(monkeypatch: pytest.MonkeyPatch, no_color: bool, stream: io.StringIO, force: bool,
                 environment: dict[str, str], expected: bool) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    assert use_color(no_color, stream, force) is expected
