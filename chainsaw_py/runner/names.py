"""Names as Chainsaw and Go's ``testing`` package make them: step and scenario display names, the
subtest name (``--full-name``), Go's rewriting and de-duplication of subtest names, and Go's
``-run``/``-skip`` matching that ``--include-test-regex``/``--exclude-test-regex`` use."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from chainsaw_py.errors import ChainsawError
from chainsaw_py.loading.model import Scenario, Step, Test

if TYPE_CHECKING:
    from chainsaw_py.golang.regexp import GoRegexp

ROOT = "chainsaw"


def step_name(step: Step, index: int) -> str:
    return step.name or f"step #{index + 1}"


def scenario_name(scenario: Scenario, index: int) -> str:
    return scenario.name or f"scenario #{index + 1}"


def test_name(test: Test, full_name: bool, cwd: Path | None = None) -> str:
    if not full_name:
        return test.name
    base = Path(os.path.abspath(test.base_path))
    relative = os.path.relpath(base, os.path.abspath(cwd or Path.cwd()))
    return f"{relative}[{test.name}]"


def rewrite(name: str) -> str:
    """Go's ``testing.rewrite``: spaces become underscores, non-printable runes are quoted."""
    out = []
    for char in name:
        if char.isspace():
            out.append("_")
        elif not char.isprintable():
            out.append(repr(char)[1:-1])
        else:
            out.append(char)
    return "".join(out)


class UniqueNames:
    """Go's matcher de-duplicates subtest names for the whole run: ``x``, ``x#01``, ``x#02``..."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()

    def unique(self, parent: str, subname: str) -> str:
        with self._lock:
            name = f"{parent}/{rewrite(subname)}"
            empty = subname == ""
            while True:
                following = self._seen.get(name)
                if not empty and following is None:
                    self._seen[name] = 1
                    return name
                self._seen[name] = (following or 0) + 1
                name = f"{name}#{following or 0:02d}"
                empty = False


def _split_top(pattern: str, separator: str) -> list[str]:
    """Split on ``separator`` outside brackets and parentheses (Go's ``splitRegexp``)."""
    parts, current, depth_brackets, depth_parens = [], [], 0, 0
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            current.append(pattern[index:index + 2])
            index += 2
            continue
        if char == "[":
            depth_brackets += 1
        elif char == "]" and depth_brackets:
            depth_brackets -= 1
        elif char == "(" and not depth_brackets:
            depth_parens += 1
        elif char == ")" and not depth_brackets and depth_parens:
            depth_parens -= 1
        elif char == separator and not depth_brackets and not depth_parens:
            parts.append("".join(current))
            current = []
            index += 1
            continue
        current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


@dataclass(frozen=True)
class _Alternation:
    """A ``|`` of ``/``-separated element patterns, as Go's test filter splits ``-run``."""

    alternatives: tuple[tuple[GoRegexp, ...], ...]

    def matches(self, elements: list[str]) -> tuple[bool, bool]:
        for alternative in self.alternatives:
            ok, partial = _simple_matches(alternative, elements)
            if ok:
                return ok, partial
        return False, False


def _simple_matches(patterns: tuple[GoRegexp, ...], elements: list[str]) -> tuple[bool, bool]:
    for index, element in enumerate(elements):
        if index >= len(patterns):
            break
        if not patterns[index].search(element):
            return False, False
    return True, len(elements) < len(patterns)


def _compile(pattern: str, flag: str) -> _Alternation | None:
    if not pattern:
        return None
    from chainsaw_py.golang.regexp import RegexpError, compile_go  # RE2, only for a filter

    alternatives = []
    for alternative in _split_top(pattern, "|"):
        parts = []
        for part in _split_top(alternative, "/"):
            try:
                parts.append(compile_go(part))
            except RegexpError as err:  # Go's testing: "invalid regexp for -test.run: error parsing ..."
                raise ChainsawError(f"invalid regexp for {flag}: {err}") from None
        alternatives.append(tuple(parts))
    return _Alternation(tuple(alternatives))


class TestFilter:
    """Which subtests run, with Go's ``-test.run`` / ``-test.skip`` semantics on ``chainsaw/<name>``."""

    __test__ = False  # not a pytest test class

    def __init__(self, include: str = "", exclude: str = "") -> None:
        self._include = _compile(include, "-test.run")
        self._exclude = _compile(exclude, "-test.skip")

    def selects(self, full_name: str) -> bool:
        elements = full_name.split("/")
        if self._include is not None and not self._include.matches(elements)[0]:
            return False
        if self._exclude is not None:
            skip, partial = self._exclude.matches(elements)
            if skip and not partial:
                return False
        return True
