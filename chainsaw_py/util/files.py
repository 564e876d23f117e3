"""Reading the user's files with bounds: only regular files, and no more than ``limits.MAX_FILE_BYTES``.

A named pipe would block a plain ``open().read()`` forever and ``/dev/zero`` (or a symlink to it) would
fill memory, so files are opened without blocking, checked with ``fstat`` and read up to the limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TextIO

from chainsaw_py.util import limits

_KINDS = {
    stat.S_IFIFO: "a named pipe",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class FileReadError(OSError):
    """A file could not be read; ``str(err)`` is one lower-case line such as ``no such file or directory``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def read_bytes(path: str | Path, max_bytes: int | None = None) -> bytes:
    """The content of the regular file at ``path`` (symlinks followed), at most ``max_bytes`` long
    (default ``limits.MAX_FILE_BYTES``); anything else raises ``FileReadError``."""
    limit = limits.MAX_FILE_BYTES if max_bytes is None else max_bytes
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise FileReadError(_describe(err)) from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise FileReadError("is a directory")  # as EISDIR reads
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode))
            raise FileReadError(f"not a regular file ({kind})" if kind else "not a regular file")
        content = b"" if info.st_size > limit else _read_up_to(descriptor, limit + 1)
        if info.st_size > limit or len(content) > limit:
            raise FileReadError(f"file too large: more than {limit} bytes "
                                "(set CHAINSAW_PY_MAX_FILE_BYTES to raise the limit)")
        return content
    except OSError as err:
        if isinstance(err, FileReadError):
            raise
        raise FileReadError(_describe(err)) from None
    finally:
        os.close(descriptor)


def read_text(path: str | Path, encoding: str = "utf-8", max_bytes: int | None = None) -> str:
    """``read_bytes`` decoded (``UnicodeDecodeError`` is left to the caller, which knows how to word it)."""
    return read_bytes(path, max_bytes).decode(encoding)


def read_stream(stream: TextIO, max_chars: int | None = None) -> str:
    """All of a text stream (standard input), at most ``max_chars`` long (default ``limits.MAX_FILE_BYTES``)."""
    limit = limits.MAX_FILE_BYTES if max_chars is None else max_chars
    text = stream.read(limit + 1)
    if len(text) > limit:
        raise FileReadError(f"more than {limit} characters (set CHAINSAW_PY_MAX_FILE_BYTES to raise the limit)")
    return text


def _read_up_to(descriptor: int, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = os.read(descriptor, min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _describe(err: OSError) -> str:
    return (err.strerror or str(err)).lower()
