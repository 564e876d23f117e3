"""Explicit bounds on what chainsaw_py reads and evaluates, so that hostile or broken input fails with a
one-line error instead of a ``RecursionError``, a hang or unbounded memory (see docs/limits.md).

Each limit is a module attribute read at the moment it is checked, so tests may lower it with
``monkeypatch.setattr(limits, "MAX_FILE_BYTES", 1024)``; each also has an environment variable (read once,
at import) for runs that need more room.
"""

from __future__ import annotations

import os


def from_environment(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value > 0 else default


MAX_FILE_BYTES = from_environment("CHAINSAW_PY_MAX_FILE_BYTES", 64 * 1024 * 1024)
"""Largest file read as a test, step template, configuration, values or resource file (64 MiB)."""

MAX_NESTING_DEPTH = from_environment("CHAINSAW_PY_MAX_NESTING_DEPTH", 256)
"""Deepest nesting of mappings and lists in a YAML or JSON document (kube-apiserver and go-yaml refuse
deeper documents too; theirs is 10,000, which Python's recursion could not follow)."""

MAX_ALIAS_NODES = from_environment("CHAINSAW_PY_MAX_ALIAS_NODES", 200_000)
"""Values that YAML aliases may expand to in one document ("billion laughs" protection); documents
without aliases are not limited by it."""

MAX_EXPRESSION_DEPTH = from_environment("CHAINSAW_PY_MAX_EXPRESSION_DEPTH", 128)
"""Deepest nesting of parentheses, brackets, braces and calls in one JMESPath or CEL expression."""

MAX_EXPRESSION_OPERATORS = from_environment("CHAINSAW_PY_MAX_EXPRESSION_OPERATORS", 256)
"""Most operator characters (``.``, ``+``, ``&&``, ``==``, ``|``...) in one expression: long operator
chains make syntax trees as deep as they are long, and CEL's native parser would overflow its stack."""

MAX_EXPRESSION_LENGTH = from_environment("CHAINSAW_PY_MAX_EXPRESSION_LENGTH", 100_000)
"""Longest JMESPath or CEL expression, in characters."""

MAX_INTEGER_DIGITS = 4300
"""Python refuses to convert longer digit strings to ``int`` (``sys.get_int_max_str_digits``); numbers
that long are read as Go reads them (a float, or a string when a float cannot hold them) instead."""

MAX_STRING_LENGTH = from_environment("CHAINSAW_PY_MAX_STRING_LENGTH", 64 * 1024 * 1024)
"""Longest string an expression function may build by repetition (``pad_left``/``pad_right`` widths,
``replace`` results): a width of 10^11 would otherwise take all the memory at once."""

MAX_LIST_LENGTH = from_environment("CHAINSAW_PY_MAX_LIST_LENGTH", 1_000_000)
"""Longest list an expression function builds from a count (CEL's ``lists.range(n)``)."""

MAX_MASKED_VALUES = from_environment("CHAINSAW_PY_MAX_MASKED_VALUES", 50_000)
"""Most secret values (each form: plain, base64, each line) one run masks."""

MAX_MASKED_BYTES = from_environment("CHAINSAW_PY_MAX_MASKED_BYTES", 32 * 1024 * 1024)
"""Most characters of secret values, all forms together, one run masks (32 Mi)."""

EMBEDDED_START_SECONDS = from_environment("CHAINSAW_PY_EMBEDDED_START_SECONDS", 300)
"""Longest wait for the embedded cluster's process to answer that it serves (its plugins included)."""
