"""Pratt parser for the jmespath-community dialect, extending ``jmespath.parser.Parser``.

Error messages follow go-jmespath (``pkg/parsing/parser.go``) so that a user sees what Chainsaw
would print, e.g. ``SyntaxError: Unknown char: ';'`` or ``SyntaxError: Incomplete expression``.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar, NoReturn

from jmespath import ast
from jmespath import parser as base_parser

from chainsaw_py.grammar.bounds import check_expression_bounds
from chainsaw_py.grammar.errors import ExpressionSyntaxError
from chainsaw_py.grammar.jmes_lexer import Lexer, Token, syntax_error

Node = dict[str, Any]

# go-jmespath's token names (``TokType.String()``), used in its error messages.
GO_TOKEN_NAMES = {
    "eof": "TOKEOF", "unquoted_identifier": "TOKUnquotedIdentifier",
    "quoted_identifier": "TOKQuotedIdentifier", "json_literal": "TOKJSONLiteral",
    "string_literal": "TOKStringLiteral", "rbracket": "TOKRbracket", "rparen": "TOKRparen",
    "comma": "TOKComma", "rbrace": "TOKRbrace", "number": "TOKNumber", "current": "TOKCurrent",
    "expref": "TOKExpref", "colon": "TOKColon", "pipe": "TOKPipe", "or": "TOKOr", "and": "TOKAnd",
    "eq": "TOKEQ", "gt": "TOKGT", "lt": "TOKLT", "gte": "TOKGTE", "lte": "TOKLTE", "ne": "TOKNE",
    "flatten": "TOKFlatten", "star": "TOKStar", "filter": "TOKFilter", "dot": "TOKDot",
    "not": "TOKNot", "lbrace": "TOKLbrace", "lbracket": "TOKLbracket", "lparen": "TOKLparen",
    "plus": "TOKPlus", "minus": "TOKMinus", "multiply": "TOKMultiply", "divide": "TOKDivide",
    "modulo": "TOKModulo", "div": "TOKDiv", "variable": "TOKVarref", "root": "TOKRoot",
    "assign": "TOKAssign",
}
ARITHMETIC_TOKENS = ("plus", "minus", "star", "multiply", "divide", "modulo", "div")


def go_name(token_type: str) -> str:
    return GO_TOKEN_NAMES.get(token_type, "TOKUnknown")


class Parser(base_parser.Parser):
    """The base parser plus variables, root, let, arithmetic and go-jmespath's error messages."""

    BINDING_POWER: ClassVar[dict[str, int]] = {
        **base_parser.Parser.BINDING_POWER,
        "json_literal": 0, "string_literal": 0, "variable": 0, "root": 0,
        "assign": 1,
        "plus": 6, "minus": 6,
        "multiply": 7, "divide": 7, "modulo": 7, "div": 7,
    }
    # A cache of our own: the base class's cache holds ASTs of the plain dialect (used by botocore).
    _CACHE: ClassVar[dict[str, Any]] = {}
    _MAX_SIZE = 2048

    def _do_parse(self, expression: str) -> Any:
        return self._parse(expression)

    def _parse(self, expression: str) -> Any:
        self._tokens = list(Lexer().tokenize(expression))
        self._index = 0
        parsed = self._expression(binding_power=0)
        if self._current_token() != "eof":
            raise syntax_error("Unexpected token at the end of the expression: "
                               + go_name(self._current_token()))
        return base_parser.ParsedResult(expression, parsed)

    # -- nud (prefix) -----------------------------------------------------------------------

    def _token_nud_json_literal(self, token: Token) -> Node:
        return ast.literal(token["value"])

    def _token_nud_string_literal(self, token: Token) -> Node:
        return ast.literal(token["value"])

    def _token_nud_variable(self, token: Token) -> Node:
        return {"type": "variable", "value": token["value"], "children": []}

    def _token_nud_root(self, token: Token) -> Node:
        return {"type": "root", "children": []}

    def _token_nud_unquoted_identifier(self, token: Token) -> Node:
        if token["value"] == "let" and self._current_token() == "variable":
            return self._parse_let_expression()
        return ast.field(token["value"])

    def _token_nud_quoted_identifier(self, token: Token) -> Node:
        if self._current_token() == "lparen":
            raise syntax_error("Can't have quoted identifier as function name.")
        return ast.field(token["value"])

    def _token_nud_plus(self, token: Token) -> Node:
        return _unary("plus", self._expression(self.BINDING_POWER["plus"]))

    def _token_nud_minus(self, token: Token) -> Node:
        return _unary("minus", self._expression(self.BINDING_POWER["minus"]))

    def _token_nud_lparen(self, token: Token) -> Node:
        expression = self._expression(0)
        self._match("rparen")
        return expression

    # -- led (infix) ------------------------------------------------------------------------

    def _token_led_plus(self, left: Node) -> Node:
        return self._arithmetic("plus", left)

    def _token_led_minus(self, left: Node) -> Node:
        return self._arithmetic("minus", left)

    def _token_led_star(self, left: Node) -> Node:
        return self._arithmetic("star", left)

    def _token_led_multiply(self, left: Node) -> Node:
        return self._arithmetic("multiply", left)

    def _token_led_divide(self, left: Node) -> Node:
        return self._arithmetic("divide", left)

    def _token_led_modulo(self, left: Node) -> Node:
        return self._arithmetic("modulo", left)

    def _token_led_div(self, left: Node) -> Node:
        return self._arithmetic("div", left)

    def _token_led_assign(self, left: Node) -> Node:
        right = self._expression(0)
        return {"type": "binding", "children": [left, right]}

    def _token_led_lparen(self, left: Node) -> Node:
        if left["type"] != "field":
            raise syntax_error("Invalid node as function name.")
        args = []
        while self._current_token() != "rparen":
            args.append(self._expression(0))
            if self._current_token() == "comma":
                self._match("comma")
        self._match("rparen")
        return ast.function_expression(left["value"], args)

    def _arithmetic(self, operator: str, left: Node) -> Node:
        right = self._expression(self.BINDING_POWER[operator])
        return {"type": "arithmetic", "value": operator, "children": [left, right]}

    # -- let ----------------------------------------------------------------------------------

    def _parse_let_expression(self) -> Node:
        bindings = []
        while not self._at_keyword("in"):
            binding = self._expression(0)
            if binding["type"] != "binding" or binding["children"][0]["type"] != "variable":
                raise syntax_error("Expected a variable binding such as $name = expression in let")
            if self._current_token() == "comma":
                self._match("comma")
            bindings.append(binding)
        self._advance()
        body = self._expression(0)
        return {"type": "let_expression",
                "children": [{"type": "bindings", "children": bindings}, body]}

    def _at_keyword(self, keyword: str) -> bool:
        token = self._lookahead_token(0)
        if token["type"] == "eof":
            raise syntax_error(f"Expected keyword {keyword}, received: TOKEOF")
        return token["type"] == "unquoted_identifier" and token["value"] == keyword

    # -- pieces re-done for go-jmespath's messages ---------------------------------------------

    def _parse_slice_expression(self) -> Node:
        parts: list[int | None] = [None, None, None]
        index = 0
        current = self._current_token()
        while current != "rbracket" and index < 3:
            if current == "colon":
                index += 1
                if index == 3:
                    raise syntax_error("Too many colons in slice expression")
                self._advance()
            elif current == "number":
                parts[index] = self._lookahead_token(0)["value"]
                self._advance()
            else:
                raise syntax_error("Expected tColon or tNumber, received: " + go_name(current))
            current = self._current_token()
        self._match("rbracket")
        return ast.slice(*parts)

    def _parse_multi_select_hash(self) -> Node:
        pairs = []
        while True:
            key_token = self._lookahead_token(0)
            if key_token["type"] not in ("quoted_identifier", "unquoted_identifier"):
                raise syntax_error("Expected tQuotedIdentifier or tUnquotedIdentifier")
            self._advance()
            self._match("colon")
            value = self._expression(0)
            pairs.append(ast.key_val_pair(key_name=key_token["value"], node=value))
            if self._current_token() == "comma":
                self._match("comma")
            elif self._current_token() == "rbrace":
                self._match("rbrace")
                break
        return ast.multi_select_dict(nodes=pairs)

    def _parse_projection_rhs(self, binding_power: int) -> Node:
        current = self._current_token()
        if self.BINDING_POWER[current] < self._PROJECTION_STOP:
            return ast.identity()
        if current in ("lbracket", "filter"):
            return self._expression(binding_power)
        if current == "dot":
            self._match("dot")
            return self._parse_dot_rhs(binding_power)
        raise syntax_error("Error")

    def _parse_dot_rhs(self, binding_power: int) -> Node:
        lookahead = self._current_token()
        if lookahead in ("quoted_identifier", "unquoted_identifier", "star"):
            return self._expression(binding_power)
        if lookahead == "lbracket":
            self._match("lbracket")
            return self._parse_multi_select_list()
        if lookahead == "lbrace":
            self._match("lbrace")
            return self._parse_multi_select_hash()
        raise syntax_error("Expected identifier, lbracket, or lbrace")

    def _error_nud_token(self, token: Token) -> NoReturn:
        if token["type"] == "eof":
            raise syntax_error("Incomplete expression")
        raise syntax_error("Invalid token: " + go_name(token["type"]))

    def _error_led_token(self, token: Token) -> NoReturn:
        raise syntax_error("Unexpected token: " + go_name(token["type"]))

    def _match(self, token_type: str | None = None) -> None:
        if self._current_token() == token_type:
            self._advance()
            return
        raise syntax_error(f"Expected {go_name(token_type or '')}, received: "
                           + go_name(self._current_token()))

    def _match_multiple_tokens(self, token_types: list[str]) -> None:
        if self._current_token() not in token_types:
            raise syntax_error(f"Expected {go_name(token_types[0])}, received: "
                               + go_name(self._current_token()))
        self._advance()

    def _raise_parse_error_for_token(self, token: Token, reason: str) -> NoReturn:
        raise syntax_error(reason)

    def _raise_parse_error_maybe_eof(self, expected_type: Any, token: Token) -> NoReturn:
        if token["type"] == "eof":
            raise syntax_error("Incomplete expression")
        raise syntax_error(f"Expected {go_name(str(expected_type))}, received: " + go_name(token["type"]))


def _unary(operator: str, operand: Node) -> Node:
    return {"type": "arithmetic_unary", "value": operator, "children": [operand]}


_local = threading.local()


def compile_expression(expression: str) -> Node:
    """The AST of ``expression`` (cached). Raises ``ExpressionSyntaxError``."""
    cached = Parser._CACHE.get(expression)
    if cached is not None:
        return cached.parsed
    if not expression:
        raise syntax_error("Incomplete expression")
    check_expression_bounds(expression)
    try:
        return Parser().parse(expression).parsed
    except RecursionError:  # a safety net: the bounds above keep the parser's recursion shallow
        raise ExpressionSyntaxError("expression nests too deeply") from None
