"""Assertion trees and failure messages (kyverno-json semantics, Chainsaw's message format).

```python
from chainsaw_py.checks import assert_tree, match_tree, FieldError, AssertionHardError, resource_error_message

errors = assert_tree(tree, resource, bindings)        # [] on a match; raises AssertionHardError
if errors:
    print(resource_error_message(tree, resource, errors, bindings))
```

The modules document the rules (``tree``, ``match``, ``keys``), the message format (``errors``, ``message``,
``diff``, ``goyaml``) and the one deliberate difference from Chainsaw: Secret values are redacted (``redact``).
"""

from chainsaw_py.checks.diff import pretty_diff, prune_actual
from chainsaw_py.checks.errors import AssertionHardError, ErrorType, FieldError, FieldPath
from chainsaw_py.checks.match import IncomparableError, match
from chainsaw_py.checks.message import (
    EXPECTATION_MATCHED,
    resource_error_message,
    resource_key,
    resource_matched_message,
)
from chainsaw_py.checks.redact import REDACTED, REDACTED_DIFFERENT, redact_field_error
from chainsaw_py.checks.tree import AssertionTree, assert_tree, compile_tree, match_tree
from chainsaw_py.golang.yaml import marshal as marshal_yaml

__all__ = [
    "EXPECTATION_MATCHED",
    "REDACTED",
    "REDACTED_DIFFERENT",
    "AssertionHardError",
    "AssertionTree",
    "ErrorType",
    "FieldError",
    "FieldPath",
    "IncomparableError",
    "assert_tree",
    "compile_tree",
    "marshal_yaml",
    "match",
    "match_tree",
    "pretty_diff",
    "prune_actual",
    "redact_field_error",
    "resource_error_message",
    "resource_key",
    "resource_matched_message",
]
