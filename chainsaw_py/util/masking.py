"""Masking Secret values in everything a run prints or writes, as CI systems mask secrets in logs.

A :class:`Masker` belongs to one run (the CLI's, an ``api.run``, an ``api.Session``); while it is
active, every Secret the client reads or writes registers its values — the decoded value and the
base64 form found in ``data``, the plain ``stringData`` value and its base64 form, and every line of a
multi-line value. The output sinks (console, reports, results) pass their text through
:meth:`Masker.mask`, which replaces each registered value with ``***``.

Registration is process-wide over the active maskers (not per thread): the runner's worker threads and
the client's helpers need no plumbing, and two runs in one process at most mask each other's values,
which is the safe side.

A masker holds at most ``limits.MAX_MASKED_VALUES`` values of ``limits.MAX_MASKED_BYTES`` in all (a run
learns the Secrets of the whole cluster, see ``client.secrets``); values beyond are not masked, and a
warning says so once. Text is scanned once whatever the number of values (an Aho-Corasick automaton,
leftmost-longest: a value containing another is masked whole).
"""

from __future__ import annotations

import base64
import binascii
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ahocorasick_rs import AhoCorasick, MatchKind

from chainsaw_py.util import limits

MASK = "***"
MIN_LENGTH = 8
"""Shorter values (``1``, ``yes``, ``tempo``, ``label``) are not masked: real suites keep plain words in their
Secrets, and hiding them garbled test names, namespaces and kinds. GitLab masks variables from eight characters
on too."""

_active: list[Masker] = []
_active_lock = threading.Lock()


class Masker:
    """The set of secret values of one run, and the replacement of them in text."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._bytes = 0
        self._overflowed = False
        self._automaton: AhoCorasick | None = None
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        """Register ``value`` (and each of its lines) in plain and base64 form."""
        texts = {text.strip() for text in (value, *value.splitlines())}
        self._register({form for text in texts if len(text) >= MIN_LENGTH for form in (text, _b64(text))})

    def add_encoded(self, encoded: str) -> None:
        """Register a ``data`` value: its base64 text as it is, and what it decodes to."""
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            if len(encoded) >= MIN_LENGTH:  # binary data: its base64 form is what can appear in text
                self._register({encoded})
            return
        if len(decoded.strip()) >= MIN_LENGTH:
            self._register({encoded})
            self.add(decoded)

    def _register(self, forms: set[str]) -> None:
        with self._lock:
            new = forms - self._values
            size = sum(len(form) for form in new)
            if not new:
                return
            if (len(self._values) + len(new) > limits.MAX_MASKED_VALUES
                    or self._bytes + size > limits.MAX_MASKED_BYTES):
                self._overflow()
                return
            self._values |= new
            self._bytes += size
            self._automaton = None

    def _overflow(self) -> None:
        if not self._overflowed:
            self._overflowed = True
            sys.stderr.write(f"Warning: secret masking holds at most {limits.MAX_MASKED_VALUES} values of "
                             f"{limits.MAX_MASKED_BYTES} bytes in all: the values of further Secrets are not "
                             "masked (CHAINSAW_PY_MAX_MASKED_VALUES, CHAINSAW_PY_MAX_MASKED_BYTES)\n")

    @property
    def overflowed(self) -> bool:
        """Whether some values were not registered because of the limits."""
        return self._overflowed

    @property
    def empty(self) -> bool:
        return not self._values

    def mask(self, text: str) -> str:
        if not self._values or not text:
            return text
        matches = self._compiled().find_matches_as_indexes(text)
        if not matches:
            return text
        parts: list[str] = []
        position = 0
        for _, start, end in matches:
            parts.append(text[position:start])
            parts.append(MASK)
            position = end
        parts.append(text[position:])
        return "".join(parts)

    def mask_data(self, value: Any) -> Any:
        """A copy of a JSON-like value with every string masked."""
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {self.mask_data(k): self.mask_data(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.mask_data(item) for item in value]
        return value

    def _compiled(self) -> AhoCorasick:
        with self._lock:
            if self._automaton is None:
                self._automaton = AhoCorasick(sorted(self._values), matchkind=MatchKind.LeftmostLongest)
            return self._automaton


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode() if text else ""


@contextmanager
def active(masker: Masker) -> Iterator[Masker]:
    """Register the values of Secrets seen while this block runs into ``masker``; the message of an
    exception leaving the block is masked with it."""
    with _active_lock:
        _active.append(masker)
    try:
        yield masker
    except Exception as error:  # its message is printed after the block (the CLI's `Error:` line)
        _mask_message(error, masker)
        raise
    finally:
        with _active_lock:
            _active.remove(masker)


def collecting() -> bool:
    """Whether a masker is open to register Secret values (a run is going on)."""
    return bool(_active)


def active_maskers() -> tuple[int, ...]:
    """Identifies the maskers open now (what a cache of learned Secrets was learned for)."""
    with _active_lock:
        return tuple(id(masker) for masker in _active)


def _mask_message(error: BaseException, masker: Masker) -> None:
    if error.args and isinstance(error.args[0], str):
        error.args = (masker.mask(error.args[0]), *error.args[1:])


def register_secrets(payload: Any) -> None:
    """Register the values of every Secret in ``payload`` (a Secret, a list of them, a ``Table`` with
    objects, or a write body) with the active maskers."""
    if not _active or not isinstance(payload, dict):
        return
    maskers = list(_active)
    for secret in _secrets_in(payload):
        for encoded in (secret.get("data") or {}).values():
            if isinstance(encoded, str):
                for masker in maskers:
                    masker.add_encoded(encoded)
        for plain in (secret.get("stringData") or {}).values():
            if isinstance(plain, str):
                for masker in maskers:
                    masker.add(plain)


def _secrets_in(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    kind = payload.get("kind")
    if kind == "Secret":
        yield payload
    for item in payload.get("items") or []:
        if isinstance(item, dict):
            yield from _secrets_in({"kind": "Secret", **item} if kind == "SecretList" else item)
    for row in payload.get("rows") or []:  # a server-side Table with includeObject
        if isinstance(row, dict) and isinstance(row.get("object"), dict):
            yield from _secrets_in(row["object"])
