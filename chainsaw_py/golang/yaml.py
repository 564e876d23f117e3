"""YAML output byte-for-byte like Go's ``sigs.k8s.io/yaml.Marshal`` (what Chainsaw's diffs are made of).

``sigs.k8s.io/yaml`` marshals to JSON, decodes that JSON with go-yaml v2 (which picks int, uint or float
for each number) and encodes the result with go-yaml v2's emitter: map keys sorted with go-yaml's
"natural" order, two-space indentation, sequences not indented under their key, long plain and quoted
strings folded at 80 columns, multi-line strings as literal blocks, strings that would read as another
type (``"yes"``, ``"123"``, ``"2024-01-01"``, ``""``) double-quoted.

:func:`marshal` reproduces that pipeline. The emitter below follows go-yaml v2's ``emitterc.go`` (a port of
libyaml) for the subset of events a JSON value produces: block mappings and sequences, empty flow
collections and scalars in plain, single-quoted, double-quoted and literal styles.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from chainsaw_py.golang.fmt import GoFormatError, format_float, json_marshal

__all__ = ["GoFormatError", "marshal", "parse_go_int", "resolve_scalar"]

_BEST_INDENT = 2
_BEST_WIDTH = 80
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2 ** 63), 2 ** 63 - 1, 2 ** 64 - 1
_MAX_INT64_DIGITS = 66  # "0b" and 64 binary digits: longer is out of range in any base


def marshal(value: Any) -> str:
    """``sigs.k8s.io/yaml.Marshal(value)`` for a JSON-like value (dict, list, str, int, float, bool, None)."""
    _check_json_encodable(value)
    decoded = _from_json(value)
    _check_multiline_keys(value, 0)
    emitter = _Emitter()
    emitter.emit_document(decoded)
    return emitter.output()


# --- the JSON -> go-yaml decoding step ----------------------------------------------------------------------


def _from_json(value: Any) -> Any:
    """The value go-yaml v2 decodes from ``json.Marshal(value)``: integral floats become ints, and so on."""
    if isinstance(value, Mapping):
        return {_decoded_string(_json_key(key)): _from_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_from_json(item) for item in value]
    if isinstance(value, str):
        return _decoded_string(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
        value = float(value)  # Kubernetes' JSON decoding gives float64 beyond int64
    if isinstance(value, (int, float)):
        return _resolve_number(json_marshal(value))
    return value


def _check_json_encodable(value: Any) -> None:
    """Raise :class:`GoFormatError` where Go's ``json.Marshal`` would fail (NaN, infinities, odd types)."""
    if isinstance(value, Mapping):
        for item in value.values():
            _check_json_encodable(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_json_encodable(item)
    elif isinstance(value, float) or not (value is None or isinstance(value, (str, int, bool))):
        json_marshal(value)


def _check_multiline_keys(value: Any, breaks: int) -> int:
    """go-yaml cannot read a JSON object key holding a raw NEL (a line break inside a flow simple key).

    Walks the value in ``json.Marshal`` order, counting the NELs (YAML line breaks) met so far, to report the
    line number go-yaml reports. Returns the running count.
    """
    if isinstance(value, str):
        return breaks + value.count("\x85")
    if isinstance(value, Mapping):
        for key, item in sorted((_json_key(key), item) for key, item in value.items()):
            if "\x85" in key:
                line = breaks + key.count("\x85")
                raise GoFormatError(f"yaml: line {line}: did not find expected ',' or '}}'")
            breaks = _check_multiline_keys(item, breaks)
        return breaks
    if isinstance(value, (list, tuple)):
        for item in value:
            breaks = _check_multiline_keys(item, breaks)
    return breaks


# Characters json.Marshal leaves raw but go-yaml's reader refuses.
_REFUSED_BY_READER = re.compile("[\x7f-\x84\x86-\x9f\ufffe\uffff]")
# A raw NEL (U+0085) inside a double-quoted JSON string is a YAML line break, folded with the raw spaces
# around it (tabs are escaped in JSON, so they are not blanks there).
_FOLDED_NEL = re.compile("[ ]*(?:\x85[ ]*)+")


def _decoded_string(text: str) -> str:
    """The string go-yaml reads back from the JSON encoding of ``text``."""
    if _REFUSED_BY_READER.search(text):
        raise GoFormatError("yaml: control characters are not allowed")
    if "\x85" not in text:
        return text
    return _FOLDED_NEL.sub(lambda match: _fold(match.group(0).count("\x85")), text)


def _fold(breaks: int) -> str:
    return " " if breaks == 1 else "\n" * (breaks - 1)


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    return json_marshal(key).strip('"')


def _resolve_number(text: str) -> int | float:
    """go-yaml's resolution of a JSON number: int64, then uint64, then float64."""
    if re.fullmatch(r"-?[0-9]+", text) and len(text) <= _MAX_INT64_DIGITS:
        number = int(text)
        if _INT64_MIN <= number <= _UINT64_MAX:
            return number
    return float(text)


# --- scalar resolution (go-yaml v2 resolve.go) ------------------------------------------------------------

STR, NULL, BOOL, INT, FLOAT, TIMESTAMP = "str", "null", "bool", "int", "float", "timestamp"

_BOOLS: dict[str, bool] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
}
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_SPECIAL_FLOATS: dict[str, float] = {
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_INT = re.compile(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_BASE60_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_TIMESTAMP_PREFIX = re.compile(r"\d{4}-", re.ASCII)
_TIMESTAMP_FORMATS = (
    re.compile(r"\d{4}-\d{1,2}-\d{1,2}[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:Z|[-+]\d{2}:\d{2})", re.ASCII),
    re.compile(r"\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?", re.ASCII),
    re.compile(r"\d{4}-\d{1,2}-\d{1,2}", re.ASCII),
)


def resolve_scalar(text: str) -> tuple[str, Any]:
    """go-yaml v2's ``resolve("", text)`` for a plain scalar: (tag, value), the tag being one of
    :data:`STR`, :data:`NULL`, :data:`BOOL`, :data:`INT`, :data:`FLOAT`, :data:`TIMESTAMP` (whose value
    is the text: decoding into ``interface{}`` keeps timestamps as strings)."""
    if text in _NULLS:
        return NULL, None
    if text in _BOOLS:
        return BOOL, _BOOLS[text]
    if text in _SPECIAL_FLOATS:
        return FLOAT, _SPECIAL_FLOATS[text]
    first = text[0]
    if first == ".":
        return _parse_float(text, text)
    if first in "+-" or (first.isdigit() and first.isascii()):
        return _resolve_number_text(text)
    return STR, text


def _resolve_number_text(text: str) -> tuple[str, Any]:
    if _is_timestamp(text):
        return TIMESTAMP, text
    plain = text.replace("_", "")
    number = parse_go_int(plain)
    if number is not None:
        return INT, number
    return _parse_float(plain, text)


def _parse_float(plain: str, text: str) -> tuple[str, Any]:
    """``strconv.ParseFloat`` on go-yaml's float syntax; out of float64 range (``1e999``, 400 digits) it
    fails with ``ErrRange`` and go-yaml keeps the string."""
    if not _YAML_FLOAT.fullmatch(plain):
        return STR, text
    value = float(plain)
    return (STR, text) if math.isinf(value) else (FLOAT, value)


def parse_go_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 0, 64)``, falling back to ``ParseUint`` (which takes no sign) like go-yaml."""
    match = _GO_INT.fullmatch(text)
    if match is None:
        return None
    sign, digits = match.groups()
    if len(digits) > _MAX_INT64_DIGITS:  # out of range in any base; keeps int() within its 4,300 digits
        return None
    prefix = digits[:2].lower()
    if prefix in ("0x", "0o", "0b"):
        value = int(digits[2:], {"0x": 16, "0o": 8, "0b": 2}[prefix])
    elif len(digits) > 1 and digits[0] == "0":
        value = int(digits, 8)
    else:
        value = int(digits)
    value = -value if sign == "-" else value
    if _INT64_MIN <= value <= _INT64_MAX or (not sign and value <= _UINT64_MAX):
        return value
    return None


def _is_timestamp(text: str) -> bool:
    if not _TIMESTAMP_PREFIX.match(text):
        return False
    return any(pattern.fullmatch(text) and _valid_date(text) for pattern in _TIMESTAMP_FORMATS)


def _valid_date(text: str) -> bool:
    year, month, day = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", text).groups()  # type: ignore[union-attr]
    month_i, day_i = int(month), int(day)
    if not 1 <= month_i <= 12 or day_i < 1:
        return False
    days = [31, 29 if _leap(int(year)) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month_i - 1]
    if day_i > days:
        return False
    time_part = re.search(r"[Tt ](\d{1,2}):(\d{1,2}):(\d{1,2})", text)
    if time_part:
        hour, minute, second = (int(part) for part in time_part.groups())
        if hour > 23 or minute > 59 or second > 59:
            return False
    return True


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _is_base60_float(text: str) -> bool:
    if not text or not (text[0] in "+-" or "0" <= text[0] <= "9") or ":" not in text:
        return False
    return bool(_BASE60_FLOAT.fullmatch(text))


# --- the emitter --------------------------------------------------------------------------------------------


class _Style(Enum):
    PLAIN = "plain"
    SINGLE = "single"
    DOUBLE = "double"
    LITERAL = "literal"


@dataclass
class _Analysis:
    multiline: bool
    flow_plain_allowed: bool
    block_plain_allowed: bool
    single_quoted_allowed: bool
    block_allowed: bool


_BREAKS = "\r\n\x85\u2028\u2029"


def _is_printable(char: str) -> bool:
    code = ord(char)
    return (code == 0x0A or 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF
            or (0xE000 <= code <= 0xFFFD and code != 0xFEFF))


# Strings that need no analysis: no indicator, space, break or special character anywhere.
_SIMPLE = re.compile(r"[A-Za-z0-9_()/$=+^<;~][A-Za-z0-9_.()/$=+^<;~-]*\Z")
_SIMPLE_ANALYSIS = _Analysis(False, True, True, True, True)


_PRINTABLE_ASCII = re.compile(r"[ -~]+\Z")
_MIDDLE_BLOCK_INDICATOR = re.compile(r".(?::(?: |\Z)| #)", re.DOTALL)


def _analyze_one_line_ascii(value: str) -> _Analysis:
    """``_analyze`` for printable ASCII (no tab, no break): the same flags, found with string searches."""
    first = value[0]
    followed_by_space = len(value) == 1 or value[1] == " "
    indicators = value.startswith(("---", "..."))
    flow = indicators or first in "#,[]{}&*!|>'\"%@`?:" or (first == "-" and followed_by_space)
    block = indicators or first in "#,[]{}&*!|>'\"%@`" or (first in "?:-" and followed_by_space)
    rest = value[1:]
    if any(char in rest for char in ",?[]{}:") or " #" in value:
        flow = True
    if _MIDDLE_BLOCK_INDICATOR.search(value):
        block = True
    plain = value[0] != " " and value[-1] != " "
    return _Analysis(False, plain and not flow, plain and not block, True, value[-1] != " ")


def _analyze(value: str) -> _Analysis:
    """``yaml_emitter_analyze_scalar`` (with unicode output enabled, as go-yaml sets it)."""
    if not value:
        return _Analysis(False, False, True, True, False)
    if _SIMPLE.match(value):
        return _SIMPLE_ANALYSIS
    if _PRINTABLE_ASCII.match(value):
        return _analyze_one_line_ascii(value)
    return _analyze_chars(value)


def _analyze_chars(value: str) -> _Analysis:
    """The character loop of ``yaml_emitter_analyze_scalar``, for a non-empty value."""
    flow_indicators = block_indicators = value.startswith(("---", "..."))
    line_breaks = special = False
    leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = previous_space = previous_break = False
    preceded_by_whitespace = True
    last = len(value) - 1
    for index, char in enumerate(value):
        followed_by_whitespace = index == last or value[index + 1] in " \t"
        if index == 0:
            if char in "#,[]{}&*!|>'\"%@`":
                flow_indicators = block_indicators = True
            elif char in "?:":
                flow_indicators = True
                block_indicators = block_indicators or followed_by_whitespace
            elif char == "-" and followed_by_whitespace:
                flow_indicators = block_indicators = True
        else:
            if char in ",?[]{}":
                flow_indicators = True
            elif char == ":":
                flow_indicators = True
                block_indicators = block_indicators or followed_by_whitespace
            elif char == "#" and preceded_by_whitespace:
                flow_indicators = block_indicators = True
        if not _is_printable(char):
            special = True
        if char == " ":
            leading_space = leading_space or index == 0
            trailing_space = trailing_space or index == last
            break_space = break_space or previous_break
            previous_space, previous_break = True, False
        elif char in _BREAKS:
            line_breaks = True
            leading_break = leading_break or index == 0
            trailing_break = trailing_break or index == last
            space_break = space_break or previous_space
            previous_space, previous_break = False, True
        else:
            previous_space = previous_break = False
        preceded_by_whitespace = char in " \t\0" or char in _BREAKS
    flow_plain = block_plain = single = block = True
    if leading_space or leading_break or trailing_space or trailing_break:
        flow_plain = block_plain = False
    if trailing_space:
        block = False
    if break_space:
        flow_plain = block_plain = single = False
    if space_break or special:
        flow_plain = block_plain = single = block = False
    if line_breaks:
        flow_plain = block_plain = False
    if flow_indicators:
        flow_plain = False
    if block_indicators:
        block_plain = False
    return _Analysis(line_breaks, flow_plain, block_plain, single, block)


@dataclass
class _Scalar:
    value: str
    style: _Style


def _scalar_for(node: Any) -> _Scalar:
    if node is None:
        return _Scalar("null", _Style.PLAIN)
    if isinstance(node, bool):
        return _Scalar("true" if node else "false", _Style.PLAIN)
    if isinstance(node, int):
        return _Scalar(str(node), _Style.PLAIN)
    if isinstance(node, float):
        text = format_float(node)
        return _Scalar({"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(text, text), _Style.PLAIN)
    text = str(node)
    if "\n" in text:
        return _Scalar(text, _Style.LITERAL)
    if resolve_scalar(text)[0] == STR and not _is_base60_float(text):
        return _Scalar(text, _Style.PLAIN)
    return _Scalar(text, _Style.DOUBLE)


_ESCAPES = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r",
            "\x1b": "e", '"': '"', "\\": "\\", "\x85": "N", "\xa0": "_", "\u2028": "L", "\u2029": "P"}


class _Emitter:
    """The go-yaml v2 emitter state machine, written as recursive calls over a JSON-like tree."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.column = 0
        self.indent = -1
        self.indents: list[int] = []
        self.whitespace = True
        self.indention = True
        self.flow_level = 0
        self.root_context = self.sequence_context = self.mapping_context = self.simple_key_context = False

    def output(self) -> str:
        return "".join(self.parts)

    # low-level writers
    def put(self, char: str) -> None:
        self.parts.append(char)
        self.column += 1

    def put_break(self) -> None:
        self.parts.append("\n")
        self.column = 0

    def write(self, char: str) -> None:
        self.parts.append(char)
        self.column += 1

    def write_break(self, char: str) -> None:
        if char == "\n":
            self.put_break()
        else:
            self.write(char)
            self.column = 0

    def write_indent(self) -> None:
        indent = max(self.indent, 0)
        if not self.indention or self.column > indent or (self.column == indent and not self.whitespace):
            self.put_break()
        while self.column < indent:
            self.put(" ")
        self.whitespace = True
        self.indention = True

    def write_indicator(self, indicator: str, need_whitespace: bool, is_whitespace: bool,
                        is_indention: bool) -> None:
        if need_whitespace and not self.whitespace:
            self.put(" ")
        for char in indicator:
            self.write(char)
        self.whitespace = is_whitespace
        self.indention = self.indention and is_indention

    def increase_indent(self, flow: bool, indentless: bool) -> None:
        self.indents.append(self.indent)
        if self.indent < 0:
            self.indent = _BEST_INDENT if flow else 0
        elif not indentless:
            self.indent += _BEST_INDENT

    def pop_indent(self) -> None:
        self.indent = self.indents.pop()

    # structure
    def emit_document(self, node: Any) -> None:
        self.emit_node(node, root=True)
        self.write_indent()

    def emit_node(self, node: Any, root: bool = False, sequence: bool = False, mapping: bool = False,
                  simple_key: bool = False) -> None:
        self.root_context, self.sequence_context = root, sequence
        self.mapping_context, self.simple_key_context = mapping, simple_key
        if isinstance(node, dict):
            self.emit_mapping(node)
        elif isinstance(node, list):
            self.emit_sequence(node)
        else:
            self.emit_scalar(_scalar_for(node))

    def emit_sequence(self, items: list[Any]) -> None:
        if self.flow_level or not items:
            self.emit_empty_flow("[", "]")
            return
        self.increase_indent(False, self.mapping_context and not self.indention)
        for item in items:
            self.write_indent()
            self.write_indicator("-", True, False, True)
            self.emit_node(item, sequence=True)
        self.pop_indent()

    def emit_mapping(self, mapping: dict[str, Any]) -> None:
        if self.flow_level or not mapping:
            self.emit_empty_flow("{", "}")
            return
        self.increase_indent(False, False)
        for key in sorted(mapping, key=_NaturalKey):
            self.write_indent()
            scalar = _scalar_for(key)
            analysis = _analyze(scalar.value)
            if not analysis.multiline and len(scalar.value.encode("utf-8")) <= 128:
                self.emit_node(key, mapping=True, simple_key=True)
                self.write_indicator(":", False, False, False)
            else:
                self.write_indicator("?", True, False, True)
                self.emit_node(key, mapping=True)
                self.write_indent()
                self.write_indicator(":", True, False, True)
            self.emit_node(mapping[key], mapping=True)
        self.pop_indent()

    def emit_empty_flow(self, start: str, end: str) -> None:
        self.write_indicator(start, True, True, False)
        self.increase_indent(True, False)
        self.pop_indent()
        self.write_indicator(end, False, False, False)

    # scalars
    def emit_scalar(self, scalar: _Scalar) -> None:
        analysis = _analyze(scalar.value)
        style = self.select_style(scalar, analysis)
        self.increase_indent(True, False)
        allow_breaks = not self.simple_key_context
        if style is _Style.PLAIN:
            self.write_plain(scalar.value, allow_breaks)
        elif style is _Style.SINGLE:
            self.write_single_quoted(scalar.value, allow_breaks)
        elif style is _Style.DOUBLE:
            self.write_double_quoted(scalar.value, allow_breaks)
        else:
            self.write_literal(scalar.value)
        self.pop_indent()

    def select_style(self, scalar: _Scalar, analysis: _Analysis) -> _Style:
        style = scalar.style
        if self.simple_key_context and analysis.multiline:
            style = _Style.DOUBLE
        if style is _Style.PLAIN:
            if ((self.flow_level and not analysis.flow_plain_allowed)
                    or (not self.flow_level and not analysis.block_plain_allowed)):
                style = _Style.SINGLE
            if not scalar.value and (self.flow_level or self.simple_key_context):
                style = _Style.SINGLE
        if style is _Style.SINGLE and not analysis.single_quoted_allowed:
            style = _Style.DOUBLE
        if style is _Style.LITERAL and (not analysis.block_allowed or self.flow_level
                                        or self.simple_key_context):
            style = _Style.DOUBLE
        return style

    def write_run(self, text: str) -> None:
        """Write characters that hold no line break (the column advances by one per character)."""
        self.parts.append(text)
        self.column += len(text)

    def fits(self, length: int) -> bool:
        """Whether ``length`` more characters keep every space at or before the folding column."""
        return self.column + length <= _BEST_WIDTH + 1

    def write_folded_line(self, value: str, quoted: bool) -> None:
        """Write break-free text, folding at single inner spaces past the width (plain and single-quoted)."""
        last = len(value) - 1
        position = 0
        for run in _RUNS.findall(value):
            if run[0] != " ":
                self.write_run(run.replace("'", "''") if quoted else run)
            elif (len(run) == 1 and self.column > _BEST_WIDTH
                  and (not quoted or 0 < position < last)):
                self.write_indent()
            else:
                self.write_run(run)
            position += len(run)

    def write_plain(self, value: str, allow_breaks: bool) -> None:
        if not self.whitespace:
            self.put(" ")
        if not _has_break(value) and (not allow_breaks or " " not in value or self.fits(len(value))):
            self.write_run(value)
            self.whitespace = self.indention = False
            return
        if not _has_break(value):
            self.write_folded_line(value, quoted=False)
            self.whitespace = self.indention = False
            return
        spaces = breaks = False
        for index, char in enumerate(value):
            if char == " ":
                next_is_space = index + 1 < len(value) and value[index + 1] == " "
                if allow_breaks and not spaces and self.column > _BEST_WIDTH and not next_is_space:
                    self.write_indent()
                else:
                    self.write(char)
                spaces = True
            elif char in _BREAKS:
                if not breaks and char == "\n":
                    self.put_break()
                self.write_break(char)
                self.indention = True
                breaks = True
            else:
                if breaks:
                    self.write_indent()
                self.write(char)
                self.indention = False
                spaces = breaks = False
        self.whitespace = False
        self.indention = False

    def write_single_quoted(self, value: str, allow_breaks: bool) -> None:
        self.write_indicator("'", True, False, False)
        doubled = value.replace("'", "''")
        if not _has_break(value):
            if not allow_breaks or " " not in value or self.fits(len(doubled)):
                self.write_run(doubled)
            else:
                self.write_folded_line(value, quoted=True)
            self.write_indicator("'", False, False, False)
            self.whitespace = self.indention = False
            return
        spaces = breaks = False
        last = len(value) - 1
        for index, char in enumerate(value):
            if char == " ":
                next_is_space = index < last and value[index + 1] == " "
                if (allow_breaks and not spaces and self.column > _BEST_WIDTH and 0 < index < last
                        and not next_is_space):
                    self.write_indent()
                else:
                    self.write(char)
                spaces = True
            elif char in _BREAKS:
                if not breaks and char == "\n":
                    self.put_break()
                self.write_break(char)
                self.indention = True
                breaks = True
            else:
                if breaks:
                    self.write_indent()
                if char == "'":
                    self.put("'")
                self.write(char)
                self.indention = False
                spaces = breaks = False
        self.write_indicator("'", False, False, False)
        self.whitespace = False
        self.indention = False

    def write_double_quoted(self, value: str, allow_breaks: bool) -> None:
        spaces = False
        self.write_indicator('"', True, False, False)
        starts_with_bom = value.startswith("\ufeff")  # go-yaml's is_bom looks at the first char only
        last = len(value) - 1
        for index, char in enumerate(value):
            if (not _is_printable(char) or starts_with_bom or char in _BREAKS or char in '"\\'):
                self.put("\\")
                for out in _double_quoted_escape(char):
                    self.put(out)
                spaces = False
            elif char == " ":
                if allow_breaks and not spaces and self.column > _BEST_WIDTH and 0 < index < last:
                    self.write_indent()
                    if value[index + 1] == " ":
                        self.put("\\")
                else:
                    self.write(char)
                spaces = True
            else:
                self.write(char)
                spaces = False
        self.write_indicator('"', False, False, False)
        self.whitespace = False
        self.indention = False

    def write_literal(self, value: str) -> None:
        self.write_indicator("|", True, False, False)
        self.write_block_hints(value)
        self.put_break()
        self.indention = True
        self.whitespace = True
        breaks = True
        for char in value:
            if char in _BREAKS:
                self.write_break(char)
                self.indention = True
                breaks = True
            else:
                if breaks:
                    self.write_indent()
                self.write(char)
                self.indention = False
                breaks = False

    def write_block_hints(self, value: str) -> None:
        if value[:1] == " " or (value[:1] in _BREAKS and value):
            self.write_indicator(str(_BEST_INDENT), False, False, False)
        chomp = ""
        if not value or value[-1] not in _BREAKS:
            chomp = "-"
        elif len(value) == 1 or value[-2] in _BREAKS:
            chomp = "+"
        if chomp:
            self.write_indicator(chomp, False, False, False)


_RUNS = re.compile(r" +|[^ ]+")


def _has_break(text: str) -> bool:
    return any(char in text for char in _BREAKS)


def _double_quoted_escape(char: str) -> str:
    short = _ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    if code <= 0xFF:
        return f"x{code:02X}"
    if code <= 0xFFFF:
        return f"u{code:04X}"
    return f"U{code:08X}"


class _NaturalKey:
    """go-yaml v2's ``keyList.Less`` for string keys: letters after other runes, digit runs compared as numbers."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __lt__(self, other: _NaturalKey) -> bool:
        return _natural_less(self.text, other.text)


def _is_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L")


def _is_digit(char: str) -> bool:
    return unicodedata.category(char) == "Nd"


def _natural_less(left: str, right: str) -> bool:
    for index in range(min(len(left), len(right))):
        a, b = left[index], right[index]
        if a == b:
            continue
        a_letter, b_letter = _is_letter(a), _is_letter(b)
        if a_letter and b_letter:
            return a < b
        if a_letter or b_letter:
            return b_letter
        a_number = b_number = 0
        if a == "0" or b == "0":
            back = index - 1
            while back >= 0 and _is_digit(left[back]):
                if left[back] != "0":
                    a_number = b_number = 1
                    break
                back -= 1
        a_end = index
        while a_end < len(left) and _is_digit(left[a_end]):
            a_number = a_number * 10 + _digit_value(left[a_end])
            a_end += 1
        b_end = index
        while b_end < len(right) and _is_digit(right[b_end]):
            b_number = b_number * 10 + _digit_value(right[b_end])
            b_end += 1
        if a_number != b_number:
            return a_number < b_number
        if a_end != b_end:
            return a_end < b_end
        return a < b
    return len(left) < len(right)


def _digit_value(char: str) -> int:
    # Go computes ``rune - '0'`` even for non-ASCII digits; keep the same arithmetic.
    return ord(char) - ord("0")
