"""cel-go's optional syntax (``a.?b``, ``a[?k]``, ``opt.optMap(x, e)``, ``opt.optFlatMap(x, e)``) for the ``cel``
package, whose parser refuses it: ``desugar(source)`` rewrites it into calls of ``functions()`` (registered by
both evaluators) and the package's own optional values, with cel-go's semantics
(``interpreter/attributes.go`` ``applyQualifiers``):

- ``a.?b`` is ``optional.of(a.b)`` when ``a`` has the field ``b``, ``optional.none()`` otherwise; ``a[?k]`` likewise
  for maps (key present) and lists (index in range). A receiver that is itself an optional is unwrapped first
  (``optional.none().?b`` is none).
- Once a chain holds an optional qualifier, every later ``.f`` / ``[k]`` of the chain is presence-tested too:
  ``a.?b.c`` is none when ``a`` has no ``b`` or ``a.b`` has no ``c``.
- ``has(a.?b.c)`` is true when ``a.?b`` has a value with the field ``c``.
- ``o.optMap(x, e)`` is ``optional.of(e)`` with ``x`` bound to ``o.value()`` when ``o`` has a value, none otherwise;
  ``o.optFlatMap(x, e)`` is ``e`` (an optional) in that case.

The rewrite is one pass over the tokens (``checkpoints._tokens``), so strings and comments are left alone, and it
changes nothing in a source without the syntax. Optional entries of list and map literals (``[a, ?b]``,
``{?k: o}``) are left out when their value is none. Not rewritten: optional fields of message constructions
(``Msg{?f: o}``; the parser still refuses them). An ``optMap`` whose body returns an optional loses it (the package's
``map`` macro unwraps optionals it collects).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chainsaw_py.kubecel.checkpoints import _Token, _tokens
from chainsaw_py.kubecel.errors import LibraryError

QUALIFY = "__chainsaw_optional_qualify"
HAS = "__chainsaw_optional_has"
AS_LIST = "__chainsaw_optional_as_list"
FROM_LIST = "__chainsaw_optional_from_list"
FLATTEN = "__chainsaw_optional_flatten"
ENTRIES = "__chainsaw_optional_entries"
ELEMENT = "__chainsaw_optional_element"
_MACROS = frozenset({"optMap", "optFlatMap"})
_CLOSERS = {")": "(", "]": "[", "}": "{"}


@dataclass
class _Chain:
    """A chain of qualifiers being rewritten: its receiver's first token, and what its last qualifier was."""
    start: int
    last_field: bool   # the last qualifier is a plain ``.f`` (``has()`` of it tests for presence)
    wrapper: int       # the position of the last qualifier's opening call in ``prefixes[start]``


