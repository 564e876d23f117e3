"""``command``: run ``entrypoint`` with ``args`` (no shell; ``$VAR`` expanded like Go's ``os.Expand``)."""

from __future__ import annotations

import os
import re
from typing import Any

from chainsaw_py.loading.model import Command
from chainsaw_py.operations.base import OperationContext, Outputs
from chainsaw_py.operations.internal.execution import execute

_VARIABLE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z0-9_]+)|(.))", re.DOTALL)


def expand(text: str, env: dict[str, str]) -> str:
    """Go's ``os.Expand`` with Chainsaw's mapping: env bindings, then the process environment; unknown
    names stay ``$NAME``; ``$$`` gives ``$``."""

    def replace(match: re.Match[str]) -> str:
        braced, plain, other = match.groups()
        if other is not None:
            if other == "$":
                return "$"
            if other == "{":
                return ""  # unterminated "${": Go eats it
            if other in "*#$@!?-" or other.isdigit():
                return _lookup(other, env)
            return "$" + other
        name = braced if braced is not None else plain
        if braced is not None and braced == "":
            return ""
        return _lookup(name, env)

    return _VARIABLE.sub(replace, text)


def _lookup(name: str, env: dict[str, str]) -> str:
    if name == "$":
        return "$"
    if name in env:
        return env[name]
    if name in os.environ:
        return os.environ[name]
    return "$" + name


def load(action: Command, ctx: OperationContext) -> list[Any]:
    return [None]


def run(action: Command, payload: Any, ctx: OperationContext) -> Outputs:
    return execute(action, lambda env: [action.entrypoint, *(expand(a, env) for a in action.args)],
                   "CMD", ctx)
