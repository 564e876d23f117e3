"""Go's ``regexp`` on RE2 (the ``google-re2`` package): the same syntax as Go (no backreferences or
lookarounds; ``(?P<name>)``, ``(?<name>)``, ``\\z``, ``[[:alpha:]]``, ``\\pL``, ``\\Q...\\E``...), linear
matching time whatever the pattern, and Go's error texts (``error parsing regexp: missing closing ):
`(a```). Also ``Expand``-style replacement templates (``$1``, ``${name}``, ``$$``) and random strings that
match a pattern (kyverno's ``random()``, which uses goregen)."""

from __future__ import annotations

import functools
import random as _random
import re
import string
from typing import Any, Protocol

try:  # Python 3.11+ keeps the parser here; sre_parse is its deprecated alias
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]


class RegexpError(ValueError):
    """A pattern Go's regexp (RE2) refuses, or a construct the random generator cannot produce."""


_MAX_UNBOUNDED_REPEAT = 10
_PRINTABLE = [chr(code) for code in range(0x20, 0x7F)]


class GoMatch(Protocol):
    def group(self, *names: int | str) -> Any: ...
    def start(self, group: int | str = 0) -> int: ...
    def end(self, group: int | str = 0) -> int: ...


class GoRegexp(Protocol):
    """What ``compile_go`` returns (a compiled RE2 pattern, with ``re.Pattern``'s methods)."""

    pattern: str
    groups: int
    groupindex: Any

    def search(self, text: str, position: int = 0) -> GoMatch | None: ...
    def fullmatch(self, text: str) -> GoMatch | None: ...
    def finditer(self, text: str) -> Any: ...
    def sub(self, replacement: Any, text: str) -> str: ...


_RE2_TO_GO = {  # RE2's error codes (re2/re2.cc CodeText) -> Go's regexp/syntax ErrorCode texts
    "missing )": "missing closing )",
    "missing ]": "missing closing ]",
    "unexpected )": "unexpected )",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "bad repetition operator": "invalid nested repetition operator",
    "invalid repetition size": "invalid repeat count",
    "no argument for repetition operator": "missing argument to repetition operator",
    "trailing \\": "trailing backslash at end of expression",
    "invalid named capture group": "invalid named capture",
    "pattern too large - compile failed": "expression too large",
    "pattern too large - reverse compile failed": "expression too large",
}
_ANY_BYTE = re.compile(r"(?<!\\)(?:\\\\)*\\C")
"""RE2's ``\\C`` (any byte), which Go does not have."""


@functools.lru_cache(maxsize=512)
def compile_go(pattern: str) -> GoRegexp:
    """Compile a Go ``regexp`` pattern; a bad one raises ``RegexpError`` with Go's message."""
    import re2  # type: ignore[import-untyped,unused-ignore]

    escape = _ANY_BYTE.search(pattern)
    if escape is not None:
        raise RegexpError(f"error parsing regexp: invalid escape sequence: `{escape.group(0)[-2:]}`")
    try:
        return re2.compile(pattern, _options())  # type: ignore[no-any-return]
    except re2.error as error:
        raise RegexpError(f"error parsing regexp: {_go_message(error)}") from None


@functools.cache
def _options() -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would also print every bad pattern on stderr
    return options


def _go_message(error: Exception) -> str:
    raw = error.args[0] if error.args else str(error)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    code, _, argument = text.partition(": ")
    return f"{_RE2_TO_GO.get(code, code)}: `{argument}`"


def python_pattern(pattern: str) -> str:
    """The Python ``re`` spelling of an (already valid) Go pattern, for ``random_string``'s generator."""
    translated = re.sub(r"(?<!\\)((?:\\\\)*)\\z", r"\1\\Z", pattern)
    translated = _POSIX_CLASS.sub(lambda match: _POSIX_CLASSES[match.group(1)], translated)
    return re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", translated)


_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ", "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}
_POSIX_CLASS = re.compile(r"\[:(" + "|".join(_POSIX_CLASSES) + r"):\]")


_TEMPLATE = re.compile(r"\$(?:\$|\{(\w+)\}|(\w+))")


def expand(template: str, match: GoMatch) -> str:
    """``Regexp.Expand``: ``$name`` is the longest run of word characters; unknown groups are empty."""
    def substitute(reference: re.Match[str]) -> str:
        if reference.group(0) == "$$":
            return "$"
        name = reference.group(1) or reference.group(2)
        try:
            group: str | None = match.group(int(name)) if name.isdigit() else match.group(name)
        except (IndexError, KeyError):  # unknown group number or name
            return ""
        return group or ""
    return _TEMPLATE.sub(substitute, template)


