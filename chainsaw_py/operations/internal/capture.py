"""A child's stdout or stderr, captured with bounded memory.

Output stays in memory up to a threshold and then spills to an anonymous temporary file (gone when
closed, and never visible on disk on Linux), so that a script printing hundreds of megabytes costs disk,
not RAM. The console streams it back in chunks (:meth:`Captured.stripped_chunks`); ``$stdout`` and
``$stderr`` are read whole (:meth:`Captured.text`) only when a ``check`` or ``outputs`` needs them.
"""

from __future__ import annotations

import codecs
import os
import tempfile
import threading
from collections.abc import Iterator
from typing import IO

SPOOL_THRESHOLD = int(os.environ.get("CHAINSAW_PY_SPOOL_BYTES", 1 << 20))
"""Bytes of one stream kept in memory before spilling to disk (``CHAINSAW_PY_SPOOL_BYTES``)."""
OUTPUT_LIMIT = int(os.environ.get("CHAINSAW_PY_OUTPUT_LIMIT_BYTES", 1 << 30))
"""Bytes of one stream kept at all (``CHAINSAW_PY_OUTPUT_LIMIT_BYTES``); the rest is read and dropped, and
the console says how much."""
_CHUNK = 1 << 16
_SPACE = b" \t\n\r\v\f"


class Captured:
    """One output stream of a child process."""

    def __init__(self, threshold: int | None = None, limit: int | None = None) -> None:
        in_memory = SPOOL_THRESHOLD if threshold is None else threshold
        self._file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=in_memory, prefix="chainsaw-output-")  # noqa: SIM115 - lives as long as the output
        self._lock = threading.Lock()
        self.limit = OUTPUT_LIMIT if limit is None else limit
        self.size = 0
        self.dropped = 0

    def drain(self, pipe: IO[bytes]) -> None:
        """Copy ``pipe`` until end of file (run in a reader thread)."""
        read = getattr(pipe, "read1", pipe.read)
        try:
            while chunk := read(_CHUNK):
                with self._lock:
                    kept = chunk[:max(self.limit - self.size, 0)]
                    self._file.write(kept)
                    self.size += len(kept)
                    self.dropped += len(chunk) - len(kept)
        except (OSError, ValueError):  # the pipe was closed under us: the runner gave up waiting
            return

    @property
    def spilled(self) -> bool:
        return bool(getattr(self._file, "_rolled", False))

    def text(self) -> str:
        """Everything, decoded (invalid UTF-8 replaced, as Go's string conversion keeps bytes)."""
        with self._lock:
            self._file.seek(0)
            data = self._file.read()
            self._file.seek(0, os.SEEK_END)
        return data.decode(errors="replace")

    def stripped_chunks(self) -> Iterator[str]:
        """The output without leading and trailing white space (Go's ``strings.TrimSpace``), decoded in
        chunks that end at a line end when possible (so that masking sees whole lines)."""
        start, end = self._bounds()
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        carry = ""
        position = start
        while position < end:
            with self._lock:
                self._file.seek(position)
                data = self._file.read(min(_CHUNK, end - position))
                self._file.seek(0, os.SEEK_END)
            if not data:
                break
            position += len(data)
            text = carry + decoder.decode(data, final=position >= end)
            cut = text.rfind("\n") + 1
            if cut > 0 and len(text) - cut < _CHUNK:
                text, carry = text[:cut], text[cut:]
            else:
                carry = ""
            if text:
                yield text
        tail = carry + decoder.decode(b"", final=True)
        if tail:
            yield tail
        if self.dropped:
            yield f"\n[{self.dropped} more bytes dropped: over the {self.limit}-byte output limit]"

    def blank(self) -> bool:
        start, end = self._bounds()
        return start >= end

    def _bounds(self) -> tuple[int, int]:
        """Offsets of the first and one past the last non-blank byte."""
        with self._lock:
            start = self._scan_forward()
            end = self._scan_backward(start)
            self._file.seek(0, os.SEEK_END)
        return start, end

    def _scan_forward(self) -> int:
        self._file.seek(0)
        offset = 0
        while chunk := self._file.read(_CHUNK):
            stripped = chunk.lstrip(_SPACE)
            if stripped:
                return offset + len(chunk) - len(stripped)
            offset += len(chunk)
        return offset

    def _scan_backward(self, floor: int) -> int:
        end = self.size
        while end > floor:
            begin = max(floor, end - _CHUNK)
            self._file.seek(begin)
            stripped = self._file.read(end - begin).rstrip(_SPACE)
            if stripped:
                return begin + len(stripped)
            end = begin
        return floor
