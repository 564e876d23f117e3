"""Tokens of the jmespath-community dialect (``pkg/parsing/lexer.go`` of go-jmespath)."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from typing import Any

from jmespath import lexer as base_lexer

from chainsaw_py.golang.fmt import go_json_error, quote_rune_to_ascii
from chainsaw_py.golang.jsonnum import decode_float, decode_integer
from chainsaw_py.grammar.errors import ExpressionSyntaxError

Token = dict[str, Any]

_IDENTIFIER_START = frozenset(string.ascii_letters + "_")
_IDENTIFIER_CHARS = frozenset(string.ascii_letters + string.digits + "_")
_DIGITS = frozenset(string.digits)
_WHITESPACE = frozenset(" \t\n\r")
_SIMPLE = {
    ".": "dot", "*": "star", ",": "comma", ":": "colon", "{": "lbrace", "}": "rbrace",
    "]": "rbracket", "(": "lparen", ")": "rparen", "@": "current", "+": "plus", "%": "modulo",
    "\u2212": "minus", "\u00d7": "multiply", "\u00f7": "divide",
}
# Two-character tokens: first char -> (second char, token if matched, token otherwise)
_PAIRS = {
    "/": ("/", "div", "divide"),
    "|": ("|", "or", "pipe"),
    "<": ("=", "lte", "lt"),
    ">": ("=", "gte", "gt"),
    "!": ("=", "ne", "not"),
    "=": ("=", "eq", "assign"),
    "&": ("&", "and", "expref"),
}


def syntax_error(message: str) -> ExpressionSyntaxError:
    """go-jmespath's ``SyntaxError.Error()`` text."""
    return ExpressionSyntaxError(f"SyntaxError: {message}")


class Lexer(base_lexer.Lexer):
    """Tokenizer with the community dialect's extra tokens; token dicts as in the base class."""

    def tokenize(self, expression: str) -> Iterator[Token]:  # type: ignore[override]
        text = expression
        position = 0
        length = len(text)
        while position < length:
            char = text[position]
            if char in _IDENTIFIER_START:
                end = _scan(text, position + 1, _IDENTIFIER_CHARS)
                yield _token("unquoted_identifier", text[position:end], position, end)
                position = end
            elif char in _SIMPLE:
                yield _token(_SIMPLE[char], char, position, position + 1)
                position += 1
            elif char == "-":
                if position + 1 < length and text[position + 1] in _DIGITS:
                    end = _scan(text, position + 1, _DIGITS)
                    yield _token("number", int(text[position:end]), position, end)
                    position = end
                else:
                    yield _token("minus", char, position, position + 1)
                    position += 1
            elif char in _DIGITS:
                end = _scan(text, position, _DIGITS)
                yield _token("number", int(text[position:end]), position, end)
                position = end
            elif char == "[":
                yield from self._bracket(text, position)
                position += 1 if _bracket_kind(text, position) == "lbracket" else 2
            elif char == '"':
                token, position = _quoted_identifier(text, position)
                yield token
            elif char == "'":
                token, position = _raw_string(text, position)
                yield token
            elif char == "`":
                token, position = _json_literal(text, position)
                yield token
            elif char in _PAIRS:
                second, matched, single = _PAIRS[char]
                if position + 1 < length and text[position + 1] == second:
                    yield _token(matched, char + second, position, position + 2)
                    position += 2
                else:
                    yield _token(single, char, position, position + 1)
                    position += 1
            elif char == "$":
                end = _scan(text, position + 1, _IDENTIFIER_CHARS)
                kind = "root" if end == position + 1 else "variable"
                yield _token(kind, text[position:end], position, end)
                position = end
            elif char in _WHITESPACE:
                position += 1
            else:
                raise syntax_error(f"Unknown char: {quote_rune_to_ascii(char)}")
        yield _token("eof", "", length, length)

    @staticmethod
    def _bracket(text: str, position: int) -> Iterator[Token]:
        kind = _bracket_kind(text, position)
        value = {"filter": "[?", "flatten": "[]", "lbracket": "["}[kind]
        yield _token(kind, value, position, position + len(value))


def _token(kind: str, value: Any, start: int, end: int) -> Token:
    return {"type": kind, "value": value, "start": start, "end": end}


def _scan(text: str, position: int, allowed: frozenset[str]) -> int:
    while position < len(text) and text[position] in allowed:
        position += 1
    return position


def _bracket_kind(text: str, position: int) -> str:
    following = text[position + 1:position + 2]
    return {"?": "filter", "]": "flatten"}.get(following, "lbracket")


def _until(text: str, position: int, delimiter: str) -> tuple[str, int]:
    """The raw text between ``text[position]`` and the next unescaped ``delimiter``, and the index after."""
    index = position + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            index += 2
            continue
        if char == delimiter:
            return text[position + 1:index], index + 1
        index += 1
    raise syntax_error(f"Unclosed delimiter: {delimiter}")


def _quoted_identifier(text: str, position: int) -> tuple[Token, int]:
    raw, end = _until(text, position, '"')
    try:
        value = json.loads(f'"{raw}"')
    except json.JSONDecodeError as error:
        raise ExpressionSyntaxError(go_json_error(error)) from None
    return _token("quoted_identifier", value, position, end), end


def _raw_string(text: str, position: int) -> tuple[Token, int]:
    raw, end = _until(text, position, "'")
    value = []
    index = 0
    while index < len(raw):
        if raw[index] == "\\" and index + 1 < len(raw) and raw[index + 1] in "'\\":
            value.append(raw[index + 1])
            index += 2
        else:
            value.append(raw[index])
            index += 1
    return _token("string_literal", "".join(value), position, end), end


def _json_literal(text: str, position: int) -> tuple[Token, int]:
    raw, end = _until(text, position, "`")
    raw = raw.replace("\\`", "`")
    try:
        value = json.loads(raw, parse_constant=_reject_constant, parse_int=decode_integer, parse_float=decode_float)
    except json.JSONDecodeError as error:
        raise ExpressionSyntaxError(go_json_error(error)) from None
    except (RecursionError, ValueError) as error:  # deeper than json can follow, or out of float64 range
        message = "exceeded max depth" if isinstance(error, RecursionError) else str(error)
        raise ExpressionSyntaxError(f"invalid JSON literal: {message}") from None
    return _token("json_literal", value, position, end), end



def _reject_constant(name: str) -> Any:
    raise json.JSONDecodeError("Expecting value", name, 0)
