"""The grammar of Chainsaw's expressions, below ``loading`` (which checks syntax at load time) and
``expressions`` (which evaluates): expression statements (``(jp; ...)``, escapes), the JMESPath dialect's
lexer and parser, CEL and JSONPath compilation, and the expression errors."""

from chainsaw_py.grammar.compilers import check_field_syntax, check_syntax, compile_cel, compile_jsonpath
from chainsaw_py.grammar.errors import ExpressionError, ExpressionSyntaxError
from chainsaw_py.grammar.statement import COMPILERS, Expression, is_escaped, parse, unescape

__all__ = [
    "COMPILERS",
    "Expression",
    "ExpressionError",
    "ExpressionSyntaxError",
    "check_field_syntax",
    "check_syntax",
    "compile_cel",
    "compile_jsonpath",
    "is_escaped",
    "parse",
    "unescape",
]
