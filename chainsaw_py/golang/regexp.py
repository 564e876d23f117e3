"""Go ``regexp`` behaviour on top of Python's ``re``: compiling RE2-style patterns, ``Expand``-style
replacement templates (``$1``, ``${name}``, ``$$``) and generating random strings that match a
pattern (kyverno's ``random()``, which uses goregen)."""

from __future__ import annotations

import functools
import random as _random
import re
import string
from typing import Any

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


_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ", "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~", "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ", "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f",
}
_POSIX_CLASS = re.compile(r"\[:(" + "|".join(_POSIX_CLASSES) + r"):\]")


@functools.lru_cache(maxsize=512)
def compile_go(pattern: str) -> re.Pattern[str]:
    """Compile an RE2 pattern; ``\\z`` and ``(?<name>...)`` are translated to Python's spelling."""
    translated = re.sub(r"(?<!\\)((?:\\\\)*)\\z", r"\1\\Z", pattern)
    translated = _POSIX_CLASS.sub(lambda match: _POSIX_CLASSES[match.group(1)], translated)
    translated = re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", translated)
    try:
        return re.compile(translated)
    except re.error as error:
        raise RegexpError(f"error parsing regexp: {_go_message(error.msg)}: `{pattern}`") from None


_GO_MESSAGES = {
    "missing ), unterminated subpattern": "missing closing )",
    "unbalanced parenthesis": "unexpected )",
    "unterminated character set": "missing closing ]",
    "nothing to repeat": "missing argument to repetition operator",
    "multiple repeat": "invalid nested repetition operator",
}


def _go_message(message: str) -> str:
    if message.startswith("bad escape"):
        return "invalid escape sequence"
    if message.startswith("bad character range"):
        return "invalid character class range"
    return _GO_MESSAGES.get(message, message)


_TEMPLATE = re.compile(r"\$(?:\$|\{(\w+)\}|(\w+))")


def expand(template: str, match: re.Match[str]) -> str:
    """``Regexp.Expand``: ``$name`` is the longest run of word characters; unknown groups are empty."""
    def substitute(reference: re.Match[str]) -> str:
        if reference.group(0) == "$$":
            return "$"
        name = reference.group(1) or reference.group(2)
        try:
            group: str | None = match.group(int(name)) if name.isdigit() else match.group(name)
        except IndexError:  # unknown group number or name
            return ""
        return group or ""
    return _TEMPLATE.sub(substitute, template)


def replace_all(pattern: str, source: str, template: str, literal: bool) -> str:
    regex = compile_go(pattern)
    if literal:
        return regex.sub(lambda _: template, source)
    return regex.sub(lambda match: expand(template, match), source)


# -- random strings ----------------------------------------------------------------------------


def random_string(pattern: str, rng: _random.Random | None = None) -> str:
    """A random string matching ``pattern`` (unbounded repeats produce at most 10 items, as goregen)."""
    generator = rng or _random.SystemRandom()
    parsed = sre_parse.parse(compile_go(pattern).pattern)
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
