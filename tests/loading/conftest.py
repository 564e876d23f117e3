"""Shared fixtures for the loading tests. Tests that read ../shared skip cleanly when it is absent."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
CORPUS = SHARED / "corpus" / "chainsaw-examples"
UPSTREAM_SCHEMAS = SHARED / "reference" / "upstream-schemas"
TEMPOSTACK = SHARED / "reference" / "tempostack-aws-upstream"

requires_shared = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared (Chainsaw corpus) is not available")

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
