"""The run report: tests, steps and operations with their times and failures (Chainsaw's pkg/model/report.go).

Entries are appended as they complete, so tests appear in completion order. Only ``try`` operations
and automatic cleanup deletions are recorded; catch, finally and ``cleanup:`` operations are not
(Chainsaw's ``pkg/report``, ``pkg/model/report.go``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime


def now() -> datetime:
    return datetime.now().astimezone()


@dataclass
class OperationReport:
    type: str
    start_time: datetime = field(default_factory=now)
    end_time: datetime | None = None
    error: str | None = None
    name: str = ""

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass
class StepReport:
    name: str
    start_time: datetime = field(default_factory=now)
    end_time: datetime | None = None
    operations: list[OperationReport] = field(default_factory=list)

    def add(self, operation: OperationReport) -> None:
        if not operation.name:
            operation.name = f"operation {len(self.operations) + 1}"
        self.operations.append(operation)

    @property
    def failed(self) -> bool:
        return any(op.failed for op in self.operations)


@dataclass
class TestReport:
    __test__ = False  # not a pytest test class

    base_path: str
    name: str
    concurrent: bool | None = None
    start_time: datetime = field(default_factory=now)
    end_time: datetime | None = None
    namespace: str = ""
    skipped: bool = False
    steps: list[StepReport] = field(default_factory=list)
    group: str = ""
    """Where the test ran when reports are merged (its shard); the HTML timeline shows a block per group."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, step: StepReport) -> None:
        with self._lock:
            if not step.name:
                step.name = f"step {len(self.steps) + 1}"
            self.steps.append(step)

    @property
    def failed(self) -> bool:
        return any(step.failed for step in self.steps)

    @property
    def status(self) -> str:
        if self.skipped:
            return "skipped"
        return "failed" if self.failed else "passed"


@dataclass(frozen=True)
class ShardInfo:
    """Which part of a suite a run was (``--shard-index`` / ``--shard-count``); ``suite`` fingerprints the
    whole suite before sharding, so that shards of different suites or selections are not merged."""

    index: int
    count: int
    suite: str


@dataclass
class Report:
    name: str = "chainsaw-report"
    start_time: datetime = field(default_factory=now)
    end_time: datetime | None = None
    tests: list[TestReport] = field(default_factory=list)
    interrupted: bool = False
    """The run was cut short (Ctrl-C / SIGTERM); written as ``interrupted`` in the reports."""
    shard: ShardInfo | None = None
    """Set when the run was one shard of a suite; written as ``shard`` in the JSON report."""
    # re-entrant: a second Ctrl-C writes the report from a signal handler, maybe inside ``add``
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def add(self, test: TestReport) -> None:
        with self._lock:
            self.tests.append(test)
