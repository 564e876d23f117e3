"""Go durations: ``time.ParseDuration``, ``time.Duration.String()`` and apimachinery's ``HumanDuration``."""

from __future__ import annotations

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
_MAX_NS = 1 << 63
_DIGITS = "0123456789"


class DurationError(ValueError):
    """A string is not a valid Go duration."""


def parse_duration_ns(text: str) -> int:
    """Parse a Go duration string into integer nanoseconds: ``time.ParseDuration``, including its int64
    range (``9223372036854775807s`` and ``99999999999999999999h`` are refused) and its messages."""
    if not isinstance(text, str):
        raise DurationError(f"time: invalid duration {text!r}")
    invalid = DurationError(f"time: invalid duration {go_quote(text)}")
    rest, negative = text, False
    if rest[:1] in ("+", "-"):
        negative, rest = rest[0] == "-", rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise invalid
    total = 0
    while rest:
        if rest[0] != "." and rest[0] not in _DIGITS:
            raise invalid
        whole, rest, overflow = _leading_int(rest)
        if overflow:
            raise invalid
        fraction, scale, has_fraction = 0, 1, False
        if rest[:1] == ".":
            before = len(rest) - 1
            fraction, scale, rest = _leading_fraction(rest[1:])
            has_fraction = len(rest) != before
        if whole is None and not has_fraction:
            raise invalid
        unit_end = 0
        while unit_end < len(rest) and rest[unit_end] != "." and rest[unit_end] not in _DIGITS:
            unit_end += 1
        if unit_end == 0:
            raise DurationError(f"time: missing unit in duration {go_quote(text)}")
        unit_name, rest = rest[:unit_end], rest[unit_end:]
        unit = _UNITS_NS.get(unit_name)
        if unit is None:
            raise DurationError(f"time: unknown unit {go_quote(unit_name)} in duration {go_quote(text)}")
        value = (whole or 0)
        if value > _MAX_NS // unit:
            raise invalid
        value *= unit
        if fraction:
            value += int(float(fraction) * (unit / scale))
            if value > _MAX_NS:
                raise invalid
        total += value
        if total > _MAX_NS:
            raise invalid
    if not negative and total > _MAX_NS - 1:
        raise invalid
    return -total if negative else total


def _leading_int(text: str) -> tuple[int | None, str, bool]:
    """Go's ``leadingInt``: the value of the leading digits (None when there are none), the rest, and
    whether the value overflowed int64."""
    end = 0
    while end < len(text) and text[end] in _DIGITS:
        end += 1
    if end == 0:
        return None, text, False
    digits = text[:end].lstrip("0") or "0"
    if len(digits) > 19:
        return None, text[end:], True
    value = int(digits)
    return value, text[end:], value > _MAX_NS


def _leading_fraction(text: str) -> tuple[int, int, str]:
    """Go's ``leadingFraction``: digits after the dot, scale; digits past int64 precision are dropped."""
    value, scale, end, overflow = 0, 1, 0, False
    while end < len(text) and text[end] in _DIGITS:
        if not overflow:
            if value > (_MAX_NS - 1) // 10:
                overflow = True
            else:
                candidate = value * 10 + int(text[end])
                if candidate > _MAX_NS:
                    overflow = True
                else:
                    value, scale = candidate, scale * 10
        end += 1
    return value, scale, text[end:]


def go_quote(text: str) -> str:
    r"""The quoting of Go's ``time`` errors: ``\"`` and ``\\`` escaped, other bytes below space and
    non-ASCII characters as ``\xNN`` per UTF-8 byte."""
    out = ['"']
    for char in text:
        if char < " " or char > "\x7f":
            out.extend(f"\\x{byte:02x}" for byte in char.encode("utf-8", "surrogatepass"))
        elif char in ('"', "\\"):
            out.append("\\" + char)
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


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
