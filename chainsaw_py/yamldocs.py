"""Multi-document YAML loading that keeps the line of every node.

Chainsaw reads its files with ``sigs.k8s.io/yaml`` (YAML -> JSON through go-yaml v2, strict mode), so
plain scalars here resolve the way go-yaml v2 resolves them for an ``interface{}`` target, not the way
PyYAML's defaults do:

- ``y/Y/yes/Yes/YES/on/On/ON/true/True/TRUE`` are ``true`` and ``n/N/no/No/NO/off/Off/OFF/false/...``
  are ``false`` (YAML 1.1 booleans, including the single letters go-yaml accepts and PyYAML does not);
- integers follow Go's ``strconv.ParseInt(s, 0, 64)`` after removing ``_``: ``0x1F``, ``0o17``, ``017``
  (octal), ``0b101``; there are no base-60 numbers (PyYAML reads ``1:30`` as 90, Go keeps the string);
- floats follow go-yaml's ``^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$`` (so ``1e3`` is a
  number, which PyYAML would keep as a string);
- timestamps stay strings, and ``=`` is a plain string;
- mapping keys that resolve to non-strings become their JSON text (``on:`` is the key ``"true"``,
  ``1:`` the key ``"1"``), as ``sigs.k8s.io/yaml`` converts them;
- integral floats become ints, as the JSON round trip through ``unstructured`` does (``1.0`` -> ``1``).

Chainsaw's ``--remarshal`` re-reads documents with yaml.v3 first so that anchors and merge keys work;
here anchors and ``<<`` merge keys always work (explicit keys win over merged ones, earlier merge sources
over later ones), so that flag is a no-op. Anchors may be redefined (the latest definition wins), as in
Go. Duplicate keys in one mapping are an error, as with go-yaml's strict mode — except in the resource
files operations read (``apply``/``assert``/``error``... ``file:``), which Chainsaw converts with
``yaml.ToJSON`` (go-yaml v2's non-strict ``Unmarshal``): there the last value of a repeated key wins
(``strict=False``).
"""

from __future__ import annotations

import base64
import binascii
import gc
import math
import re
import struct
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml as pyyaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.scanner import Scanner

from chainsaw_py.errors import LoadError
from chainsaw_py.golang.yaml import resolve_scalar
from chainsaw_py.util import files, limits

PathPart = str | int
YamlPath = tuple[PathPart, ...]

_STR_TAG = "tag:yaml.org,2002:str"
_TAG_PREFIX = "tag:yaml.org,2002:"


@dataclass(frozen=True)
class Document:
    """One YAML document: its JSON-compatible ``data`` and the 1-based line of every node.

    ``lines`` maps a path (map keys and list indexes from the root) to the line of that node: for a
    mapping entry the line of its key, for a list item the line where the item starts.
    """

    data: Any
    file: str | None = None
    index: int = 0
    lines: Mapping[YamlPath, int] = field(default_factory=dict)

    @property
    def line(self) -> int | None:
        return self.lines.get(())

    def line_of(self, path: Sequence[PathPart]) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        if isinstance(self.lines, LineIndex):
            return self.lines.nearest(path)
        parts = tuple(path)
        while True:
            line = self.lines.get(parts)
            if line is not None or not parts:
                return line
            parts = parts[:-1]

    def error(self, message: str, path: Sequence[PathPart] = ()) -> LoadError:
        return LoadError(message, self.file, self.line_of(path), format_path(path) or None)