class _Rewriter:
    """One left-to-right pass over the tokens. Each token's text is kept (or replaced) in ``pieces``; calls that
    wrap an operand are added to ``prefixes`` of the operand's first token: a later one wraps an earlier one."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.matching = _matching_brackets(self.tokens)
        self.gaps: list[str] = []
        self.pieces: list[str] = []
        self.prefixes: list[list[str]] = [[] for _ in self.tokens]
        self.suffixes: dict[int, str] = {}        # a closing bracket's replacement
        self.chains: dict[int, _Chain] = {}       # token index where a chain may continue → the chain
        self.known: dict[int, int | None] = {}    # operand starts found so far
        position = 0
        for token in self.tokens:
            self.gaps.append(source[position:token.start])
            self.pieces.append(token.text)
            position = token.end
        self.trailer = source[position:]

    def text(self) -> str:
        parts = [gap + "".join(reversed(prefixes)) + piece
                 for gap, prefixes, piece in zip(self.gaps, self.prefixes, self.pieces, strict=True)]
        return "".join(parts) + self.trailer

    def run(self) -> str:
        index = 0
        while index < len(self.tokens):
            index = self._visit(index)
        return self.text()

    def _visit(self, index: int) -> int:
        chain = self.chains.pop(index, None)
        token = self.tokens[index]
        optional = self._optional_qualifier(index)
        if chain is not None and (optional or self._plain_qualifier(index)):
            return self._qualify(chain.start, index, optional)
        if chain is not None and token.text == ")" and self._tests_presence(chain, index):
            return index + 1
        if optional:
            start = _operand_start(self.tokens, self.matching, index - 1, self.known)
            if start is not None:
                return self._qualify(start, index, optional)
        if token.text in _MACROS and self._macro_call(index):
            return index + 1
        if token.text in ("[", "{") and self._literal(index):
            return index + 1
        if index in self.suffixes:
            self.pieces[index] = self.suffixes.pop(index)
        return index + 1

    def _optional_qualifier(self, index: int) -> bool:
        """``.?f`` or an index ``[?k]`` (not a list literal) starts at ``index``."""
        tokens = self.tokens
        if index == 0 or index + 2 >= len(tokens) or tokens[index + 1].text != "?" \
                or not _ends_operand(tokens[index - 1]):
            return False
        if tokens[index].text == ".":
            return tokens[index + 2].kind == "ident"
        return tokens[index].text == "[" and index in self.matching

    def _plain_qualifier(self, index: int) -> bool:
        tokens = self.tokens
        if tokens[index].text == "[":
            return index in self.matching
        return (tokens[index].text == "." and index + 1 < len(tokens) and tokens[index + 1].kind == "ident"
                and (index + 2 >= len(tokens) or tokens[index + 2].text != "("))

    def _qualify(self, start: int, index: int, optional: bool) -> int:
        """Wrap the chain so far in ``QUALIFY(chain, key)``; returns the index after the qualifier's tokens."""
        self.prefixes[start].append(f"{QUALIFY}(")
        wrapper = len(self.prefixes[start]) - 1
        if optional:
            self.pieces[index + 1] = ""                  # the ?
        if self.tokens[index].text == ".":
            name = index + 2 if optional else index + 1
            self.pieces[index] = ""
            self.gaps[index + 1] = self.gaps[name] = ""
            self.pieces[name] = f', "{self.tokens[name].text}")'
            self.chains[name + 1] = _Chain(start, not optional, wrapper)
            return name + 1
        closing = self.matching[index]
        self.pieces[index] = ", "
        self.suffixes[closing] = ")"
        self.chains[closing + 1] = _Chain(start, False, wrapper)
        return index + 2 if optional else index + 1

    def _tests_presence(self, chain: _Chain, closing: int) -> bool:
        """``has(chain.f)``: the chain's last ``QUALIFY`` becomes ``HAS``, which replaces ``has(`` and ``)``."""
        tokens, start = self.tokens, chain.start
        if not (chain.last_field and start >= 2 and tokens[start - 1].text == "("
                and self.matching.get(start - 1) == closing and tokens[start - 2].text == "has"
                and (start < 3 or tokens[start - 3].text != ".")):
            return False
        self.prefixes[start][chain.wrapper] = f"{HAS}("
        self.pieces[start - 2] = self.pieces[start - 1] = self.pieces[closing] = ""
        return True

    def _literal(self, opening: int) -> bool:
        """Optional entries: ``[a, ?b]`` → ``([a] + AS_LIST(b))``; ``{k: v, ?l: o}`` →
        ``ENTRIES([[k, v], [l, o, true]])`` (the entry is left out when ``b`` / ``o`` is none); ``ELEMENT`` is
        ``AS_LIST`` with cel-go's message for an element that is not an optional."""
        tokens = self.tokens
        closing = self.matching.get(opening)
        previous = tokens[opening - 1] if opening > 0 else None
        is_list = tokens[opening].text == "["
        if closing is None or (previous is not None and (
                _ends_operand(previous) if is_list else previous.kind == "ident" and previous.text != "in")):
            return False
        commas = [index for index in _top_level(tokens, self.matching, opening) if tokens[index].text == ","]
        bounds = list(zip([opening + 1] + [comma + 1 for comma in commas], [*commas, closing], strict=True))
        if bounds and bounds[-1][0] == bounds[-1][1]:
            bounds.pop()                                          # a trailing comma
        if not any(tokens[first].text == "?" for first, _end in bounds):
            return False
        colons = [] if is_list else [_key_colon(tokens, self.matching, opening, first, end) for first, end in bounds]
        if None in colons:
            return False
        closers: list[str] = []
        for number, (first, _end) in enumerate(bounds):
            optional = tokens[first].text == "?"
            opener = (f"{ELEMENT}(" if optional else "[") if is_list else "["
            closer = (")" if optional else "]") if is_list else (", true]" if optional else "]")
            joint = " + " if is_list else ", "
            if number == 0:
                self.pieces[opening] = ("(" if is_list else f"{ENTRIES}([") + opener
            else:
                self.pieces[first - 1] = closers[-1] + joint + opener
            if optional:
                self.pieces[first] = ""
            closers.append(closer)
        for colon in colons:
            self.pieces[colon or 0] = ", "
        if len(commas) == len(bounds):                            # the trailing comma
            self.pieces[commas[-1]] = ""
        self.suffixes[closing] = closers[-1] + (")" if is_list else "])")
        return True

    def _macro_call(self, name: int) -> bool:
        """``o.optMap(x, e)`` → ``FROM_LIST(AS_LIST(o).map(x, e))``; ``o.optFlatMap(x, e)`` →
        ``FLATTEN(AS_LIST(o).map(x, AS_LIST(e)))``: ``o`` is evaluated once, ``e`` only when ``o`` has a value,
        with ``x`` bound to it (the ``cel`` package's macros lose optionals bound to their variable, not lists)."""
        tokens = self.tokens
        if not (name >= 2 and tokens[name - 1].text == "." and name + 4 < len(tokens)
                and tokens[name + 1].text == "(" and tokens[name + 2].kind == "ident"
                and tokens[name + 3].text == ","):
            return False
        closing = self.matching.get(name + 1)
        start = _operand_start(self.tokens, self.matching, name - 2, self.known)
        if closing is None or start is None or closing <= name + 4 \
                or _top_level_commas(tokens, self.matching, name + 1) != [name + 3]:
            return False
        flat = tokens[name].text == "optFlatMap"
        self.prefixes[start].append(f"{FLATTEN if flat else FROM_LIST}({AS_LIST}(")
        self.pieces[name - 1], self.pieces[name] = ").", "map"
        if flat:
            self.pieces[name + 3] = f", {AS_LIST}("
        self.suffixes[closing] = ")))" if flat else "))"
        return True


