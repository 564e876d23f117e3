"""``$values``: ``--values`` files deep-merged in order, then ``--set`` and ``--set-string``.

The ``--set`` syntax is Helm's strvals (``helm.sh/helm/v4/pkg/strvals``), which Chainsaw uses:
``a.b=1,c[0]=x,d={x,y}``, ``\\`` escapes the next character (``a=x\\,y``). ``--set`` infers types like
Helm: ``true``/``false``/``null`` (any case), integers not starting with ``0`` (and ``0`` itself);
anything else, ``01`` included, stays a string. ``--set-string`` keeps every value a string.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from chainsaw_py.errors import ChainsawError, LoadError
from chainsaw_py.golang.fmt import go_type_name, quote
from chainsaw_py.util import files, limits
from chainsaw_py.util.maps import merge
from chainsaw_py.yamldocs import load_single, read_text

MAX_INDEX = 65536
MAX_NESTED_NAME_LEVEL = 30
_DECIMAL = re.compile(r"[+-]?[0-9]+")


def load_values(files: Sequence[str] = (), set_values: Sequence[str] = (), set_strings: Sequence[str] = (),
                stdin: TextIO | None = None) -> dict[str, Any]:
    """The merged values; ``-`` as a file name reads standard input."""
    values: dict[str, Any] = {}
    for path in files:
        values = merge(values, _read_values_file(path, stdin or sys.stdin))
    for line in set_values:
        try:
            parse_into(line, values)
        except StrvalsError as err:
            raise ChainsawError(f"failed parsing --set data: {err}") from None
    for line in set_strings:
        try:
            parse_into(line, values, as_strings=True)
        except StrvalsError as err:
            raise ChainsawError(f"failed parsing --set-string data: {err}") from None
    return values



def _read_stdin(stdin: TextIO, name: str) -> str:
    try:
        return files.read_stream(stdin)
    except files.FileReadError as err:
        raise LoadError(err.message, name) from None


def _read_values_file(path: str, stdin: TextIO) -> dict[str, Any]:
    name = "<stdin>" if path.strip() == "-" else path
    text = _read_stdin(stdin, name) if path.strip() == "-" else read_text(path)
    data = load_single(text, name)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LoadError(f"failed to parse {name}: values must be a map, got "
                        f"{'a list' if isinstance(data, list) else 'a scalar'}", name)
    return data


# ---------------------------------------------------------------------------------------------
# Helm strvals


class StrvalsError(ValueError):
    """A ``--set`` line could not be parsed; the message is Helm's."""


def _fits_int64(decimal: str) -> bool:
    """Whether a ``_DECIMAL`` string is an int64 (checked on its length first: ``int()`` refuses more than
    4,300 digits)."""
    return len(decimal.lstrip("+-").lstrip("0")) <= 19 and -(2**63) <= int(decimal) < 2**63


class _EndOfInput(Exception):
    """Go's ``io.EOF`` while scanning."""


class _NotList(Exception):
    """The value after ``=`` does not start with ``{``."""


def parse_into(line: str, values: dict[str, Any], as_strings: bool = False) -> None:
    """Helm's ``strvals.ParseInto`` / ``ParseIntoString``: parse ``line`` into ``values`` (in place)."""
    parser = _Parser(line, as_strings)
    while True:
        try:
            parser.key(values, 0)
        except _EndOfInput:
            return


