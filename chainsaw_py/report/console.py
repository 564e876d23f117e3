"""Console output in Chainsaw's format (Chainsaw's ``pkg/runner/sink.go`` and ``pkg/commands/test/command.go``).

Two kinds of lines are written:
- the Go-testing framing (``=== RUN   chainsaw/x``, ``--- PASS: chainsaw/x (1.23s)``, ``PASS``), and
- log lines ``| HH:MM:SS | test | [scenario |] step | OP | STATUS | [obj]`` indented four spaces, each
  extra section (``=== ERROR``, ``=== STDOUT``...) following on lines indented eight spaces.

A ``ConsoleStepLogger`` is bound to test, scenario and step: it stamps the local time, renders the Chainsaw
line and hands it to the ``Console``, which applies ``--quiet`` buffering and writes under a lock (tests run in
threads). These lines are Chainsaw's fixed format, not structured logging: structlog (chainsaw_py's own
diagnostics, ``util.diagnostics``) is not imported for them, as it always loads ``asyncio`` (start-up, issue 14).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from chainsaw_py.steplog import ObjectRef, StreamedSection
from chainsaw_py.util.masking import Masker
from chainsaw_py.util.terminal import sanitize

# Chainsaw's colours (kyverno's ``color.New(color.FgX).Add(color.Bold)``), as fatih/color writes their SGR
# parameters: foreground first, then bold.
COLORS = {
    "cyan": "36;1",
    "green": "32;1",
    "red": "31;1",
    "yellow": "33;1",
}
# Chainsaw pads the operation and status columns of a coloured line with %-*s, 14 wider than plain, around the
# escape codes: the spaces come after the reset, so the visible columns depend on the codes' length.
OPERATION_WIDTH = 9
STATUS_WIDTH = 5
COLORED_EXTRA_WIDTH = 14
SECTION_INDENT = " " * 8
ERASE_LINE = "\r\x1b[2K"
"""Back to the start of the line and erase it: how the status line is cleared and redrawn."""
STATUS_COLORS = {
    "BEGIN": "cyan", "END": "cyan", "RUN": "cyan", "LOG": "cyan",
    "DONE": "green", "OK": "green",
    "ERROR": "red",
    "SKIP": "yellow", "WARN": "yellow",
}


@dataclass(frozen=True)
class _Rendered:
    """A log line with streamed sections: plain parts and sections, written in order."""

    parts: tuple[str | StreamedSection, ...]


def use_color(no_color: bool, stream: TextIO, force: bool = False) -> bool:
    """Whether to write ANSI colours. ``chainsaw test`` forces them (``color.Init(noColor, force=true)``), also
    when the output is not a terminal, unless ``--no-color``; chainsaw_py also honours the ``NO_COLOR``
    convention (set and not empty). Without ``force`` (the Python API), only a terminal gets colours, or any
    output when ``FORCE_COLOR`` is set."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    return force or bool(os.environ.get("FORCE_COLOR")) or bool(getattr(stream, "isatty", lambda: False)())


