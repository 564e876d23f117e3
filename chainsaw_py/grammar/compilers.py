"""Parsing each expression language without evaluating it: compile (cached) and load-time syntax checks.

Each language's parser is imported when the first expression of that language is checked: a suite without
expressions loads none of them (issue 14's start-up)."""

from __future__ import annotations

import functools
from typing import Any

from chainsaw_py.grammar.bounds import check_expression_bounds
from chainsaw_py.grammar.errors import ExpressionSyntaxError
from chainsaw_py.grammar.statement import COMPILERS, parse

DEFAULT_COMPILER = "jp"


@functools.lru_cache(maxsize=1024)
def compile_cel(source: str) -> Any:
    """Compile ``source`` (cached), its optional syntax rewritten (``kubecel.optionals``). Raises
    ``ExpressionSyntaxError`` with the parser's message."""
    import cel

    from chainsaw_py.kubecel.optionals import desugar

    check_expression_bounds(source)
    try:
        return cel.compile(desugar(source.strip()))
    except ValueError as error:
        raise ExpressionSyntaxError(_syntax_message(str(error))) from None


CEL_CHECKPOINT = "__chainsaw_checkpoint__"
"""The function called once per element of the CEL macros compiled by ``compile_cel_with_checkpoints``."""


@functools.lru_cache(maxsize=1024)
def compile_cel_with_checkpoints(source: str) -> Any:
    """``compile_cel(source)`` with a call to ``CEL_CHECKPOINT()`` in every iteration of its macros, where
    evaluation can be stopped, and ``duration()`` refusing what Go refuses (see ``kubecel.checkpoints``)."""
    import cel

    from chainsaw_py.kubecel.checkpoints import with_checkpoints, with_duration_guard
    from chainsaw_py.kubecel.optionals import desugar

    program = compile_cel(source)
    text = desugar(source.strip())
    rewritten = with_checkpoints(with_duration_guard(text), CEL_CHECKPOINT)
    if rewritten == text:
        return program
    try:
        return cel.compile(rewritten)
    except ValueError:  # not a shape the rewriting knows: the program runs without checkpoints
        return program


def _syntax_message(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line[line.index("ERROR:"):] for line in lines if "ERROR:" in line]
    return "; ".join(errors) if errors else (lines[0] if lines else "invalid CEL expression")


@functools.lru_cache(maxsize=1024)
def compile_jsonpath(source: str) -> Any:
    """Parse ``source`` (cached). Raises ``ExpressionSyntaxError`` with jsonpath-ng's message."""
    from jsonpath_ng.ext import parse as parse_extended

    text = source.strip()
    if not text:
        raise ExpressionSyntaxError("invalid JSONPath expression: empty")
    check_expression_bounds(text)
    try:
        return parse_extended(text)
    except Exception as error:
        raise ExpressionSyntaxError(f"invalid JSONPath expression {text!r}: {error}") from None


def check_syntax(source: str, compiler: str | None = "jp") -> None:
    """Raise ``ExpressionSyntaxError`` (with the parser's message) if ``source`` does not parse."""
    language = compiler or DEFAULT_COMPILER
    if language == "jp":
        from chainsaw_py.grammar.jmes_parser import compile_expression

        compile_expression(source)
    elif language == "cel":
        compile_cel(source)
    elif language == "jsonpath":
        compile_jsonpath(source)
    else:
        raise ExpressionSyntaxError(
            f"unknown compiler {language!r} (expected one of: {', '.join(COMPILERS)})")


def check_field_syntax(field: Any, compiler: str | None = "jp") -> None:
    """Load-time check of a string that may hold an expression (Expression fields, tree keys...).

    Plain and escaped strings, and expressions with an unknown engine prefix, are not checked.
    """
    if not isinstance(field, str):
        return
    expression = parse(field)
    if expression is None:
        return
    engine = expression.engine or compiler or DEFAULT_COMPILER
    if engine in COMPILERS:
        check_syntax(expression.source, engine)
