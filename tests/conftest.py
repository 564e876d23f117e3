"""Shared test fixtures and helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO / ".." / "shared").resolve()
CORPUS = SHARED / "corpus" / "chainsaw-examples"


@pytest.fixture
def corpus() -> Path:
    """Chainsaw's example suite from ../shared (skipped when ../shared is absent, as for users)."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus/chainsaw-examples is not available")
    return CORPUS
