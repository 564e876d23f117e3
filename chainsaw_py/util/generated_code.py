"""Compiled code of the methods ``dataclasses`` generates, recorded between runs of the command line
(issue 14: start-up).

On Python 3.11, ``@dataclass`` writes every method it generates (``__init__``, ``__repr__``, ``__eq__``, a
frozen class's ``__setattr__``, ``__delattr__`` and ``__hash__``) as source text and ``exec``s it: parsing and
compiling those ~250 small functions was about a quarter of the CPU of a one-script ``--no-cluster`` run
(Python 3.13 still compiles them, one ``exec`` per class). The text depends only on the class's fields, so its
code is a pure function of the text: ``install()`` gives the ``dataclasses`` module an ``exec`` that compiles
each text once, exactly as ``exec`` would (same file name ``<string>``, no inherited ``__future__`` flags),
and keeps the code objects in ``$CHAINSAW_PY_CACHE_DIR`` (``util.cachedir``) in ``marshal``'s format, the
format of ``.pyc`` files, in a file named after the interpreter's version. A text not in the record is
compiled as before; an unreadable record is ignored; the record is bounded (``LIMIT`` texts).

Only the command line installs it (``chainsaw_py.cli``): a process that imports chainsaw_py as a library
keeps its ``dataclasses`` untouched.
"""

from __future__ import annotations

import atexit
import builtins
import dataclasses
import marshal
import os
import sys
import threading
from pathlib import Path
from types import CodeType
from typing import Any

from chainsaw_py.util.cachedir import cache_dir

LIMIT = 5_000
_lock = threading.Lock()
_recorded: dict[str, bytes] = {}   # text -> its code, marshalled (decoded when a class needs it)
_codes: dict[str, CodeType] = {}   # the texts this process ran
_new: dict[str, bytes] = {}
_installed: list[Path | None] = []


def record_file() -> Path | None:
    directory = cache_dir()
    if directory is None:
        return None
    version = sys.version_info
    tag = f"{sys.implementation.cache_tag}-{version.major}.{version.minor}.{version.micro}"
    return directory / f"generated-code-{tag}{version.releaselevel[0]}{version.serial}-O{sys.flags.optimize}.marshal"


def _read(record: Path) -> dict[str, bytes]:
    try:
        loaded = marshal.loads(record.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {text: data for text, data in loaded.items() if isinstance(text, str) and isinstance(data, bytes)}


def _decoded(data: bytes | None) -> CodeType | None:
    if data is None:
        return None
    try:
        code = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, CodeType) else None


def compiled(text: str) -> CodeType:
    """The code ``exec(text)`` would compile in a module without ``__future__`` imports."""
    code = _codes.get(text)
    if code is None:
        code = _decoded(_recorded.get(text))
        if code is None:
            code = compile(text, "<string>", "exec", dont_inherit=True)
            with _lock:
                _new[text] = marshal.dumps(code)
        _codes[text] = code
    return code


def cached_exec(source: Any, global_names: dict[str, Any] | None = None, local_names: Any = None) -> None:
    """``exec`` for ``dataclasses``: a source text with its namespaces runs its recorded code (anything else
    is ``exec``'s, in the caller's namespaces when none are given)."""
    if isinstance(source, str) and global_names is not None:
        builtins.exec(compiled(source), global_names, local_names)
        return
    if global_names is None:
        caller = sys._getframe(1)
        global_names = caller.f_globals
        local_names = caller.f_locals if local_names is None else local_names
    builtins.exec(source, global_names, local_names)


def install() -> None:
    """Read the record and let ``dataclasses`` use it (once per process); new code is added at exit."""
    if _installed:
        return
    record = record_file()
    _installed.append(record)
    if record is None:
        return
    _recorded.update(_read(record))
    setattr(dataclasses, "exec", cached_exec)  # noqa: B010 - a module global shadowing the built-in
    atexit.register(save)


def save() -> None:
    """Add this process's new code to the record (merged with what other processes added meanwhile)."""
    record = _installed[0] if _installed else None
    with _lock:
        new = dict(_new)
        _new.clear()
    if record is None or not new:
        return
    merged = {**_read(record), **new}
    if len(merged) > LIMIT:   # start again from what this process ran
        merged = {text: marshal.dumps(code) for text, code in list(_codes.items())[-LIMIT:]}
    temporary = record.with_name(f"{record.name}.{os.getpid()}.tmp")
    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(marshal.dumps(merged))
        os.replace(temporary, record)
    except OSError:
        temporary.unlink(missing_ok=True)
