"""Fixtures for client tests against the embedded cluster (shared with the operation tests)."""

from tests.operations.harness import cluster_handle, embedded, harness

__all__ = ["cluster_handle", "embedded", "harness"]
