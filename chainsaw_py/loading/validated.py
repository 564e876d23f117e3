"""A bounded on-disk record of documents already found valid, so that a run loading nothing new never
imports jsonschema nor compiles a schema (issue 14: start-up).

A document is recorded by the SHA-256 of its schema file and its data (canonical JSON); only valid
documents are recorded, so every error is still found and reported by jsonschema. The record lives in
``$CHAINSAW_PY_CACHE_DIR`` (``util.cachedir``: default ``$XDG_CACHE_HOME/chainsaw_py`` or
``~/.cache/chainsaw_py``; set it to an empty string to turn the record off), one file of digests per schema
and version of the validating module, trimmed to its newest ``KEEP`` entries once it holds ``LIMIT``. Any
I/O problem only means validating again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from chainsaw_py.util.cachedir import cache_dir

LIMIT = 20_000
KEEP = 10_000
_lock = threading.Lock()
_known: dict[Path, set[str]] = {}


_VALIDATING_MODULE = Path(__file__).with_name("validate.py")
"""Its rules beyond the schema (Go's integers, durations) decide validity too: a new version of them must
not trust documents an older one recorded."""


@functools.cache
def _schema_digest(schema_file: Path) -> str:
    digest = hashlib.sha256(schema_file.read_bytes())
    digest.update(_VALIDATING_MODULE.read_bytes())
    return digest.hexdigest()[:16]


def document_digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _record_file(schema_file: Path) -> Path | None:
    directory = cache_dir()
    if directory is None:
        return None
    return directory / f"valid-{schema_file.stem}-{_schema_digest(schema_file)}.txt"


def _digests(record: Path) -> set[str]:
    known = _known.get(record)
    if known is None:
        try:
            known = set(record.read_text(encoding="utf-8").split())   # hex digests
        except (OSError, UnicodeDecodeError):
            known = set()
        _known[record] = known
    return known


def is_known_valid(schema_file: Path, digest: str) -> bool:
    record = _record_file(schema_file)
    if record is None:
        return False
    with _lock:
        return digest in _digests(record)


def remember_valid(schema_file: Path, digest: str) -> None:
    record = _record_file(schema_file)
    if record is None:
        return
    with _lock:
        known = _digests(record)
        if digest in known:
            return
        known.add(digest)
        try:
            record.parent.mkdir(parents=True, exist_ok=True)
            with record.open("a", encoding="ascii") as stream:
                stream.write(digest + "\n")
            if len(known) >= LIMIT:
                _trim(record)
        except OSError:
            pass


def _trim(record: Path) -> None:
    newest = record.read_text(encoding="ascii").split()[-KEEP:]
    temporary = record.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text("".join(line + "\n" for line in newest), encoding="ascii")
    os.replace(temporary, record)
    _known[record] = set(newest)
