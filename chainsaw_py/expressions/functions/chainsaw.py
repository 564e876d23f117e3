"""Chainsaw's own functions (``pkg/engine/functions``): env, trim_space, as_string and the
experimental ``x_`` ones (Kubernetes look-ups through the ``$client``/``$config`` protocols, and
``x_metrics_decode``)."""

from __future__ import annotations

import os
from typing import Any

from chainsaw_py.expressions.functions.registry import ANY, STRING, FunctionEntry, arg, function


@function("env", arg(STRING), description="Returns the value of the environment variable passed in argument.")
def _env(name: str) -> str:
    return os.environ.get(name, "")


@function("trim_space", arg(STRING),
          description="Trims leading and trailing spaces from the string passed in argument.")
def _trim_space(value: str) -> str:
    return value.strip(_GO_SPACE)


@function("as_string", arg(ANY), description="Returns the passed in argument converted into a string.")
def _as_string(value: Any) -> Any:
    return value if isinstance(value, str) else None


# unicode.IsSpace: '\t', '\n', '\v', '\f', '\r', ' ', U+0085 (NEL), U+00A0 (NBSP) and category Z
_GO_SPACE = "\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008" \
            "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def _entries() -> tuple[FunctionEntry, ...]:
    from chainsaw_py.expressions.functions import k8s, metrics

    return (_env, _trim_space, _as_string, *k8s.FUNCTIONS, *metrics.FUNCTIONS)


FUNCTIONS: tuple[FunctionEntry, ...] = _entries()
