"""Bounds on the strings expression functions build: a function whose result would exceed
``limits.MAX_STRING_LENGTH`` fails before building it (see docs/limits.md)."""

from __future__ import annotations

from chainsaw_py.grammar.errors import ExpressionError
from chainsaw_py.util import limits


def check_built_length(name: str, length: int) -> None:
    """Refuse to build a string of ``length`` characters beyond the limit."""
    if length > limits.MAX_STRING_LENGTH:
        raise ExpressionError(f"the function '{name}' would build a string of {length} characters "
                              f"(the limit is {limits.MAX_STRING_LENGTH}, see CHAINSAW_PY_MAX_STRING_LENGTH)")


def bounded_replace(name: str, subject: str, old: str, new: str, limit: int = -1) -> str:
    """``subject.replace(old, new, limit)`` once its result is known to be within the limit."""
    if limit > len(subject):   # no more replacements than places: a limit beyond them is "all" (and fits C)
        limit = -1
    if len(new) > len(old):
        occurrences = len(subject) + 1 if old == "" else subject.count(old)
        if limit >= 0:
            occurrences = min(occurrences, limit)
        check_built_length(name, len(subject) + occurrences * (len(new) - len(old)))
    return subject.replace(old, new, limit)
