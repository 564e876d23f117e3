"""Reading assertion-tree keys and values: kyverno-json's ``pkg/core/expression.Parse``.

The parse order is foreach, then binding, then escape or engine:

* ``~name.rest`` / ``~.rest``: iterate over what ``rest`` projects, binding ``$name`` to the index or key;
* ``rest -> name``: bind the projected value to ``$name``;
* ``\\text\\``: the literal ``text``;
* ``(expr)``, ``(jp; expr)``, ``(cel; expr)``, ``(jsonpath; expr)``: an expression in the default or a
  forced engine (``jsonpath`` is a chainsaw_py extension).

The regular expressions are kyverno-json's, with Go's RE2 meaning (``\\w`` and ``\\s`` are ASCII). As in
kyverno-json, the binding regex is greedy, so ``(expr) -> name`` keeps the space before the arrow and is
therefore read as a plain key; write ``(expr)->name``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chainsaw_py.grammar.statement import binding_search

__all__ = ["DEFAULT_ENGINE", "KeyExpression", "parse_key"]

DEFAULT_ENGINE = "default"
"""The engine of an ``(expr)`` with no prefix: the tree's default compiler."""

# ``\Z`` is RE2's ``$``: the very end of the text (Python's ``$`` also matches before a final newline).
_FOREACH = re.compile(r"~(\w+)?\.(.*)", re.ASCII)
_ESCAPE = re.compile(r"\\(.+)\\\Z")
_ENGINE = re.compile(r"\((?:(\w+);)?(.+)\)\Z", re.ASCII)


@dataclass(frozen=True)
class KeyExpression:
    """A parsed key or scalar: ``engine`` is None for a plain (or escaped) statement."""

    statement: str
    engine: str | None = None
    foreach: bool = False
    foreach_name: str = ""
    binding: str = ""


def parse_key(text: str) -> KeyExpression:
    """kyverno-json's ``expression.Parse``."""
    foreach, foreach_name, binding, engine = False, "", "", None
    found = _FOREACH.match(text)
    if found is not None:
        foreach, foreach_name, text = True, found.group(1) or "", found.group(2)
    found = binding_search(text)
    if found is not None:
        binding, text = found.group(2), found.group(1)
    found = _ESCAPE.match(text)
    if found is not None:
        text = found.group(1)
    else:
        found = _ENGINE.match(text)
        if found is not None:
            engine = found.group(1) or DEFAULT_ENGINE
            text = found.group(2)
    return KeyExpression(statement=text, engine=engine, foreach=foreach, foreach_name=foreach_name,
                         binding=binding)
