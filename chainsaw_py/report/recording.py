"""What an operation logged, kept for the HTML report: a step logger that forwards every line to the
console's and also appends it, with its sections, to the operation's ``output`` (bounded)."""

from __future__ import annotations

import threading

from chainsaw_py.report.model import OperationReport, OutputBudget
from chainsaw_py.steplog import ObjectRef, StepLogger, StreamedSection

OUTPUT_LIMIT = 16_384
"""Characters of one operation's output kept for the HTML report; the console has all of it."""


class RecordingStepLogger:
    """A :class:`~chainsaw_py.steplog.StepLogger` that also records into ``entry.output``, at most ``limit``
    characters and what the run's ``budget`` still grants. Error sections are left out: the report shows
    the operation's error on its own."""

    def __init__(self, inner: StepLogger, entry: OperationReport, budget: OutputBudget,
                 limit: int = OUTPUT_LIMIT) -> None:
        self.inner = inner
        self.entry = entry
        self.budget = budget
        self.limit = limit
        self._lock = threading.Lock()
        self._full = False

    def log(self, operation: str, status: str, obj: ObjectRef | None = None, *sections: str | StreamedSection,
            color: str | None = None) -> None:
        self.inner.log(operation, status, obj, *sections, color=color)
        if self._full or not self.budget.enabled:
            return
        head = f"{operation} {status}" + (f" {obj}" if obj is not None else "")
        texts = [] if status == "ERROR" else [_text(part, self.limit) for part in sections]
        self._append("\n".join([head, *texts]))

    def with_step(self, step: str) -> RecordingStepLogger:
        return RecordingStepLogger(self.inner.with_step(step), self.entry, self.budget, self.limit)

    def _append(self, text: str) -> None:
        with self._lock:
            if self._full:
                return
            current = self.entry.output
            joined = f"{current}\n{text}" if current else text
            allowed = len(current) + self.budget.take(min(len(joined), self.limit) - len(current))
            if len(joined) > allowed:
                joined = joined[:allowed] + "\n[output truncated: see the console]"
                self._full = True
            self.entry.output = joined


def _text(part: str | StreamedSection, limit: int) -> str:
    """A section's text; a streamed one (large output spilled to disk) is read only up to ``limit``."""
    if isinstance(part, str):
        return part
    kept: list[str] = [f"=== {part.name.upper()}"]
    size = 0
    for chunk in part.text.stripped_chunks():
        kept.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return "\n".join([kept[0], "".join(kept[1:])])
