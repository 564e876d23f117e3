"""Patterns and value lists shared by the schemas (``schema_source``) and their error messages (``validate``)."""

from __future__ import annotations

COMPILERS = ["jp", "cel", "jsonpath"]
"""Accepted compiler values; ``jsonpath`` is a chainsaw_py extension."""

DURATION_PATTERN = r"^[-+]?(?:0|(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+)$"
"""A Go duration, as ``time.ParseDuration`` accepts it."""

DURATION_FORMAT = "go-duration"
"""The schema format of durations: the value must also fit Go's int64 nanoseconds."""

BINDING_NAME_PATTERN = r"^(?:[A-Za-z0-9_]+|\(.+\))$"
"""Chainsaw's binding-name rule ``^(?:\\w+|\\(.+\\))$`` with Go's ASCII ``\\w``."""

FORMAT_PATTERN = r"^(?:json|yaml|\(.+\))$"
"""Output formats of get/events/wait."""

FUNCTION_PATTERN = (r"^(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*|[^:]+\.py)"
                    r":[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
"""The ``python`` operation's ``function`` (a chainsaw_py extension): ``module:attr`` or ``file.py:attr``
(attr may be dotted)."""
