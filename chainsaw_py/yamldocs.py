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
Go. Duplicate keys in one mapping are an error, as with go-yaml's strict mode.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml as pyyaml
from yaml.composer import Composer
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from chainsaw_py.errors import LoadError
from chainsaw_py.golang.yaml import resolve_scalar

PathPart = str | int
YamlPath = tuple[PathPart, ...]

_PLAIN_TAG = "!chainsaw-py/plain"
_STR_TAG = "tag:yaml.org,2002:str"
_TAG_PREFIX = "tag:yaml.org,2002:"
_MAX_ALIAS_NODES = 200_000
"""Upper bound on values built by expanding aliases, so that alias bombs ("billion laughs") fail fast
instead of eating memory; documents without aliases are not limited."""


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


def load_documents(text: str, file: str | Path | None = None) -> list[Any]:
    """The data of every non-empty document of ``text`` (see ``parse_documents``)."""
    return [document.data for document in parse_documents(text, file)]


def parse_documents(text: str, file: str | Path | None = None) -> list[Document]:
    """Parse every non-empty document of ``text``, keeping line numbers.

    Documents holding only comments or whitespace are skipped, like Chainsaw's document splitter does.
    Raises ``LoadError`` naming the file and line.
    """
    name = str(file) if file is not None else None
    try:
        return _parse(text, name)
    except pyyaml.MarkedYAMLError as err:
        raise _yaml_error(err, name, text) from None
    except pyyaml.reader.ReaderError as err:
        line = text.count("\n", 0, max(int(err.position), 0)) + 1
        code = err.character if isinstance(err.character, int) else ord(err.character)
        raise LoadError(f"invalid YAML: unacceptable character #x{code:04X}: {err.reason}", name, line) from None
    except pyyaml.YAMLError as err:
        raise LoadError(f"invalid YAML: {' '.join(str(err).split())}", name) from None


def _parse(text: str, name: str | None) -> list[Document]:
    loader = _Loader(text)
    documents: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None or _is_empty_document(node):
                continue
            builder = _Builder(name)
            data = builder.build(node, ())
            documents.append(Document(data, name, len(documents), builder.lines))
    finally:
        loader.dispose()
    return documents


def read_documents(path: str | Path) -> list[Document]:
    """Read and parse a YAML file (see ``parse_documents``)."""
    return parse_documents(read_text(path), path)


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file, turning OS errors into a one-line ``LoadError``."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except FileNotFoundError:
        raise LoadError("no such file or directory", path) from None
    except IsADirectoryError:
        raise LoadError("is a directory, not a file", path) from None
    except UnicodeDecodeError as err:
        raise LoadError(f"not a UTF-8 text file ({err.reason} at byte {err.start})", path) from None
    except OSError as err:
        raise LoadError(err.strerror or str(err), path) from None


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


def resolve_plain(text: str) -> Any:
    """Resolve an untagged plain scalar as go-yaml v2 does when decoding into ``interface{}``."""
    if text == "<<":
        return MERGE
    return resolve_scalar(text)[1]


def _resolve_tagged(tag: str, text: str, node: Node) -> Any:
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
# Loader plumbing: PyYAML's reader/scanner/parser, a composer that allows anchors to be redefined,
# and a resolver that only marks plain scalars (the builder resolves them with the rules above).


class _Resolver(BaseResolver):
    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            return _PLAIN_TAG if implicit[0] else _STR_TAG
        return str(super().resolve(kind, value, implicit))


class _Composer(Composer):
    if TYPE_CHECKING:  # provided by the parser and the resolver it is mixed with
        def check_event(self, *choices: type) -> bool: ...
        def get_event(self) -> Any: ...
        def peek_event(self) -> Any: ...
        def descend_resolver(self, parent: Node | None, index: Any) -> None: ...
        def ascend_resolver(self) -> None: ...

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(AliasEvent):
            event = self.get_event()
            if event.anchor not in self.anchors:
                raise pyyaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
            return self.anchors[event.anchor]
        event = self.peek_event()
        anchor = event.anchor
        self.descend_resolver(parent, index)
        node: Node
        if self.check_event(ScalarEvent):
            node = self.compose_scalar_node(anchor)
        elif self.check_event(SequenceStartEvent):
            node = self.compose_sequence_node(anchor)
        elif self.check_event(MappingStartEvent):
            node = self.compose_mapping_node(anchor)
        self.ascend_resolver()
        return node


class _PyLoader(Reader, Scanner, Parser, _Composer, _Resolver):
    """Pure-Python scanner and parser."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Composer.__init__(self)
        _Resolver.__init__(self)


def _libyaml_loader() -> type | None:
    """The same loader on libyaml's scanner and parser (about five times faster), when PyYAML has it."""
    try:
        from yaml._yaml import CParser
    except ImportError:
        return None

    class _CLoader(_Composer, CParser, _Resolver):  # our composer consumes the C parser's events
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            _Composer.__init__(self)
            _Resolver.__init__(self)

    return _CLoader


LOADERS: tuple[type, ...] = tuple(loader for loader in (_libyaml_loader(), _PyLoader) if loader is not None)
_Loader: type = LOADERS[0]