def find_all(regex: GoRegexp, text: str, limit: int = -1) -> list[GoMatch]:
    """Go's ``FindAll``: successive non-overlapping matches, where an empty match right after a
    previous match is skipped (Python's ``finditer`` keeps it)."""
    found: list[GoMatch] = []
    position, previous_end = 0, -1
    while position <= len(text) and (limit < 0 or len(found) < limit):
        match = regex.search(text, position)
        if match is None:
            break
        start, end = match.start(), match.end()
        accept = not (start == end and start == previous_end)
        position = end if end > position else position + 1
        previous_end = end
        if accept:
            found.append(match)
    return found


def replace_all(pattern: str, source: str, template: str, literal: bool) -> str:
    """Go's ``ReplaceAllString`` (``literal``: ``ReplaceAllLiteralString``)."""
    regex = compile_go(pattern)
    out: list[str] = []
    position, last_end = 0, 0
    while position <= len(source):
        match = regex.search(source, position)
        if match is None:
            break
        start, end = match.start(), match.end()
        out.append(source[last_end:start])
        if end > last_end or start == 0:  # no replacement for an empty match right after a match
            out.append(template if literal else expand(template, match))
        last_end = end
        position = position + 1 if position + 1 > end else end
    out.append(source[last_end:])
    return "".join(out)


# -- random strings ----------------------------------------------------------------------------


def random_string(pattern: str, rng: _random.Random | None = None) -> str:
    """A random string matching ``pattern`` (unbounded repeats produce at most 10 items, as goregen)."""
    generator = rng or _random.SystemRandom()
    compile_go(pattern)  # Go's syntax and errors first
    try:
        parsed = sre_parse.parse(python_pattern(pattern))
    except re.error as error:
        raise RegexpError(f"random: unsupported regular expression: {error}") from None
    groups: dict[int, str] = {}
    return _generate(list(parsed), generator, groups)


def _generate(items: list[tuple[Any, Any]], rng: _random.Random, groups: dict[int, str]) -> str:
    return "".join(_generate_item(op, value, rng, groups) for op, value in items)


def _generate_item(op: Any, value: Any, rng: _random.Random, groups: dict[int, str]) -> str:
    c = sre_constants
    if op is c.LITERAL:
        return chr(value)
    if op is c.NOT_LITERAL:
        return rng.choice([char for char in _PRINTABLE if ord(char) != value])
    if op is c.ANY:
        return rng.choice(_PRINTABLE)
    if op is c.IN:
        return _from_class(value, rng)
    if op is c.BRANCH:
        return _generate(list(rng.choice(value[1])), rng, groups)
    if op is c.SUBPATTERN:
        group, _, _, body = value
        text = _generate(list(body), rng, groups)
        if group is not None:
            groups[group] = text
        return text
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, high, body = value
        if high is c.MAXREPEAT:
            high = low + _MAX_UNBOUNDED_REPEAT
        return "".join(_generate(list(body), rng, groups) for _ in range(rng.randint(low, high)))
    if op is c.GROUPREF:
        return groups.get(value, "")
    if op in (c.AT, getattr(c, "ASSERT", None), getattr(c, "ASSERT_NOT", None)):
        return ""
    if op is getattr(c, "ATOMIC_GROUP", None):
        return _generate(list(value), rng, groups)
    raise RegexpError(f"random: unsupported regular expression construct {op}")


_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": "".join(c for c in _PRINTABLE if not c.isdigit()),
    "CATEGORY_SPACE": " \t\n\r\f\v",
    "CATEGORY_NOT_SPACE": "".join(c for c in _PRINTABLE if not c.isspace()),
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
    "CATEGORY_NOT_WORD": "".join(c for c in _PRINTABLE if not (c.isalnum() or c == "_")),
}


def _from_class(items: list[tuple[Any, Any]], rng: _random.Random) -> str:
    c = sre_constants
    negate = bool(items) and items[0][0] is c.NEGATE
    chars: set[str] = set()
    for op, value in items:
        if op is c.LITERAL:
            chars.add(chr(value))
        elif op is c.RANGE:
            chars.update(chr(code) for code in range(value[0], value[1] + 1))
        elif op is c.CATEGORY:
            chars.update(_CATEGORIES.get(str(value), ""))
    if negate:
        candidates = [char for char in _PRINTABLE if char not in chars]
    else:
        candidates = sorted(chars)
    if not candidates:
        raise RegexpError("random: empty character class")
    return rng.choice(candidates)
