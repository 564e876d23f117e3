"""A checkpoint in every iteration of CEL's comprehension macros.

The CEL library evaluates in native code that cannot be interrupted, and macros over lists (``all``,
``exists``, ``exists_one``/``existsOne``, ``map``, ``filter``) are where an expression's cost grows
with the data (``l.all(x, l.all(y, ...))`` is quadratic; the library's ``map`` and ``filter`` copy their
result list at every element, so even one of them is quadratic). ``with_checkpoints(source, name)``
rewrites the per-element expression ``e`` of every macro into ``(name() ? (e) : null)``: the function
``name`` runs once per element and may raise to stop the evaluation; while it returns true the result is
``e``'s, errors included, so the rewritten program means the same as ``source``.

``with_costed_checkpoints(source, prefix)`` calls ``<prefix><n>()`` instead, where ``n`` approximates
cel-go's runtime cost of one iteration (see ``iteration_cost``), so that the caller can count an
evaluation's cost as cel-go does and stop it at a cost limit (the embedded API server's budgets).

``with_duration_guard(source)`` passes the argument of every ``duration(...)`` call through
``DURATION_GUARD`` (``kubecel.library``), which refuses what Go's ``time.ParseDuration`` refuses: the library's
own ``duration`` clamps an overflowing one to its largest value, where cel-go fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MACROS = frozenset({"all", "exists", "exists_one", "existsOne", "map", "filter"})

_TOKEN = re.compile(r"""
    (?P<space>\s+|//[^\n]*)
  | (?P<raw>(?:[rR][bB]?|[bB][rR])(?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'[^'\n]*'|"[^"\n]*"))
  | (?P<string>[bB]?(?:'''(?:\\[\s\S]|[^\\])*?'''|\"\"\"(?:\\[\s\S]|[^\\])*?\"\"\"
                     |'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
  | (?P<number>0[xX][0-9a-fA-F]+[uU]?|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[uU]?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<ident>[_a-zA-Z][_a-zA-Z0-9]*)
  | (?P<punct>&&|\|\||==|!=|<=|>=|[\s\S])
""", re.VERBOSE)
_OPENING = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


@dataclass
class _Group:
    """An open bracket; for a macro call, the token ranges of its arguments so far."""
    closer: str
    macro: str | None
    argument_start: int
    arguments: list[tuple[int, int]]


def with_checkpoints(source: str, name: str) -> str:
    """``source`` with a call to ``name()`` guarding the per-element expression of every macro."""
    rewritten, _cost = _rewrite(source, lambda _cost: name)
    return rewritten


def with_costed_checkpoints(source: str, prefix: str) -> tuple[str, int]:
    """``source`` with a call to ``<prefix><n>()`` guarding the per-element expression of every macro, ``n``
    the iteration's cost; and the cost of the expression outside its macros' per-element expressions."""
    return _rewrite(source, lambda cost: f"{prefix}{cost}")


DURATION_GUARD = "__chainsaw_go_duration"


def with_duration_guard(source: str) -> str:
    """``duration(x)`` calls become ``duration(DURATION_GUARD(x))``."""
    tokens = _tokens(source)
    insertions: list[tuple[int, str]] = []
    for index, token in enumerate(tokens[:-1]):
        if token.text != "duration" or tokens[index + 1].text != "(" or (index > 0 and tokens[index - 1].text == "."):
            continue
        closing = _closing(tokens, index + 1)
        if closing is not None:
            insertions += [(tokens[index + 1].end, f"{DURATION_GUARD}("), (tokens[closing].start, ")")]
    for position, text in sorted(insertions, key=lambda insertion: insertion[0], reverse=True):
        source = source[:position] + text + source[position:]
    return source


def _closing(tokens: list[_Token], opening: int) -> int | None:
    depth = 0
    for index in range(opening, len(tokens)):
        if tokens[index].text in _OPENING:
            depth += 1
        elif tokens[index].text in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return index
    return None


def _rewrite(source: str, checkpoint: Callable[[int], str]) -> tuple[str, int]:
    tokens = _tokens(source)
    spans = _per_element_spans(tokens)
    insertions: list[tuple[int, str]] = []
    for first, last in spans:
        cost = ITERATION_COST + _cost(tokens, first, last, spans)
        insertions += [(tokens[first].start, f"({checkpoint(cost)}() ? ("), (tokens[last].end, ") : null)")]
    for position, text in sorted(insertions, key=lambda insertion: insertion[0], reverse=True):
        source = source[:position] + text + source[position:]
    return source, _cost(tokens, 0, len(tokens) - 1, spans)


ITERATION_COST = 1
"""cel-go's cost of one step of a comprehension besides its per-element expression (its accumulator update)."""
_FREE_WORDS = frozenset({"true", "false", "null", "in"})
_OPERATORS = frozenset({"+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "!", "in"})
_LIST_CREATE_COST, _MAP_CREATE_COST = 10, 30   # cel-go's common.ListCreateBaseCost, MapCreateBaseCost


def _cost(tokens: list[_Token], first: int, last: int, spans: list[tuple[int, int]]) -> int:
    """cel-go's runtime cost of the tokens ``first..last`` (inclusive), without the per-element expressions of
    the macros inside (their own checkpoints count them): 1 per identifier, field selection, index, operator
    and function call, 10 per list literal and 30 per map literal; constants are free. Costs that cel-go
    scales with the size of strings and lists (``matches``, ``contains``, ``+`` of lists...) count 1."""
    inner = [(start, end) for start, end in spans if first <= start and end <= last and (start, end) != (first, last)]
    total = 0
    index = first
    while index <= last:
        skipped = next((end for start, end in inner if start == index), None)
        if skipped is not None:
            index = skipped + 1
            continue
        token = tokens[index]
        if (token.kind == "ident" and token.text not in _FREE_WORDS) or token.text in _OPERATORS:
            total += 1
        elif token.text == "[":
            total += 1 if index > 0 and (tokens[index - 1].kind == "ident" or tokens[index - 1].text in ")]") \
                else _LIST_CREATE_COST
        elif token.text == "{":
            total += _MAP_CREATE_COST
        index += 1
    return total


def _tokens(source: str) -> list[_Token]:
    found = (_Token(match.lastgroup or "", match.group(), match.start(), match.end())
             for match in _TOKEN.finditer(source))
    return [token for token in found if token.kind != "space"]


def _per_element_spans(tokens: list[_Token]) -> list[tuple[int, int]]:
    """The token ranges (first, last) of the macro arguments evaluated once per element (one pass)."""
    spans: list[tuple[int, int]] = []
    groups: list[_Group] = []
    for index, token in enumerate(tokens):
        if groups and token.text == groups[-1].closer:
            group = groups.pop()
            group.arguments.append((group.argument_start, index - 1))
            spans += _per_element_span(tokens, group)
        elif groups and token.text == ",":
            groups[-1].arguments.append((groups[-1].argument_start, index - 1))
            groups[-1].argument_start = index + 1
        elif token.kind == "punct" and token.text in _OPENING:
            macro = tokens[index - 1].text if token.text == "(" and _is_macro_call(tokens, index) else None
            groups.append(_Group(_OPENING[token.text], macro, index + 1, []))
    return spans


def _is_macro_call(tokens: list[_Token], opening: int) -> bool:
    return opening >= 2 and tokens[opening - 1].text in MACROS and tokens[opening - 2].text == "."


def _per_element_span(tokens: list[_Token], group: _Group) -> list[tuple[int, int]]:
    """For a macro call: the token ranges of the arguments evaluated per element (both the predicate and the
    transform of ``map(x, p, e)``), when the call has a macro's shape."""
    arguments = group.arguments
    if group.macro is None or len(arguments) not in (2, 3) or (len(arguments) == 3 and group.macro != "map"):
        return []
    (variable_start, variable_end), *bodies = arguments
    if variable_start != variable_end or tokens[variable_start].kind != "ident" or any(
            body_start > body_end for body_start, body_end in bodies):
        return []
    return bodies
