"""Console output in Chainsaw's format (reference §5.2).

Two kinds of lines are written:
- the Go-testing framing (``=== RUN   chainsaw/x``, ``--- PASS: chainsaw/x (1.23s)``, ``PASS``), and
- log lines ``| HH:MM:SS | test | [scenario |] step | OP | STATUS | [obj]`` indented four spaces, each
  extra section (``=== ERROR``, ``=== STDOUT``...) following on lines indented eight spaces.

Log events go through structlog: a ``StepLogger`` is a structlog logger bound to test, scenario and
step; its processor chain stamps the time and renders the Chainsaw line, and the final "logger" is the
``Console``, which applies ``--quiet`` buffering and writes under a lock (tests run in threads).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, TextIO

import structlog

from chainsaw_py.steplog import ObjectRef

# Go's fatih/color attributes Chainsaw uses, as ANSI SGR parameters.
COLORS = {
    "cyan": "1;36",
    "green": "1;32",
    "red": "1;31",
    "yellow": "1;33",
}
STATUS_COLORS = {
    "BEGIN": "cyan", "END": "cyan", "RUN": "cyan", "LOG": "cyan",
    "DONE": "green", "OK": "green",
    "ERROR": "red",
    "SKIP": "yellow", "WARN": "yellow",
}


def use_color(no_color: bool, stream: TextIO) -> bool:
    if no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


class Console:
    """Thread-safe writer of the run's console output, with ``--quiet`` buffering per test/step."""

    def __init__(self, stream: TextIO | None = None, *, color: bool = False, quiet: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.color = color
        self.quiet = quiet
        self._lock = threading.Lock()
        self._buffers: dict[str, list[str]] = {}
        self._flushed: set[str] = set()

    def paint(self, text: str, color: str | None) -> str:
        if not self.color or not color:
            return text
        return f"\x1b[{COLORS[color]}m{text}\x1b[0m"

    def write(self, text: str) -> None:
        """Write framing or header text as is (no quiet handling)."""
        with self._lock:
            self.stream.write(text if text.endswith("\n") else text + "\n")
            self.stream.flush()

    def header(self, text: str) -> None:
        """Header and summary lines that ``--quiet`` hides."""
        if not self.quiet:
            self.write(text)

    def log(self, line: str, *, key: str, urgent: bool) -> None:
        """Write one rendered log line; in quiet mode hold it until its test/step shows an error."""
        with self._lock:
            if not self.quiet or key in self._flushed:
                self._emit(line)
            elif urgent:
                for held in self._buffers.pop(key, []):
                    self._emit(held)
                self._flushed.add(key)
                self._emit(line)
            else:
                self._buffers.setdefault(key, []).append(line)

    def _emit(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()

    # structlog calls the final logger's method named after the level; every level goes here.
    def msg(self, line: str, *, key: str = "", urgent: bool = False) -> None:
        self.log(line, key=key, urgent=urgent)

    info = warning = error = debug = msg


def render_chainsaw_line(console: Console) -> Any:
    """The structlog processor that turns an event into Chainsaw's indented log line."""

    def render(_logger: Any, _method: str, event: dict[str, Any]) -> tuple[tuple[str], dict[str, Any]]:
        operation = str(event["operation"])
        status = str(event["status"])
        tint = event.get("color") or STATUS_COLORS.get(status)
        paint = console.paint
        cells = [str(event["timestamp"]), paint(event["test"], tint)]
        if event.get("scenario"):
            cells.append(paint(event["scenario"], tint))
        cells += [paint(event["step"], tint), paint(f"{operation:<9}", tint), paint(f"{status:<5}", tint)]
        line = "    | " + " | ".join(cells) + " |"
        obj = event.get("obj")
        if obj is not None:
            line += f" {obj}"
        for text in event.get("sections") or ():
            line += "\n" + "\n".join("        " + row for row in str(text).split("\n"))
        key = f"{event['test']}|{event.get('scenario') or ''}|{event['step']}"
        urgent = status == "ERROR" or operation == "INTERNAL"
        return (line,), {"key": key, "urgent": urgent}

    return render


class ConsoleStepLogger:
    """A :class:`~chainsaw_py.steplog.StepLogger` writing Chainsaw lines for one test/scenario/step to a
    :class:`Console`."""

    def __init__(self, console: Console, test: str, scenario: str, step: str) -> None:
        self.console = console
        self._log = structlog.wrap_logger(
            console,
            processors=[structlog.processors.TimeStamper(fmt="%H:%M:%S", utc=False),
                        render_chainsaw_line(console)],
            cache_logger_on_first_use=True,
        ).bind(test=test, scenario=scenario, step=step)

    def log(self, operation: str, status: str, obj: ObjectRef | None = None, *sections: str,
            color: str | None = None) -> None:
        self._log.info("", operation=operation, status=status, obj=obj, sections=sections, color=color)

    def with_step(self, step: str) -> ConsoleStepLogger:
        clone = object.__new__(ConsoleStepLogger)
        clone.console = self.console
        clone._log = self._log.bind(step=step)
        return clone
