"""Expression errors: evaluation failures and syntax errors, each a one-line message."""

from __future__ import annotations

from chainsaw_py.errors import ChainsawError


class ExpressionError(ChainsawError):
    """An expression could not be evaluated (a *hard* error for assertions)."""


class ExpressionSyntaxError(ExpressionError):
    """An expression is not valid in its language; raised at load time by ``check_syntax``."""