def format_path(path: Sequence[PathPart]) -> str:
    """``("spec", "steps", 0, "try")`` -> ``spec.steps[0].try``.

    Expression keys (``(...)``, ``~...``) are shown verbatim as kyverno-json does; other keys that are
    not identifiers are quoted: ``metadata.labels["app.kubernetes.io/name"]``.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part[:1] in ("(", "~") or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            out += f".{part}" if out else part  # assertion-tree expression keys are shown verbatim
        else:
            quoted = part.replace("\\", "\\\\").replace('"', '\\"')
            out += f'["{quoted}"]'
    return out


def load_documents(text: str, file: str | Path | None = None, *, strict: bool = True) -> list[Any]:
    """The data of every non-empty document of ``text`` (see ``parse_documents``)."""
    return [document.data for document in parse_documents(text, file, strict=strict)]


def parse_documents(text: str, file: str | Path | None = None, *, strict: bool = True) -> list[Document]:
    """Parse every non-empty document of ``text``, keeping line numbers.

    Documents holding only comments or whitespace are skipped, like Chainsaw's document splitter does.
    A repeated key in one mapping is an error when ``strict``, else its last value wins.
    Raises ``LoadError`` naming the file and line.
    """
    name = str(file) if file is not None else None
    try:
        return _parse(text, name, strict)
    except pyyaml.MarkedYAMLError as err:
        raise _yaml_error(err, name, text) from None
    except pyyaml.reader.ReaderError as err:
        line = text.count("\n", 0, max(int(err.position), 0)) + 1
        code = err.character if isinstance(err.character, int) else ord(err.character)
        raise LoadError(f"invalid YAML: unacceptable character #x{code:04X}: {err.reason}", name, line) from None
    except pyyaml.YAMLError as err:
        raise LoadError(f"invalid YAML: {' '.join(str(err).split())}", name) from None


def read_documents(path: str | Path) -> list[Document]:
    """Read and parse a YAML file (see ``parse_documents``)."""
    return parse_documents(read_text(path), path)


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file (a regular file within ``limits.MAX_FILE_BYTES``), turning every problem
    into a one-line ``LoadError``."""
    try:
        return files.read_text(path, encoding="utf-8-sig")
    except files.FileReadError as err:
        message = {"is a directory": "is a directory, not a file"}.get(err.message, err.message)
        raise LoadError(message, path) from None
    except UnicodeDecodeError as err:
        raise LoadError(f"not a UTF-8 text file ({err.reason} at byte {err.start})", path) from None


def load_single(text: str, file: str | Path | None = None) -> Any:
    """The first document of ``text`` (``None`` when there is none), as ``yaml.Unmarshal`` reads it."""
    documents = parse_documents(text, file)
    return documents[0].data if documents else None


# ---------------------------------------------------------------------------------------------
# Scalar resolution (go-yaml v2 rules)

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class _Merge:
    """The resolved value of a plain ``<<`` key."""


MERGE = _Merge()


_RESOLVED: dict[str, Any] = {}
"""Plain scalars already resolved (keys and values repeat a lot in test files); values are immutable."""
_RESOLVED_MAX = 100_000


def resolve_plain_cached(text: str) -> Any:
    value = _RESOLVED.get(text, _RESOLVED)
    if value is _RESOLVED:
        value = resolve_plain(text)
        if len(_RESOLVED) < _RESOLVED_MAX and len(text) <= 64:
            _RESOLVED[text] = value
    return value


def resolve_plain(text: str) -> Any:
    """Resolve an untagged plain scalar as go-yaml v2 does when decoding into ``interface{}``."""
    if text == "<<":
        return MERGE
    return resolve_scalar(text)[1]


def _resolve_tagged(tag: str, text: str, node: Any) -> Any:
    """A scalar with an explicit tag. Unknown tags keep the text, as go-yaml does."""
    short = "!!" + tag[len(_TAG_PREFIX):] if tag.startswith(_TAG_PREFIX) else tag
    if short in ("!!str", "!!timestamp") or not tag.startswith(_TAG_PREFIX):
        return text
    if short == "!!binary":
        try:
            return base64.b64decode("".join(text.split()), validate=True).decode("utf-8", "replace")
        except binascii.Error:
            raise _node_error(node, f"!!binary value contains invalid base64 data: {text!r}") from None
    value = resolve_plain(text) if text else None
    expected = {"!!int": int, "!!float": float, "!!bool": bool, "!!null": type(None)}.get(short)
    if expected is None:
        return text
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not expected:
        raise _node_error(node, f"cannot decode {_short_tag_of(value)} `{text}` as a {short}")
    return value


