"""Shared fixtures for the loading tests. Tests that read ../shared skip cleanly when it is absent."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.shared import CORPUS, TEMPOSTACK_UPSTREAM, UPSTREAM_SCHEMAS
from tests.shared import requires_shared as _requires_shared

TEMPOSTACK = TEMPOSTACK_UPSTREAM
requires_shared = _requires_shared("corpus", "chainsaw-examples")
__all__ = ["CORPUS", "TEMPOSTACK", "UPSTREAM_SCHEMAS", "requires_shared"]

Writer = Callable[[str, str], Path]


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    """``write("a/b.yaml", text)`` creates the file (dedented) under tmp_path and returns its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


TEST_HEADER = "apiVersion: chainsaw.kyverno.io/v1alpha1\nkind: Test\n"


def make_test(name: str = "example", body: str = "spec:\n  steps:\n  - try:\n    - sleep:\n        duration: 1s\n"
                  ) -> str:
    """A minimal valid Test document (``body`` replaces the spec)."""
    return f"{TEST_HEADER}metadata:\n  name: {name}\n{body}"
