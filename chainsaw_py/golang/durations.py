"""Go durations: ``time.ParseDuration``, ``time.Duration.String()`` and apimachinery's ``HumanDuration``."""

from __future__ import annotations

import re

_UNITS_NS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([^.0-9]*)")


class DurationError(ValueError):
    """A string is not a valid Go duration."""


def parse_duration_ns(text: str) -> int:
    """Parse a Go duration string into integer nanoseconds (``time.ParseDuration`` semantics)."""
    if not isinstance(text, str):
        raise DurationError(f"time: invalid duration {text!r}")
    original = text
    sign = 1
    if text[:1] in "+-":
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise DurationError(f'time: invalid duration "{original}"')
    total = 0.0
    position = 0
    while position < len(text):
        # Go reads a number, then the unit up to the next digit or '.', then looks the unit up
        match = _PART.match(text, position)
        if match is None:
            raise DurationError(f'time: invalid duration "{original}"')
        unit = match.group(2)
        if not unit:
            raise DurationError(f'time: missing unit in duration "{original}"')
        if unit not in _UNITS_NS:
            raise DurationError(f'time: unknown unit "{unit}" in duration "{original}"')
        total += float(match.group(1)) * _UNITS_NS[unit]
        position = match.end()
    return sign * round(total)


def parse_duration(text: str) -> float:
    """Parse a Go duration string into seconds."""
    return parse_duration_ns(text) / 1e9


def format_duration_ns(ns: int) -> str:
    """Format nanoseconds like Go's ``time.Duration.String()`` (``1m30s``, ``1.5s``, ``300ms``, ``0s``)."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_trim(ns / 1_000)}µs"
    if ns < 1_000_000_000:
        return f"{sign}{_trim(ns / 1_000_000)}ms"
    hours, rest = divmod(ns, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = _trim_ns(rest)
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}s"
    if minutes:
        return f"{sign}{minutes}m{seconds}s"
    return f"{sign}{seconds}s"


def format_duration(seconds: float) -> str:
    """Format seconds like Go's ``time.Duration.String()``."""
    return format_duration_ns(round(seconds * 1e9))


def _trim(value: float) -> str:
    text = f"{value:.9f}".rstrip("0").rstrip(".")
    return text or "0"


def _trim_ns(ns: int) -> str:
    whole, fraction = divmod(ns, 1_000_000_000)
    if not fraction:
        return str(whole)
    return f"{whole}.{fraction:09d}".rstrip("0")


def human_duration(seconds: float) -> str:
    """apimachinery's ``duration.HumanDuration`` (what kubectl's AGE column shows)."""
    total = int(seconds)
    if total < -1:
        return "<invalid>"
    if total < 0:
        return "0s"
    if total < 120:
        return f"{total}s"
    minutes = total // 60
    if minutes < 10:
        rest = total % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = total // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        rest = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if rest == 0 else f"{hours // 24 // 365}y{rest}d"
    return f"{hours // 24 // 365}y"
