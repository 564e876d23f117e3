"""The Semver library (``semver``, ``isSemver``, ``major``/``minor``/``patch``, comparisons), strict
Semantic Versioning 2.0.0 as ``blang/semver``'s ``Parse`` reads it, with the library's optional normalization
(``v`` prefix, missing minor/patch, leading zeros)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from chainsaw_py.kubecel.errors import LibraryError

TAG = "__semver__"
_NUMERIC = re.compile(r"0|[1-9][0-9]*")
_IDENTIFIER = re.compile(r"[0-9A-Za-z-]+")


@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: tuple[str, ...]

    def key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        # a version without pre-release identifiers ranks above any with them
        pre = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in self.pre)
        return self.major, self.minor, self.patch, 0 if self.pre else 1, pre


def _number(text: str, label: str) -> int:
    if not text or not text.isdigit() or not text.isascii():
        raise LibraryError(f"Invalid character(s) found in {label} number {text!r}".replace("'", '"'))
    if len(text) > 1 and text[0] == "0":
        raise LibraryError(f'{label.capitalize()} number must not contain leading zeroes "{text}"')
    return int(text)


def parse(text: str) -> Version:
    core, _, build = text.partition("+")
    if build and not all(_IDENTIFIER.fullmatch(part) for part in build.split(".")):
        raise LibraryError(f'Invalid character(s) found in build meta data "{build}"')
    core, dash, pre = core.partition("-")
    parts = core.split(".")
    if len(parts) != 3:
        raise LibraryError("No Major.Minor.Patch elements found")
    major, minor, patch = (_number(part, label) for part, label in zip(parts, ("major", "minor", "patch"), strict=True))
    identifiers = tuple(pre.split(".")) if dash else ()
    for part in identifiers:
        if not _IDENTIFIER.fullmatch(part):
            raise LibraryError(f'Invalid character(s) found in prerelease "{part}"' if part else
                               "Prerelease is empty")
        if part.isdigit() and not _NUMERIC.fullmatch(part):
            raise LibraryError(f'Numeric PreRelease version must not contain leading zeroes "{part}"')
    return Version(major, minor, patch, identifiers)


def _without_leading_zeros(part: str) -> str:
    if len(part) <= 1:
        return part
    stripped = part.lstrip("0")
    return stripped if stripped[:1].isdigit() else "0" + stripped


def _normalized(text: str) -> str:
    """``v`` prefix dropped, leading zeros removed, a missing minor or patch filled with 0."""
    parts = [_without_leading_zeros(part) for part in text.removeprefix("v").split(".", 2)]
    if len(parts) < 3:
        if any(mark in parts[-1] for mark in "+-"):
            raise LibraryError("short version cannot contain PreRelease/Build meta data")
        parts += ["0"] * (3 - len(parts))
    return ".".join(parts)


def _read(text: Any, normalize: Any = False) -> Version:
    if not isinstance(text, str) or not isinstance(normalize, bool):
        raise LibraryError("no such overload")
    return parse(_normalized(text) if normalize else text)


def semver(text: Any, normalize: Any = False) -> dict[str, str]:
    version = _read(text, normalize)
    pre = "-" + ".".join(version.pre) if version.pre else ""
    return {TAG: f"{version.major}.{version.minor}.{version.patch}{pre}"}


def is_semver(text: Any, normalize: Any = False) -> bool:
    try:
        _read(text, normalize)
    except LibraryError:
        return False
    return True


def is_semver_value(value: Any) -> bool:
    return isinstance(value, dict) and TAG in value


def version_of(value: Any) -> Version:
    if not is_semver_value(value):
        raise LibraryError("no such overload: expected a semver")
    return parse(str(value[TAG]))


def compare(left: Any, right: Any) -> int:
    a, b = version_of(left).key(), version_of(right).key()
    return (a > b) - (a < b)


def functions() -> dict[str, Any]:
    return {"semver": semver, "isSemver": is_semver,
            "major": lambda v: version_of(v).major, "minor": lambda v: version_of(v).minor,
            "patch": lambda v: version_of(v).patch}