def desugar(source: str) -> str:
    """``source`` with its optional syntax rewritten; unchanged without it."""
    if "?" not in source and "optMap" not in source and "optFlatMap" not in source:
        return source
    return _Rewriter(source).run()


def _matching_brackets(tokens: list[_Token]) -> dict[int, int]:
    """Each bracket's partner, both ways (unbalanced ones have none)."""
    matching: dict[int, int] = {}
    stack: list[int] = []
    for index, token in enumerate(tokens):
        if token.text in ("(", "[", "{"):
            stack.append(index)
        elif token.text in _CLOSERS:
            if stack and tokens[stack[-1]].text == _CLOSERS[token.text]:
                opening = stack.pop()
                matching[opening], matching[index] = index, opening
            else:
                stack.clear()
    return matching


def _top_level_commas(tokens: list[_Token], matching: dict[int, int], opening: int) -> list[int]:
    """The commas directly inside the bracket at ``opening`` (not in nested brackets)."""
    return [index for index in _top_level(tokens, matching, opening) if tokens[index].text == ","]


def _top_level(tokens: list[_Token], matching: dict[int, int], opening: int, first: int | None = None,
               end: int | None = None) -> list[int]:
    """The tokens directly inside the bracket at ``opening`` (nested brackets skipped), from ``first`` to ``end``."""
    found: list[int] = []
    index = opening + 1 if first is None else first
    stop = matching[opening] if end is None else end
    while index < stop:
        found.append(index)
        partner = matching.get(index)
        index = partner + 1 if partner is not None and partner > index else index + 1
    return found


def _key_colon(tokens: list[_Token], matching: dict[int, int], opening: int, first: int, end: int) -> int | None:
    """The ``:`` between a map entry's key and value (not one of a conditional ``c ? a : b`` in the key)."""
    pending = 0
    start = first + 1 if tokens[first].text == "?" else first
    for index in _top_level(tokens, matching, opening, start, end):
        if tokens[index].text == "?":
            pending += 1
        elif tokens[index].text == ":":
            if pending == 0:
                return index
            pending -= 1
    return None


def _ends_operand(token: _Token) -> bool:
    return (token.kind in ("ident", "string", "raw", "number") and token.text != "in") or token.text in _CLOSERS


def _operand_start(tokens: list[_Token], matching: dict[int, int], last: int,
                   known: dict[int, int | None]) -> int | None:
    """The first token of the member expression (primary, then selections, optional selections, indexes and
    calls) ending at ``last``. ``known`` remembers the answers for every token the walk passed (a walk from
    there would end at the same token), so that walks over long chains of calls stay linear."""
    visited: list[int] = []
    start = _walk_back(tokens, matching, last, known, visited)
    for index in visited:
        known[index] = start
    return start