def _is_empty_document(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _PLAIN_TAG and node.value == "" and not node.style


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _node_error(node: Node, message: str) -> pyyaml.MarkedYAMLError:
    return pyyaml.constructor.ConstructorError(None, None, message, node.start_mark)


def _yaml_error(err: pyyaml.MarkedYAMLError, file: str | None, text: str) -> LoadError:
    mark = err.problem_mark or err.context_mark
    problem = err.problem or err.context or "invalid document"
    if "tab character" in problem or "'\\t'" in problem or _character_at(text, mark) == "\t":
        problem = "found a tab character; YAML indentation must use spaces"
    elif err.context and err.problem:
        problem = f"{err.context}: {problem}"
    line = int(mark.line) + 1 if mark is not None else None
    column = f" (column {int(mark.column) + 1})" if mark is not None else ""
    return LoadError(f"invalid YAML: {problem}{column}", file, line)


def _character_at(text: str, mark: Any) -> str:
    if mark is None:
        return ""
    lines = text.split("\n")
    line, column = int(mark.line), int(mark.column)
    return lines[line][column] if line < len(lines) and column < len(lines[line]) else ""


class _Builder:
    """Turns composed nodes into JSON-compatible values and records the line of every path."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.lines: dict[YamlPath, int] = {}
        self._active: set[int] = set()
        self._built: set[int] = set()
        self._alias_depth = 0
        self._alias_nodes = 0

    def build(self, node: Node, path: YamlPath) -> Any:
        self.lines.setdefault(path, _line(node))
        repeated = id(node) in self._built  # the composer hands out the anchored node again for an alias
        self._built.add(id(node))
        if repeated or self._alias_depth:
            self._alias_nodes += 1
            if self._alias_nodes > _MAX_ALIAS_NODES:
                raise _node_error(node, "document contains excessive aliasing")
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if id(node) in self._active:
            raise _node_error(node, "an alias refers to the node that contains it (recursive anchor)")
        self._active.add(id(node))
        self._alias_depth += repeated
        try:
            if isinstance(node, SequenceNode):
                return [self._item(child, (*path, index)) for index, child in enumerate(node.value)]
            return self._mapping(cast(MappingNode, node), path)
        finally:
            self._alias_depth -= repeated
            self._active.discard(id(node))

    def _item(self, node: Node, path: YamlPath) -> Any:
        self.lines[path] = _line(node)
        return self.build(node, path)

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag == _PLAIN_TAG:
            value = resolve_plain(node.value)
        elif node.tag == _STR_TAG:
            value = node.value
        else:
            value = _resolve_tagged(node.tag, node.value, node)
        if value is MERGE:
            return "<<"
        return _json_number(value, node)

    def _mapping(self, node: MappingNode, path: YamlPath) -> dict[str, Any]:
        explicit: dict[str, tuple[Node, Node]] = {}
        seen: dict[tuple[type, Any], int] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if key is MERGE:
                merges.append(value_node)
                continue
            identity = (type(key), key)
            if identity in seen:
                raise _node_error(key_node, f'duplicate key "{_go_key_text(key)}" in mapping '
                                            f"(first set at line {seen[identity]})")
            seen[identity] = _line(key_node)
            explicit[_key_string(key, key_node)] = (key_node, value_node)
        result: dict[str, Any] = {}
        for name, (key_node, value_node) in self._merged_entries(merges, explicit).items():
            entry_path = (*path, name)
            self.lines[entry_path] = _line(key_node)
            result[name] = self.build(value_node, entry_path)
        return result

    def _merged_entries(self, merges: list[Node], explicit: dict[str, tuple[Node, Node]]
                        ) -> dict[str, tuple[Node, Node]]:
        entries: dict[str, tuple[Node, Node]] = {}
        for source in merges:
            for mapping in self._merge_sources(source):
                for key_node, value_node in mapping.value:
                    key = self._key(key_node)
                    if key is MERGE:
                        nested = self._merged_entries([value_node], {})
                        for name, entry in nested.items():
                            entries.setdefault(name, entry)
                        continue
                    entries.setdefault(_key_string(key, key_node), (key_node, value_node))
        entries.update(explicit)
        return entries

    def _merge_sources(self, node: Node) -> Iterator[MappingNode]:
        if isinstance(node, MappingNode):
            yield node
            return
        if isinstance(node, SequenceNode) and all(isinstance(child, MappingNode) for child in node.value):
            yield from node.value
            return
        raise _node_error(node, "map merge requires map or sequence of maps as the value")

    def _key(self, node: Node) -> Any:
        if not isinstance(node, ScalarNode):
            raise _node_error(node, "a mapping or a sequence cannot be used as a map key")
        return self._scalar_key(node)

    def _scalar_key(self, node: ScalarNode) -> Any:
        if node.tag == _PLAIN_TAG:
            return resolve_plain(node.value)
        if node.tag == _STR_TAG:
            return node.value
        return _resolve_tagged(node.tag, node.value, node)


def _json_number(value: Any, node: Node) -> Any:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise _node_error(node, f"unsupported value: {node.value} (JSON has no NaN or infinity)")
        if value.is_integer() and _INT64_MIN <= value < 2**63:
            return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > _INT64_MAX:
        return float(value)  # unstructured JSON decoding has no uint64
    return value


def _key_string(key: Any, node: Node) -> str:
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
