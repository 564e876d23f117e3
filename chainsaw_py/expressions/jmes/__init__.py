"""The jmespath-community dialect of JMESPath, built on the ``jmespath`` package.

``compile_expression(text)`` gives a parsed AST (cached); ``compile_search(text, functions)`` compiles it
into closures (cached) and gives ``search(value, bindings)``. The lexer and parser subclass the ``jmespath``
package's own classes and add what the community dialect has: ``$variables``, the root ``$``, ``let``,
arithmetic (``+ - * / % //`` and unary signs), raw strings with ``\\\\`` escapes and strict JSON literals.
"""

from chainsaw_py.expressions.jmes.compiler import Search, compile_search
from chainsaw_py.grammar.jmes_parser import compile_expression

__all__ = ["Search", "compile_expression", "compile_search"]