def _short_tag_of(value: Any) -> str:
    if value is None:
        return "!!null"
    return {bool: "!!bool", int: "!!int", float: "!!float"}.get(type(value), "!!str")


# ---------------------------------------------------------------------------------------------
# Building: one pass over the parser's events (libyaml's when PyYAML has it), straight to JSON-like
# values, with an explicit stack (no recursion, so the depth limit is the only bound on nesting) and
# the line of every entry kept in a tree beside the values.

LineTree = dict[str, "tuple[int, LineTree | None]"] | list["tuple[int, LineTree | None]"]
"""Per child of a mapping (by key) or list (by index): its line and, for a mapping or a list, its tree."""


class _PyParser(Reader, Scanner, Parser):
    """PyYAML's pure-Python reader, scanner and parser (events only)."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)


def _libyaml_parser() -> type | None:
    """libyaml's scanner and parser, when PyYAML was built with it (several times faster)."""
    try:
        from yaml._yaml import CParser
    except ImportError:
        return None
    return cast(type, CParser)


LOADERS: tuple[type, ...] = tuple(parser for parser in (_libyaml_parser(), _PyParser) if parser is not None)
"""The event sources, fastest first; ``_Loader`` is the one in use."""
_Loader: type = LOADERS[0]


class LineIndex(Mapping[YamlPath, int]):
    """``Document.lines``: the line of a path, looked up in the tree the builder made."""

    def __init__(self, root_line: int, tree: LineTree | None) -> None:
        self._root = (root_line, tree)

    def nearest(self, path: Sequence[PathPart]) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        line, tree = self._root
        for part in path:
            entry = _child(tree, part)
            if entry is None:
                break
            line, tree = entry
        return line

    def __getitem__(self, path: YamlPath) -> int:
        line, tree = self._root
        for part in path:
            entry = _child(tree, part)
            if entry is None:
                raise KeyError(path)
            line, tree = entry
        return line

    def __iter__(self) -> Iterator[YamlPath]:
        pending: list[tuple[YamlPath, LineTree | None]] = [((), self._root[1])]
        while pending:
            path, tree = pending.pop()
            yield path
            children = tree.items() if isinstance(tree, dict) else enumerate(tree or ())
            pending.extend(((*path, key), sub) for key, (_, sub) in children)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _child(tree: LineTree | None, part: PathPart) -> tuple[int, LineTree | None] | None:
    if isinstance(tree, dict):
        return tree.get(part) if isinstance(part, str) else None
    if isinstance(tree, list) and isinstance(part, int) and 0 <= part < len(tree):
        return tree[part]
    return None


_gc_lock = threading.Lock()
_gc_pauses = 0


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (loading builds many acyclic objects, and each collection would
    walk all of them again); reentrant and shared by threads: collection resumes when the last one leaves,
    if it was on when the first one came in."""
    global _gc_pauses
    with _gc_lock:
        _gc_pauses += 1
        if _gc_pauses == 1:
            _gc_pauses_resume[0] = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_pauses_resume[0]:
                gc.enable()


_gc_pauses_resume = [False]


def _parse(text: str, name: str | None, strict: bool = True) -> list[Document]:
    parser = _Loader(text)
    documents: list[Document] = []
    builder = _Builder(parser, name, strict)
    try:
        with gc_paused():
            while (built := builder.next_document()) is not None:
                data, line, tree = built
                documents.append(Document(data, name, len(documents), LineIndex(line, tree)))
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose is not None:
            dispose()
    return documents


class _Anchored:
    """What an anchor names: a scalar's event (resolved again at each alias), or a built collection."""

    __slots__ = ("count", "event", "is_scalar", "tree", "value")

    def __init__(self, event: Any, value: Any = None, tree: LineTree | None = None, count: int = 1,
                 is_scalar: bool = True) -> None:
        self.event, self.value, self.tree, self.count, self.is_scalar = event, value, tree, count, is_scalar


