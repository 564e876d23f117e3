"""What an operation logged, kept for the HTML report: a step logger that forwards every line to the
console's and also appends it, with its sections, to the operation's ``output`` (bounded)."""

from __future__ import annotations

import threading

from chainsaw_py.report.model import OperationReport
from chainsaw_py.steplog import ObjectRef, StepLogger, StreamedSection

OUTPUT_LIMIT = 16_384
"""Characters of one operation's output kept for the HTML report; the console has all of it."""


class RecordingStepLogger:
    """A :class:`~chainsaw_py.steplog.StepLogger` that also records into ``entry.output``. Error sections
    are left out: the report shows the operation's error on its own."""

    def __init__(self, inner: StepLogger, entry: OperationReport, limit: int = OUTPUT_LIMIT) -> None:
        self.inner = inner
        self.entry = entry
        self.limit = limit
        self._lock = threading.Lock()

    def log(self, operation: str, status: str, obj: ObjectRef | None = None, *sections: str | StreamedSection,
            color: str | None = None) -> None:
        self.inner.log(operation, status, obj, *sections, color=color)
        head = f"{operation} {status}" + (f" {obj}" if obj is not None else "")
        texts = [] if status == "ERROR" else [_text(part, self.limit) for part in sections]
        self._append("\n".join([head, *texts]))

    def with_step(self, step: str) -> RecordingStepLogger:
        return RecordingStepLogger(self.inner.with_step(step), self.entry, self.limit)

    def _append(self, text: str) -> None:
        with self._lock:
            current = self.entry.output
            if len(current) >= self.limit:
                return
            joined = f"{current}\n{text}" if current else text
            if len(joined) > self.limit:
                joined = joined[:self.limit] + f"\n[output truncated at {self.limit} characters: see the console]"
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