def _walk_back(tokens: list[_Token], matching: dict[int, int], last: int, known: dict[int, int | None],
               visited: list[int]) -> int | None:
    index = last
    while True:
        if index in known:
            return known[index]
        visited.append(index)
        token = tokens[index]
        if token.text in _CLOSERS:
            opening = matching.get(index)
            if opening is None:
                return None
            before = tokens[opening - 1] if opening > 0 else None
            if tokens[opening].text == "[" and before is not None and _ends_operand(before):
                index = opening - 1
                continue
            if tokens[opening].text in "({" and before is not None and before.kind == "ident" and before.text != "in":
                index = opening - 1   # a call or a message construction: continue at its name
            else:
                return opening
        elif token.kind != "ident":
            return index
        dot = index - 2 if index > 1 and tokens[index - 1].text == "?" and tokens[index - 2].text == "." \
            else index - 1
        if dot >= 0 and tokens[dot].text == ".":
            if dot > 0 and _ends_operand(tokens[dot - 1]):
                index = dot - 1
                continue
            return dot
        return index


# -- the functions the rewritten programs call ------------------------------------------------------------------


def _is_optional(value: Any) -> bool:
    return type(value).__name__ == "OptionalValue"


def _type_name(value: Any) -> str:
    names = {bool: "bool", int: "int", float: "double", str: "string", bytes: "bytes", list: "list", dict: "map"}
    return "null_type" if value is None else names.get(type(value), type(value).__name__)


def _list_index(key: Any) -> int:
    """cel-go's ``types.IndexOrError``."""
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    if isinstance(key, float):
        if key.is_integer() and -(2**63) <= key < 2**63:
            return int(key)
        raise LibraryError(f"unsupported index value {key} in list")
    raise LibraryError(f"unsupported index type '{_type_name(key)}' in list")


def _find(target: Any, key: Any) -> tuple[bool, Any]:
    """cel-go's presence-testing qualification: (found, value); values that are neither maps nor lists have
    no fields."""
    if isinstance(target, dict):
        if isinstance(key, (dict, list)) or key is None:
            raise LibraryError(f"unsupported key type: {_type_name(key)}")
        if key not in target:
            return False, None
        if isinstance(key, bool) or key in (0, 1):  # Python finds 1 for true; CEL does not
            matches = [stored for stored in target
                       if stored == key and isinstance(stored, bool) == isinstance(key, bool)]
            return (True, target[matches[0]]) if matches else (False, None)
        return True, target[key]
    if isinstance(target, list):
        position = _list_index(key)
        return (True, target[position]) if 0 <= position < len(target) else (False, None)
    return False, None


def qualify(receiver: Any, key: Any) -> Any:
    """``receiver.?key`` / ``receiver[?key]``: an optional receiver is unwrapped (none stays none)."""
    import cel

    if _is_optional(receiver):
        if not receiver.has_value():
            return cel.OptionalValue.none()
        receiver = receiver.value()
    found, value = _find(receiver, key)
    return cel.OptionalValue.of(value) if found else cel.OptionalValue.none()


def has_field(chain: Any, field: str) -> bool:
    """``has(chain.field)`` where ``chain`` is an optional: false when it is none."""
    if _is_optional(chain):
        if not chain.has_value():
            return False
        chain = chain.value()
    if isinstance(chain, dict):
        return field in chain
    if isinstance(chain, list):
        _list_index(field)
    raise LibraryError(f"no such key: {field}")


def as_list(value: Any) -> list[Any]:
    """An optional as a list of zero or one element."""
    if not _is_optional(value):
        raise LibraryError(f"no such overload: expected an optional, got {_type_name(value)}")
    return [value.value()] if value.has_value() else []


def element(value: Any) -> list[Any]:
    """An optional list element ``?e`` as a list of zero or one element."""
    if not _is_optional(value):
        raise LibraryError(f"cannot initialize optional list element from non-optional value {value}")
    return as_list(value)


def from_list(values: list[Any]) -> Any:
    import cel

    return cel.OptionalValue.of(values[0]) if values else cel.OptionalValue.none()


def flatten(values: list[list[Any]]) -> Any:
    return from_list(values[0] if values else [])


def entries(pairs: list[list[Any]]) -> dict[Any, Any]:
    """A map literal with optional entries: ``[key, value]``, or ``[key, optional, true]`` left out when none."""
    result: dict[Any, Any] = {}
    for key, value, *optional in pairs:
        if optional:
            if not _is_optional(value):
                raise LibraryError(f"cannot initialize optional entry '{key}' from non-optional value {value}")
            if not value.has_value():
                continue
            value = value.value()
        result[key] = value       # a repeated key: the last one wins, as in cel-go's evalMap
    return result


def functions() -> dict[str, Callable[..., Any]]:
    return {QUALIFY: qualify, HAS: has_field, AS_LIST: as_list, FROM_LIST: from_list, FLATTEN: flatten,
            ENTRIES: entries, ELEMENT: element}