_OPEN = _Anchored(None, is_scalar=False)
"""Stands for an anchored collection that is still being built (an alias to it is recursive)."""


class _Frame:
    """A mapping or a list being built."""

    __slots__ = ("anchor", "count", "event", "explicit_keys", "is_mapping", "key", "key_line", "merges",
                 "string_keys", "tree", "value")

    def __init__(self, event: Any, is_mapping: bool) -> None:
        self.event = event
        self.anchor: str | None = event.anchor
        self.is_mapping = is_mapping
        self.count = 1
        self.key: Any = None  # mapping: the name (or MERGE) whose value comes next
        self.key_line = 0
        self.merges: list[tuple[Any, LineTree | None, Any]] | None = None
        if is_mapping:
            self.value: Any = {}
            self.tree: Any = {}
            self.string_keys: dict[str, int] = {}  # line of each string key (duplicates are errors)
            self.explicit_keys: dict[tuple[type, Any], int] = {}  # the same for other keys (1, true...)
        else:
            self.value = []
            self.tree = []

    def add_merge(self, value: Any, tree: LineTree | None, event: Any) -> None:
        if self.merges is None:
            self.merges = []
        self.merges.append((value, tree, event))


def _take_key(frame: _Frame, scalar: Any, where: Any, strict: bool) -> None:
    """The next key of ``frame`` (``scalar`` is its event; ``where`` the alias standing for it, if any);
    a repeated key is an error when ``strict``, else its value replaces the earlier one."""
    key = _scalar_key(scalar)
    if key is MERGE:
        frame.key = MERGE
        return
    line = where.start_mark.line + 1
    seen: dict[Any, int] = frame.string_keys if type(key) is str else frame.explicit_keys
    identity = key if type(key) is str else (type(key), key)
    first = seen.get(identity)
    if first is not None and strict:
        raise _node_error(where, f'duplicate key "{_go_key_text(key)}" in mapping (first set at line {first})')
    seen[identity] = line
    frame.key = key if type(key) is str else _key_string(key, where)
    frame.key_line = line