class _Parser:
    def __init__(self, text: str, as_strings: bool) -> None:
        self.text = text
        self.position = 0
        self.as_strings = as_strings

    # --- scanning -------------------------------------------------------------------------

    def read(self) -> str | None:
        if self.position >= len(self.text):
            return None
        char = self.text[self.position]
        self.position += 1
        return char

    def unread(self) -> None:
        self.position -= 1

    def runes_until(self, stop: str) -> tuple[str, str | None]:
        """Characters up to one of ``stop`` (consumed, returned second; None at the end of input)."""
        out: list[str] = []
        while True:
            char = self.read()
            if char is None or char in stop:
                return "".join(out), char
            if char == "\\":
                escaped = self.read()
                if escaped is None:
                    return "".join(out), None
                out.append(escaped)
            else:
                out.append(char)

    def typed(self, text: str) -> Any:
        if self.as_strings:
            return text
        folded = text.casefold()
        if folded in ("true", "false"):
            return folded == "true"
        if folded == "null":
            return None
        if text == "0":
            return 0
        if text and text[0] != "0" and _DECIMAL.fullmatch(text) and _fits_int64(text):
            return int(text)
        return text

    # --- grammar --------------------------------------------------------------------------

    def key(self, data: dict[str, Any], level: int) -> None:
        name, last = self.runes_until("=[,.")
        if last is None:
            if not name:
                raise _EndOfInput
            raise StrvalsError(f"key {quote(name)} has no value")
        if last == "[":
            index = self._index()
            items = _expect(data[name], list) if name in data else []
            try:
                items = self.list_item(items, index, level)
            finally:
                _set(data, name, items)
        elif last == "=":
            self._assign(data, name)
        elif last == ",":
            _set(data, name, "")
            raise StrvalsError(f"key {quote(name)} has no value (cannot end with ,)")
        else:
            self._nested(data, name, level + 1)

    def _assign(self, data: dict[str, Any], name: str) -> None:
        try:
            _set(data, name, self.value_list())
        except _EndOfInput:
            _set(data, name, "")
            raise
        except _NotList:
            _set(data, name, self.typed(self.runes_until(",")[0]))

    def _nested(self, data: dict[str, Any], name: str, level: int) -> None:
        if level > MAX_NESTED_NAME_LEVEL:
            raise StrvalsError(f"value name nested level is greater than maximum supported nested level of "
                               f"{MAX_NESTED_NAME_LEVEL}")
        inner: dict[str, Any] = _expect(data[name], dict) if name in data else {}
        try:
            self.key(inner, level)
        except (StrvalsError, _EndOfInput):
            if inner:
                _set(data, name, inner)
            raise
        if not inner:
            raise StrvalsError(f"key map {quote(name)} has no value")
        _set(data, name, inner)

    def _index(self) -> int:
        text, last = self.runes_until("]")
        if last is None:
            raise StrvalsError("error parsing index: EOF")
        if not _DECIMAL.fullmatch(text):
            raise StrvalsError(f"error parsing index: strconv.Atoi: parsing {quote(text)}: "
                               "invalid syntax")
        if not _fits_int64(text):
            raise StrvalsError(f"error parsing index: strconv.Atoi: parsing {quote(text)}: "
                               "value out of range")
        return int(text)

    def list_item(self, items: list[Any], index: int, level: int, depth: int = 1) -> list[Any]:
        if index < 0:
            raise StrvalsError(f"negative {index} index not allowed")
        rest, last = self.runes_until("[.=")
        if rest:
            raise StrvalsError(f"unexpected data at end of array index: {quote(rest)}")
        if last is None:
            raise _EndOfInput
        if last == "=":
            try:
                value: Any = self.value_list()
            except _EndOfInput:
                value = ""
            except _NotList:
                value = self.typed(self.runes_until(",")[0])
            return _set_index(items, index, value)
        if last == "[":
            if depth >= limits.MAX_NESTING_DEPTH:  # Helm has no bound here; Go's stack grows, Python's does not
                raise StrvalsError(f"list index nested level is greater than maximum supported nested level of "
                                   f"{limits.MAX_NESTING_DEPTH}")
            next_index = self._index()
            current = items[index] if index < len(items) and items[index] is not None else []
            return _set_index(items, index, self.list_item(_expect(current, list), next_index, level, depth + 1))
        inner: dict[str, Any] = {}
        if index < len(items):
            if not isinstance(items[index], dict):
                items[index] = {}
            inner = items[index]
        self.key(inner, level)
        return _set_index(items, index, inner)

    def value_list(self) -> list[Any]:
        first = self.read()
        if first is None:
            raise _EndOfInput
        if first != "{":
            self.unread()
            raise _NotList
        items: list[Any] = []
        while True:
            text, last = self.runes_until(",}")
            if last is None:
                raise StrvalsError("list must terminate with '}'")
            items.append(self.typed(text))
            if last == "}":
                following = self.read()
                if following is not None and following != ",":
                    self.unread()
                return items


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    if key:
        data[key] = value


def _set_index(items: list[Any], index: int, value: Any) -> list[Any]:
    if index < 0:
        raise StrvalsError(f"negative {index} index not allowed")
    if index > MAX_INDEX:
        raise StrvalsError(f"index of {index} is greater than maximum supported index of {MAX_INDEX}")
    if len(items) <= index:
        items.extend([None] * (index + 1 - len(items)))
    items[index] = value
    return items


def _expect(value: Any, kind: type) -> Any:
    """Go's type assertion on a value already there; Helm turns the panic into this error."""
    if isinstance(value, kind):
        return value
    wanted = "[]interface {}" if kind is list else "map[string]interface {}"
    raise StrvalsError(f"unable to parse key: interface conversion: interface {{}} is {go_type_name(value)}, "
                       f"not {wanted}")