class Console:
    """Thread-safe writer of the run's console output, with ``--quiet`` buffering per test/step."""

    def __init__(self, stream: TextIO | None = None, *, color: bool = False, quiet: bool = False,
                 masker: Masker | None = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.color = color
        self.quiet = quiet
        self.masker = masker or Masker()
        """Secret values seen during the run, masked in everything written (``util.masking``)."""
        self._lock = threading.Lock()
        self._buffers: dict[str, list[str | _Rendered]] = {}
        self._flushed: set[str] = set()
        self._status: Callable[[], str] | None = None
        self._status_interval = 0.0
        self._status_shown = ""
        self._status_drawn_at = 0.0

    def paint(self, text: str, color: str | None) -> str:
        if not self.color or not color:
            return text
        return f"\x1b[{COLORS[color]}m{text}\x1b[0m"

    def write(self, text: str) -> None:
        """Write framing or header text (no quiet handling); secrets masked, control characters escaped."""
        text = sanitize(text, self.masker.mask)
        with self._lock:
            self._clear_status()
            self.stream.write(text if text.endswith("\n") else text + "\n")
            self._draw_status()
            self.stream.flush()

    def header(self, text: str) -> None:
        """Header and summary lines that ``--quiet`` hides."""
        if not self.quiet:
            self.write(text)

    def log(self, line: str | _Rendered, *, key: str, urgent: bool) -> None:
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

    def _emit(self, line: str | _Rendered) -> None:
        self._clear_status()
        if isinstance(line, str):
            self.stream.write(self.masker.mask(line) + "\n")
        else:
            for part in line.parts:
                if isinstance(part, str):
                    self.stream.write(self.masker.mask(part))
                else:
                    self._emit_streamed(part)
            self.stream.write("\n")
        self._draw_status()
        self.stream.flush()

    # ------------------------------------------------------------------ the status line (report.progress)

    def show_status(self, text: Callable[[], str], interval: float) -> None:
        """Keep the line ``text()`` below the normal lines, drawn at most once per ``interval`` seconds (first
        after the next normal line or timer tick)."""
        with self._lock:
            self._status, self._status_interval, self._status_drawn_at = text, interval, 0.0

    def refresh_status(self) -> None:
        """Draw the status line again if it was cleared or its text changed and the interval has passed since
        the last draw (the timer calls this)."""
        with self._lock:
            self._draw_status()
            self.stream.flush()

    def hide_status(self) -> None:
        with self._lock:
            self._clear_status()
            self._status = None
            self.stream.flush()

    def _clear_status(self) -> None:
        if self._status_shown:
            self.stream.write(ERASE_LINE)
            self._status_shown = ""

    def _draw_status(self) -> None:
        if self._status is None:
            return
        moment = time.monotonic()
        if moment - self._status_drawn_at < self._status_interval:
            return  # the timer draws it at the next tick
        text = self._status()  # empty: nothing to show (yet)
        if text != self._status_shown:
            self.stream.write(ERASE_LINE + text)
            self._status_shown = text
        self._status_drawn_at = moment

    def _emit_streamed(self, streamed: StreamedSection) -> None:
        self.stream.write(f"\n{SECTION_INDENT}=== {streamed.name.upper()}\n{SECTION_INDENT}")
        for chunk in streamed.text.stripped_chunks():
            self.stream.write(sanitize(chunk, self.masker.mask).replace("\n", "\n" + SECTION_INDENT))


def render_chainsaw_line(console: Console, event: dict[str, Any]) -> tuple[str | _Rendered, str, bool]:
    """Chainsaw's indented log line for an event, with its quiet-mode key and whether it is urgent (shown at
    once in quiet mode)."""
    operation = str(event["operation"])
    status = str(event["status"])
    tint = event.get("color") or STATUS_COLORS.get(status)

    def paint(text: str) -> str:  # names and messages are escaped before the console's own colors
        return console.paint(sanitize(text, console.masker.mask, keep_line_breaks=False), tint)

    cells = [str(event["timestamp"]), paint(event["test"])]
    if event.get("scenario"):
        cells.append(paint(event["scenario"]))
    cells += [paint(event["step"]), _pad(paint(operation), OPERATION_WIDTH, console, tint),
              _pad(paint(status), STATUS_WIDTH, console, tint)]
    line = "    | " + " | ".join(cells) + " |"
    obj = event.get("obj")
    if obj is not None:
        line += f" {sanitize(str(obj), console.masker.mask, keep_line_breaks=False)}"
    parts: list[str | StreamedSection] = []
    for text in event.get("sections") or ():
        if isinstance(text, StreamedSection):
            parts += [line, text]
            line = ""
        else:
            rows = sanitize(str(text), console.masker.mask).split("\n")
            line += "\n" + "\n".join(SECTION_INDENT + row for row in rows)
    key = f"{event['test']}|{event.get('scenario') or ''}|{event['step']}"
    urgent = status == "ERROR" or operation == "INTERNAL"
    return (_Rendered((*parts, line)) if parts else line), key, urgent


def _pad(cell: str, width: int, console: Console, tint: str | None) -> str:
    """Go's ``%-*s`` over the (possibly painted) cell: escape codes count towards the width."""
    coloured = console.color and tint is not None
    return cell.ljust(width + COLORED_EXTRA_WIDTH if coloured else width)


class ConsoleStepLogger:
    """A :class:`~chainsaw_py.steplog.StepLogger` writing Chainsaw lines for one test/scenario/step to a
    :class:`Console`."""

    def __init__(self, console: Console, test: str, scenario: str, step: str) -> None:
        self.console = console
        self._context = {"test": test, "scenario": scenario, "step": step}

    def log(self, operation: str, status: str, obj: ObjectRef | None = None, *sections: str | StreamedSection,
            color: str | None = None) -> None:
        event = {**self._context, "timestamp": time.strftime("%H:%M:%S"), "operation": operation, "status": status,
                 "obj": obj, "sections": sections, "color": color}
        line, key, urgent = render_chainsaw_line(self.console, event)
        self.console.log(line, key=key, urgent=urgent)

    def with_step(self, step: str) -> ConsoleStepLogger:
        return ConsoleStepLogger(self.console, self._context["test"], self._context["scenario"], step)
