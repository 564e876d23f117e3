"""Fixtures for operation tests (see ``harness.py``)."""

from tests.operations.harness import cluster_handle, embedded, harness

__all__ = ["cluster_handle", "embedded", "harness"]
