"""Shared test fixtures and helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shared import CORPUS


@pytest.fixture
def corpus() -> Path:
    """Chainsaw's example suite from ../shared (skipped when ../shared is absent, as for users)."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus/chainsaw-examples is not available")
    return CORPUS
