"""Fixtures for the authoring commands' tests.

``files`` lays out a folder from a mapping of relative paths to (dedented) contents; ``cli`` runs
``chainsaw-py`` in-process in a working directory and returns its exit code, standard output and error.
Tests that read ../shared (``tests.shared``) skip cleanly when it is absent.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from chainsaw_py.cli import main
from tests.shared import CORPUS, TEMPOSTACK_UPSTREAM

TEMPOSTACK = TEMPOSTACK_UPSTREAM
__all__ = ["CORPUS", "TEMPOSTACK", "Cli", "Files", "Result", "dedent"]


@dataclass
class Result:
    code: int
    out: str
    err: str


Files = Callable[[Mapping[str, str]], Path]
Cli = Callable[..., Result]


@pytest.fixture
def files(tmp_path: Path) -> Files:
    """``files({"t/01-a.yaml": text, ...})`` writes the files under tmp_path and returns tmp_path."""

    def _files(contents: Mapping[str, str]) -> Path:
        for name, text in contents.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return tmp_path

    return _files


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    """``cli("migrate", "kuttl", ...)`` runs in tmp_path (or ``cwd=``) and returns code, stdout, stderr."""
    previous = os.getcwd()

    def _run(*args: str, cwd: Path | None = None) -> Result:
        os.chdir(cwd or tmp_path)
        try:
            capsys.readouterr()
            try:
                code = main(list(args))
            except SystemExit as exit_:
                code = int(exit_.code or 0)
            captured = capsys.readouterr()
            return Result(code, captured.out, captured.err)
        finally:
            os.chdir(previous)

    yield _run
    os.chdir(previous)


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")
