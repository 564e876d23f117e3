"""The jmespath-community dialect of JMESPath, built on the ``jmespath`` package.

``compile_expression(text)`` gives a parsed AST (cached); ``search(ast, value, bindings, functions)``
interprets it. The lexer, parser and interpreter subclass the ``jmespath`` package's own classes and
add what the community dialect has: ``$variables``, the root ``$``, ``let``, arithmetic
(``+ - * / % //`` and unary signs), raw strings with ``\\\\`` escapes and strict JSON literals.
"""

from chainsaw_py.expressions.jmes.interpreter import search
from chainsaw_py.grammar.jmes_parser import compile_expression

__all__ = ["compile_expression", "search"]
