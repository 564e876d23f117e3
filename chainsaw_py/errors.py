"""User-facing errors. Anything derived from ``ChainsawError`` is printed as one line, never a traceback."""

from __future__ import annotations

from pathlib import Path


class ChainsawError(Exception):
    """An error caused by the user's input or environment; ``str(err)`` is the one line shown."""


class LoadError(ChainsawError):
    """A file could not be loaded: bad YAML, a schema violation, a missing file, a bad expression.

    Rendered as ``<file>:<line>: <field path>: <message>`` (parts that are unknown are left out).
    """

    def __init__(self, message: str, file: str | Path | None = None, line: int | None = None,
                 path: str | None = None) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.path = path
        super().__init__(self.render())

    def render(self) -> str:
        location = ""
        if self.file:
            location = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [p for p in (location, self.path) if p]
        return ": ".join([*parts, self.message])
