"""The run report: tests, steps and operations with their times and failures (Chainsaw's pkg/model/report.go).

Entries are appended as they complete, so tests appear in completion order. Only ``try`` operations
and automatic cleanup deletions are recorded in ``operations`` (Chainsaw's ``pkg/report``,
``pkg/model/report.go``).

The fields marked "HTML only" (catch, finally and ``cleanup:`` operations, operation output, labels,
settings, cluster, process logs) feed the HTML report; the JSON and JUnit writers ignore them, so
those files stay byte-identical to Chainsaw's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime


def now() -> datetime:
    return datetime.now().astimezone()


OUTPUT_BUDGET = 32_000_000
"""Characters of operation output a run keeps for its HTML report, all operations together."""


class OutputBudget:
    """What is left of a run's budget for recorded operation output (shared by the worker threads)."""

    def __init__(self, total: int = OUTPUT_BUDGET) -> None:
        self.left = total
        self.enabled = total > 0
        """False when the run records no output at all (no HTML report is written)."""
        self._lock = threading.Lock()

    def take(self, wanted: int) -> int:
        """Reserve up to ``wanted`` characters; return how many were granted."""
        with self._lock:
            granted = max(min(wanted, self.left), 0)
            self.left -= granted
            return granted


@dataclass
class OperationReport:
    """One operation of a step, as Chainsaw's report records it."""

    type: str
    start_time: datetime = field(default_factory=now)
    end_time: datetime | None = None
    error: str | None = None
    name: str = ""
    output: str = ""
    """HTML only: the operation's log lines and sections (``=== STDOUT`` ...), bounded."""

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass
class StepReport:
    """One step of a test and its operations."""

    name: str
    start_time: datetime = field(default_factory=now)
    end_time: datetime | None = None
    operations: list[OperationReport] = field(default_factory=list)
    blocks: dict[str, list[OperationReport]] = field(default_factory=dict)
    """HTML only: the operations of the ``catch``, ``finally`` and ``cleanup`` blocks, by block name."""

    def add(self, operation: OperationReport) -> None:
        if not operation.name:
            operation.name = f"operation {len(self.operations) + 1}"
        self.operations.append(operation)

    @property
    def failed(self) -> bool:
        return any(op.failed for op in self.operations)


@dataclass
class TestReport:
    """One test (instance) of the run and its steps."""

    __test__ = False  # not a pytest test class

    base_path: str
    name: str
    concurrent: bool | None = None
    start_time: datetime = field(default_factory=now)
    end_time: datetime | None = None
    namespace: str = ""
    skipped: bool = False
    steps: list[StepReport] = field(default_factory=list)
    scenario: str = ""
    """HTML only: the scenario's name, when the test has scenarios."""
    labels: dict[str, str] = field(default_factory=dict)
    """HTML only: the test's labels."""
    errors: list[str] = field(default_factory=list)
    """HTML only: failures not recorded on an operation (setup, internal errors, interruption)."""
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
class ProcessLog:
    """HTML only: one process of the system under test and its last log lines, with their times."""

    name: str
    command: str
    log_path: str
    lines: list[tuple[datetime, str]] = field(default_factory=list)
    exit_code: int | None = None


@dataclass
class Report:
    """The whole run: every test, when it started and ended."""

    name: str = "chainsaw-report"
    start_time: datetime = field(default_factory=now)
    end_time: datetime | None = None
    tests: list[TestReport] = field(default_factory=list)
    interrupted: bool = False
    """The run was cut short (Ctrl-C / SIGTERM); written as ``interrupted`` in the reports."""
    shard: ShardInfo | None = None
    """Set when the run was one shard of a suite; written as ``shard`` in the JSON report."""
    settings: list[str] = field(default_factory=list)
    """HTML only: the run's settings, as the console lists them (``ReportFormat 'JSON'`` ...)."""
    cluster: str = ""
    """HTML only: the cluster the run used (embedded, or which kubeconfig context), empty without one."""
    processes: list[ProcessLog] = field(default_factory=list)
    """HTML only: the processes of the system under test that ran alongside the suite."""
    output_budget: OutputBudget = field(default_factory=OutputBudget, repr=False, compare=False)
    """How much operation output may still be recorded (none when no HTML report is written)."""
    # re-entrant: a second Ctrl-C writes the report from a signal handler, maybe inside ``add``
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def add(self, test: TestReport) -> None:
        with self._lock:
            self.tests.append(test)
