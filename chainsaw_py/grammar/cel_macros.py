"""A checkpoint in every iteration of CEL's comprehension macros.

The CEL library evaluates in native code that cannot be interrupted, and macros over lists (``all``,
``exists``, ``exists_one``/``existsOne``, ``map``, ``filter``) are where an expression's cost grows
with the data (``l.all(x, l.all(y, ...))`` is quadratic). ``with_checkpoints(source, name)`` rewrites
the per-element expression ``e`` of each macro that holds another macro into ``(name() ? (e) : null)``:
the function ``name`` runs once per element of the outer loops and may raise to stop the evaluation; while
it returns true the result is ``e``'s, errors included, so the rewritten program means the same as
``source``. Innermost macros keep running natively (a call per element would cost several times the
loop itself): between two checkpoints runs at most one innermost loop, whose cost is linear in its list.
"""

from __future__ import annotations

import re
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
    holds_macro: bool = False


def with_checkpoints(source: str, name: str) -> str:
    """``source`` with a call to ``name()`` guarding the per-element expression of each macro that
    holds another macro."""
    insertions: list[tuple[int, str]] = []
    for start, end in _per_element_spans(_tokens(source)):
        insertions += [(start, f"({name}() ? ("), (end, ") : null)")]
    for position, text in sorted(insertions, key=lambda insertion: insertion[0], reverse=True):
        source = source[:position] + text + source[position:]
    return source


def _tokens(source: str) -> list[_Token]:
    found = (_Token(match.lastgroup or "", match.group(), match.start(), match.end())
             for match in _TOKEN.finditer(source))
    return [token for token in found if token.kind != "space"]


def _per_element_spans(tokens: list[_Token]) -> list[tuple[int, int]]:
    """The source spans of the macro arguments evaluated once per element (one pass over ``tokens``)."""
    spans: list[tuple[int, int]] = []
    groups: list[_Group] = []
    for index, token in enumerate(tokens):
        if groups and token.text == groups[-1].closer:
            group = groups.pop()
            group.arguments.append((group.argument_start, index - 1))
            span = _per_element_span(tokens, group)
            if span is not None:
                spans.append(span)
        elif groups and token.text == ",":
            groups[-1].arguments.append((groups[-1].argument_start, index - 1))
            groups[-1].argument_start = index + 1
        elif token.kind == "punct" and token.text in _OPENING:
            macro = tokens[index - 1].text if token.text == "(" and _is_macro_call(tokens, index) else None
            if macro is not None:
                for group in groups:
                    group.holds_macro = True
            groups.append(_Group(_OPENING[token.text], macro, index + 1, []))
    return spans


def _is_macro_call(tokens: list[_Token], opening: int) -> bool:
    return opening >= 2 and tokens[opening - 1].text in MACROS and tokens[opening - 2].text == "."


def _per_element_span(tokens: list[_Token], group: _Group) -> tuple[int, int] | None:
    """For a macro call holding another macro: the span of the argument evaluated per element (the
    predicate of ``map(x, p, e)``), when the call has a macro's shape."""
    arguments = group.arguments
    if group.macro is None or not group.holds_macro or len(arguments) not in (2, 3) or (len(arguments) == 3 and group.macro != "map"):
        return None
    (variable_start, variable_end), (body_start, body_end) = arguments[0], arguments[1]
    if variable_start != variable_end or tokens[variable_start].kind != "ident" or body_start > body_end:
        return None
    return tokens[body_start].start, tokens[body_end].end
