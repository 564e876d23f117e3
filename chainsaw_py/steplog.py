"""The step-log vocabulary operations and the runner speak (Chainsaw's ``pkg/logging``): the resource a line
is about, sections such as ``=== ERROR``, and the logger interface; ``report.console`` renders it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ObjectRef:
    """What a log line says about a resource: ``<group/version>/<Kind> @ [<ns>/]<name or *>``."""

    api_version: str
    kind: str
    namespace: str = ""
    name: str = ""

    @classmethod
    def of(cls, obj: dict[str, Any]) -> ObjectRef:
        meta = obj.get("metadata") or {}
        return cls(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""),
                   str(meta.get("namespace") or ""), str(meta.get("name") or ""))

    def __str__(self) -> str:
        name = self.name or "*"
        if self.namespace:
            name = f"{self.namespace}/{name}"
        return f"{self.api_version}/{self.kind} @ {name}"


class TextStream(Protocol):
    """Text too large to hold whole (a child's spilled output), read back in chunks."""

    def stripped_chunks(self) -> Iterator[str]: ...


@dataclass(frozen=True)
class StreamedSection:
    """A section whose text is written chunk by chunk (already stripped, as ``section`` strips), so that
    hundreds of megabytes of script output never sit in memory."""

    name: str
    text: TextStream


def section(name: str, text: str) -> str:
    """A log section: ``=== NAME`` followed by its text (Chainsaw's ``logging.Section``)."""
    return f"=== {name.upper()}\n{text}".strip()


def error_section(errors: Iterable[str]) -> str:
    """The ``=== ERROR`` section: every error line, sorted (Chainsaw's ``logging.ErrSection``)."""
    return section("ERROR", "\n".join(sorted(errors)))


class StepLogger(Protocol):
    """Logs Chainsaw lines (``| time | test | step | OP | STATUS | obj``) for one test/scenario/step."""

    def log(self, operation: str, status: str, obj: ObjectRef | None = None, *sections: str | StreamedSection,
            color: str | None = None) -> None: ...

    def with_step(self, step: str) -> StepLogger: ...
