"""What pytest-xdist workers of one run share: a folder, the ``concurrent: false`` lock and the failFast mark.

Without xdist there is nothing to share (``shared_directory`` is None) and both are no-ops.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FAILED_MARK = "chainsaw-failed"
"""Created in the shared folder by the first worker whose Chainsaw test fails while failFast is on."""
CONCURRENCY_LOCK = "chainsaw-concurrency.lock"


def shared_directory(config: pytest.Config) -> Path | None:
    """A folder every pytest-xdist worker of this run sees: the parent of the workers' base temporary folders
    (``--basetemp`` when given). None without xdist."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return None
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return None
    return Path(factory.getbasetemp()).parent


@contextmanager
def concurrency_lock(shared: Path | None, exclusive: bool) -> Iterator[None]:
    """Under pytest-xdist, a test with ``concurrent: false`` runs alone: it takes an exclusive lock that
    every other Chainsaw test takes shared (Chainsaw's guarantee, across worker processes)."""
    if shared is None:
        yield
        return
    import fcntl

    with open(shared / CONCURRENCY_LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def failed_elsewhere(shared: Path | None) -> bool:
    """Whether a worker recorded a failure (failFast)."""
    return shared is not None and (shared / FAILED_MARK).exists()


def record_failure(shared: Path | None) -> None:
    if shared is not None:
        (shared / FAILED_MARK).touch()
