"""Per-test and per-run mutable state: failure flags, error messages and the summary counters."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class TestState:
    """Whether a test (one scenario, one repetition) failed or was skipped, and why."""

    __test__ = False  # not a pytest test class

    failed: bool = False
    skipped: bool = False
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fail(self, message: str | None) -> None:
        with self._lock:
            self.failed = True
            if message:
                self.errors.append(message)

    def record(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)


@dataclass
class Summary:
    """Passed, failed and skipped test counts of the run (thread-safe)."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, state: TestState) -> None:
        with self._lock:
            if state.skipped:
                self.skipped += 1
            elif state.failed:
                self.failed += 1
            else:
                self.passed += 1

    def fail_run(self) -> None:
        with self._lock:
            self.failed += 1
