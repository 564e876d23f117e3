"""Expressions: JMESPath (jmespath-community dialect + Chainsaw's functions), CEL, JSONPath,
resource templating and scoped bindings.

```python
from chainsaw_py.expressions import Bindings, evaluate, parse, template, evaluate_string
```
See docs/expressions.md for the languages and the function list.
"""

from chainsaw_py.expressions.bindings import Bindings
from chainsaw_py.expressions.engine import Program, compile_program, evaluate, evaluate_string, evaluate_value
from chainsaw_py.expressions.templating import merge, template
from chainsaw_py.golang.fmt import format_v, go_json_dumps, go_number
from chainsaw_py.grammar import (
    COMPILERS,
    Expression,
    ExpressionError,
    ExpressionSyntaxError,
    check_field_syntax,
    check_syntax,
    is_escaped,
    parse,
    unescape,
)

__all__ = [
    "COMPILERS",
    "Bindings",
    "Expression",
    "ExpressionError",
    "ExpressionSyntaxError",
    "Program",
    "check_field_syntax",
    "check_syntax",
    "compile_program",
    "evaluate",
    "evaluate_string",
    "evaluate_value",
    "format_v",
    "go_json_dumps",
    "go_number",
    "is_escaped",
    "merge",
    "parse",
    "template",
    "unescape",
]
