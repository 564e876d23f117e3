"""Semantic versions and ranges with the rules of blang/semver v4 (``semver.Parse`` and
``semver.ParseRange``), which kyverno's ``semver_compare`` uses. Written for this project."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chainsaw_py.golang.fmt import quote
from chainsaw_py.grammar.errors import ExpressionError

_NUMBERS = "0123456789"
_ALPHANUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-" + _NUMBERS


class SemverError(ExpressionError):
    pass


@dataclass(frozen=True)
class PreRelease:
    text: str
    number: int | None

    def compare(self, other: PreRelease) -> int:
        if self.number is not None and other.number is not None:
            return (self.number > other.number) - (self.number < other.number)
        if self.number is not None:
            return -1
        if other.number is not None:
            return 1
        return (self.text > other.text) - (self.text < other.text)


@dataclass(frozen=True)
class Version:
    major: int = 0
    minor: int = 0
    patch: int = 0
    pre: tuple[PreRelease, ...] = field(default=())
    build: tuple[str, ...] = field(default=())

    def compare(self, other: Version) -> int:
        for mine, theirs in ((self.major, other.major), (self.minor, other.minor), (self.patch, other.patch)):
            if mine != theirs:
                return 1 if mine > theirs else -1
        if not self.pre or not other.pre:
            return (not self.pre) - (not other.pre)
        for mine_pre, their_pre in zip(self.pre, other.pre):
            result = mine_pre.compare(their_pre)
            if result:
                return result
        return (len(self.pre) > len(other.pre)) - (len(self.pre) < len(other.pre))


def _only(text: str, allowed: str) -> bool:
    return all(char in allowed for char in text)


def _number(text: str, part: str) -> int:
    if not _only(text, _NUMBERS):
        raise SemverError(f"Invalid character(s) found in {part} number {quote(text)}")
    if len(text) > 1 and text[0] == "0":
        raise SemverError(f"{part.capitalize()} number must not contain leading zeroes {quote(text)}")
    if not text:
        raise SemverError('strconv.ParseUint: parsing "": invalid syntax')
    return int(text)


def parse_version(text: str) -> Version:
    """``semver.Parse``."""
    if not text:
        raise SemverError("Version string empty")
    parts = text.split(".", 2)
    if len(parts) != 3:
        raise SemverError("No Major.Minor.Patch elements found")
    major = _number(parts[0], "major")
    minor = _number(parts[1], "minor")
    patch_text, build, pre = parts[2], [], []
    if "+" in patch_text:
        patch_text, _, build_text = patch_text.partition("+")
        build = build_text.split(".")
    if "-" in patch_text:
        patch_text, _, pre_text = patch_text.partition("-")
        pre = pre_text.split(".")
    patch = _number(patch_text, "patch")
    releases = tuple(_pre_release(item) for item in pre)
    for item in build:
        if not item:
            raise SemverError("Build meta data is empty")
        if not _only(item, _ALPHANUM):
            raise SemverError(f"Invalid character(s) found in build meta data {quote(item)}")
    return Version(major, minor, patch, releases, tuple(build))


def _pre_release(text: str) -> PreRelease:
    if not text:
        raise SemverError("Prerelease is empty")
    if _only(text, _NUMBERS):
        if len(text) > 1 and text[0] == "0":
            raise SemverError(f"Numeric PreRelease version must not contain leading zeroes {quote(text)}")
        return PreRelease(text, int(text))
    if not _only(text, _ALPHANUM):
        raise SemverError(f"Invalid character(s) found in prerelease {quote(text)}")
    return PreRelease(text, None)


Range = Callable[[Version], bool]

_COMPARATORS: dict[str, Callable[[int], bool]] = {
    "": lambda c: c == 0, "=": lambda c: c == 0, "==": lambda c: c == 0,
    "!": lambda c: c != 0, "!=": lambda c: c != 0,
    ">": lambda c: c == 1, ">=": lambda c: c >= 0,
    "<": lambda c: c == -1, "<=": lambda c: c <= 0,
}


def parse_range(text: str) -> Range:
    """``semver.ParseRange``: space-separated AND terms, ``||`` between OR groups, ``x`` wildcards."""
    groups = _split_or(_split_and_trim(text))
    alternatives: list[list[Range]] = []
    for group in _expand_wildcards(groups):
        terms: list[Range] = []
        for term in group:
            operator, version_text = _split_comparator(term)
            terms.append(_version_range(operator, version_text, term))
        alternatives.append(terms)
    return lambda version: any(all(term(version) for term in terms) for terms in alternatives)


def _version_range(operator: str, version_text: str, term: str) -> Range:
    compare = _COMPARATORS.get(operator)
    if compare is None:
        raise SemverError(f"Could not parse Range {quote(term)}: Could not parse comparator "
                          f"{quote(operator)} in {quote(operator + version_text)}")
    try:
        bound = parse_version(version_text)
    except SemverError as error:
        raise SemverError(f"Could not parse Range {quote(term)}: Could not parse version "
                          f"{quote(version_text)} in {quote(operator + version_text)}: {error}") from None
    return lambda version: compare(version.compare(bound))


def _split_and_trim(text: str) -> list[str]:
    result: list[str] = []
    last = 0
    last_char = ""
    for index, char in enumerate(text):
        if char == " " and last_char not in (">", "<", "="):
            if last < index - 1:
                result.append(text[last:index])
            last = index + 1
        elif char != " ":
            last_char = char
    if last < len(text) - 1:
        result.append(text[last:])
    return [item.replace(" ", "") for item in result]


def _split_or(parts: list[str]) -> list[list[str]]:
    groups: list[list[str]] = []
    last = 0
    for index, part in enumerate(parts):
        if part == "||":
            if index == 0:
                raise SemverError("First element in range is '||'")
            groups.append(parts[last:index])
            last = index + 1
    if last == len(parts):
        raise SemverError("Last element in range is '||'")
    groups.append(parts[last:])
    return groups


def _split_comparator(term: str) -> tuple[str, str]:
    index = next((i for i, char in enumerate(term) if char.isdigit()), -1)
    if index == -1:
        raise SemverError(f"Could not get version from string: {quote(term)}")
    return term[:index].strip(), term[index:]


def _expand_wildcards(groups: list[list[str]]) -> list[list[str]]:
    expanded: list[list[str]] = []
    for group in groups:
        terms: list[str] = []
        for term in group:
            if "x" in term:
                terms.extend(_expand_wildcard(term))
            else:
                terms.append(term)
        expanded.append(terms)
    return expanded


def _expand_wildcard(term: str) -> list[str]:
    operator, version_text = _split_comparator(term)
    parts = version_text.split(".")
    wildcard = {2: "minor", 3: "patch"}.get(len(parts)) if parts[-1] == "x" else None
    flat = version_text.replace(".x.x", ".x", 1).replace(".x", ".0", 1)
    if len(flat.split(".")) == 2:
        flat += ".0"
    extra: list[str] = []
    increment = False
    if operator == ">":
        result_operator, increment = ">=", True
    elif operator in (">=", "<"):
        result_operator = operator
    elif operator == "<=":
        result_operator, increment = "<", True
    elif operator in ("", "=", "=="):
        extra, result_operator, increment = [">=" + flat], "<", True
    elif operator in ("!=", "!"):
        extra, result_operator, increment = ["<" + flat], ">=", True
    else:
        result_operator = ""
    result_version = ""
    if not increment:
        result_version = flat
    elif wildcard is not None:
        result_version = _increment(flat, 1 if wildcard == "patch" else 0)
    return [*extra, result_operator + result_version]


def _increment(version_text: str, index: int) -> str:
    parts = version_text.split(".")
    try:
        parts[index] = str(int(parts[index]) + 1)
    except ValueError:
        return ""
    return ".".join(parts)


def semver_compare(version_text: str, range_text: str) -> bool:
    """kyverno's ``semver_compare``: an unparsable version counts as 0.0.0 (the error is ignored)."""
    try:
        version = parse_version(version_text)
    except SemverError:
        version = Version()
    return parse_range(range_text)(version)