class _Builder:
    """Turns the parser's events into documents; see the module docstring for the rules."""

    def __init__(self, parser: Any, file: str | None, strict: bool = True) -> None:
        self.get_event = parser.get_event
        self.file = file
        self.strict = strict

    def next_document(self) -> tuple[Any, int, LineTree | None] | None:
        """The next non-empty document as (data, root line, line tree), or None at the end."""
        while True:
            event = self.get_event()
            if event is None or isinstance(event, StreamEndEvent):
                return None
            if not isinstance(event, DocumentStartEvent):
                continue
            built = self._document()
            if built is not None:
                return built

    def _document(self) -> tuple[Any, int, LineTree | None] | None:
        anchors: dict[str, _Anchored] = {}
        stack: list[_Frame] = []
        top: _Frame | None = None  # stack[-1]
        wants_key = False  # top is a mapping waiting for its next key
        alias_nodes = 0
        result: tuple[Any, int, LineTree | None] | None = None
        get_event = self.get_event
        limit = limits.MAX_NESTING_DEPTH
        while True:
            event = get_event()
            kind = type(event)
            count = 1
            if kind is ScalarEvent:
                if event.anchor is not None:
                    anchors[event.anchor] = _Anchored(event)
                plain = event.tag is None and event.implicit[0]
                value = _RESOLVED.get(event.value, _RESOLVED) if plain else _RESOLVED
                if wants_key:
                    wants_key = False
                    if type(value) is str:  # the common case, inlined: a plain key already resolved
                        line = event.start_mark.line + 1
                        first = top.string_keys.get(value)  # type: ignore[union-attr]
                        if first is not None and self.strict:
                            raise _node_error(event, f'duplicate key "{value}" in mapping (first set at line {first})')
                        top.string_keys[value] = line  # type: ignore[union-attr]
                        top.key, top.key_line = value, line  # type: ignore[union-attr]
                        continue
                    _take_key(top, event, event, self.strict)  # type: ignore[arg-type]
                    continue
                if top is None and _is_empty_document(event):
                    self._expect_document_end()
                    return None
                if type(value) is not str:
                    value = _scalar(event)
                tree, line = None, event.start_mark.line + 1
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if wants_key:
                    raise _node_error(event, "a mapping or a sequence cannot be used as a map key")
                if len(stack) >= limit:
                    raise self._depth_error(event, stack, limit)
                top = _Frame(event, kind is MappingStartEvent)
                if top.anchor is not None:
                    anchors[top.anchor] = _OPEN
                stack.append(top)
                wants_key = top.is_mapping
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                frame = stack.pop()
                top = stack[-1] if stack else None
                wants_key = False
                if frame.merges:
                    _apply_merges(frame)
                value, tree, line, count = frame.value, frame.tree, frame.event.start_mark.line + 1, frame.count
                if frame.anchor is not None and anchors.get(frame.anchor) is _OPEN:
                    anchors[frame.anchor] = _Anchored(frame.event, value, tree, count, is_scalar=False)
            elif kind is AliasEvent:
                target = anchors.get(event.anchor)
                if target is None:
                    raise pyyaml.composer.ComposerError(
                        None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
                if target is _OPEN:
                    raise _node_error(event, "an alias refers to the node that contains it (recursive anchor)")
                if wants_key:
                    if not target.is_scalar:
                        raise _node_error(event, "a mapping or a sequence cannot be used as a map key")
                    _take_key(top, target.event, event, self.strict)  # type: ignore[arg-type]
                    wants_key = False
                    continue
                alias_nodes += target.count
                if alias_nodes > limits.MAX_ALIAS_NODES:
                    raise _node_error(event, "document contains excessive aliasing")
                line = _line(target.event)
                if target.is_scalar:
                    value, tree = _scalar(target.event), None
                else:
                    value, tree, count = _copy(target.value), target.tree, target.count
            elif kind is DocumentEndEvent:
                return result
            else:  # pragma: no cover - the parser emits nothing else inside a document
                continue
            if top is None:
                result = (value, line, tree)
                continue
            top.count += count
            if top.is_mapping:
                key = top.key
                if key is MERGE:
                    top.add_merge(value, tree, event)
                else:
                    top.value[key] = value
                    top.tree[key] = (top.key_line, tree)
                wants_key = True
            else:
                top.value.append(value)
                top.tree.append((line, tree))

    def _expect_document_end(self) -> None:
        while not isinstance(self.get_event(), DocumentEndEvent | StreamEndEvent | type(None)):
            pass

    def _depth_error(self, event: Any, stack: list[_Frame], limit: int) -> LoadError:
        path: list[PathPart] = []
        for frame in stack:
            if type(frame.value) is dict:
                path.append(frame.key if isinstance(frame.key, str) else "<<")
            else:
                path.append(len(frame.value))
        return LoadError(f"exceeded max depth of {limit} (nested mappings and lists)", self.file,
                         _line(event), format_path(path) or None)


def _apply_merges(frame: _Frame) -> None:
    """``<<`` keys: explicit keys win over merged ones, earlier merge sources over later ones."""
    values: dict[str, Any] = {}
    trees: dict[str, tuple[int, LineTree | None]] = {}
    for value, tree, event in frame.merges or ():
        for source, source_tree in _merge_sources(value, tree, event):
            for name, item in source.items():
                if name not in values:
                    values[name] = item
                    trees[name] = source_tree[name]
    values.update(frame.value)
    trees.update(frame.tree)
    frame.value, frame.tree = values, trees


def _merge_sources(value: Any, tree: LineTree | None, event: Any) -> Iterator[tuple[dict[str, Any], Any]]:
    if isinstance(value, dict):
        yield value, tree
        return
    if isinstance(value, list) and isinstance(tree, list) and all(isinstance(item, dict) for item in value):
        for item, (_, item_tree) in zip(value, tree, strict=True):
            yield item, item_tree
        return
    raise _node_error(event, "map merge requires map or sequence of maps as the value")


def _copy(value: Any) -> Any:
    """A fresh copy of an anchored value for one alias (depth is bounded by the nesting limit)."""
    if type(value) is dict:
        return {key: _copy(item) for key, item in value.items()}
    if type(value) is list:
        return [_copy(item) for item in value]
    return value


def _scalar(event: Any) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        if not event.implicit[0]:
            return event.value
        value = resolve_plain_cached(event.value)
        if type(value) is str:
            return value
    elif tag == _STR_TAG:
        value = event.value
    else:
        value = _resolve_tagged(tag, event.value, event)
    if value is MERGE:
        return "<<"
    return _json_number(value, event)


def _scalar_key(event: Any) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        return resolve_plain_cached(event.value) if event.implicit[0] else event.value
    if tag == _STR_TAG:
        return event.value
    return _resolve_tagged(tag, event.value, event)


def _is_empty_document(event: Any) -> bool:
    return (event.tag is None and event.implicit[0] and event.value == "" and not event.style
            and event.anchor is None)


def _line(event: Any) -> int:
    return int(event.start_mark.line) + 1


def _node_error(event: Any, message: str) -> pyyaml.MarkedYAMLError:
    return pyyaml.constructor.ConstructorError(None, None, message, event.start_mark)


# libyaml 0.2.6+ (PyYAML 6.0.4 wheels) stops at 1,000 levels while its scanner looks ahead in flow
# collections, before our own depth check sees the events: that is the same refusal.
LIBYAML_NESTING_PROBLEM = "exceeded maximum nesting depth"


def _yaml_error(err: pyyaml.MarkedYAMLError, file: str | None, text: str) -> LoadError:
    mark = err.problem_mark or err.context_mark
    problem = err.problem or err.context or "invalid document"
    if "tab character" in problem or "'\\t'" in problem or _character_at(text, mark) == "\t":
        problem = "found a tab character; YAML indentation must use spaces"
    elif err.context and err.problem:
        problem = f"{err.context}: {problem}"
    line = int(mark.line) + 1 if mark is not None else None
    if LIBYAML_NESTING_PROBLEM in problem:
        return LoadError(f"exceeded max depth of {limits.MAX_NESTING_DEPTH} (nested mappings and lists)", file, line)
    column = f" (column {int(mark.column) + 1})" if mark is not None else ""
    return LoadError(f"invalid YAML: {problem}{column}", file, line)


def _character_at(text: str, mark: Any) -> str:
    if mark is None:
        return ""
    lines = text.split("\n")
    line, column = int(mark.line), int(mark.column)
    return lines[line][column] if line < len(lines) and column < len(lines[line]) else ""

def _json_number(value: Any, node: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise _node_error(node, f"unsupported value: {node.value} (JSON has no NaN or infinity)")
        if value.is_integer() and _INT64_MIN <= value < 2**63:
            return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > _INT64_MAX:
        return float(value)  # unstructured JSON decoding has no uint64
    return value


def _key_string(key: Any, node: Any) -> str:
    if key is None:
        raise _node_error(node, "unsupported map key of type: <nil>")
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return _go_float32_text(key)
    return str(key)


def _go_key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return "null" if key is None else str(key)


def _go_float32_text(value: float) -> str:
    """``strconv.FormatFloat(v, 'g', -1, 32)`` (how sigs.k8s.io/yaml spells float map keys)."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if value == 0:
        return "0"
    single = _to_float32(value)
    for precision in range(9):
        text = f"{abs(single):.{precision}e}"
        if _to_float32(float(text)) == abs(single):
            break
    mantissa, exponent = text.split("e")
    digits = mantissa.replace(".", "").rstrip("0") or "0"
    point = int(exponent) + 1
    sign = "-" if single < 0 else ""
    shortest_exponent_limit = len(digits) if 6 > len(digits) >= point else 6
    if point - 1 < -4 or point - 1 >= shortest_exponent_limit:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'+' if point >= 1 else '-'}{abs(point - 1):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _to_float32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])
