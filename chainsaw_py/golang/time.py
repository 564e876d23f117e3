"""Go's ``time`` package as kyverno's ``time_*`` functions use it: ``time.Parse`` with Go layouts
(the reference time ``Mon Jan 2 15:04:05 MST 2006``), RFC 3339 formatting, ``Add``, ``Sub`` and
``Truncate``. Calendar arithmetic is proleptic Gregorian for any year (Go allows year 0).
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass


class TimeParseError(ValueError):
    """``time.Parse`` failed (the message is Go's)."""


RFC3339 = "2006-01-02T15:04:05Z07:00"
_NS = 1_000_000_000
_UNIX_TO_ABSOLUTE_SECONDS = 62_135_596_800  # from 0001-01-01 to 1970-01-01
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


@dataclass(frozen=True)
class GoTime:
    """An instant (Unix seconds + nanoseconds) and the UTC offset it is shown in."""

    seconds: int
    nanos: int = 0
    offset: int = 0

    def unix_nanos(self) -> int:
        return self.seconds * _NS + self.nanos

    def add(self, duration_ns: int) -> GoTime:
        total = self.unix_nanos() + duration_ns
        return GoTime(total // _NS, total % _NS, self.offset)

    def sub(self, other: GoTime) -> int:
        return self.unix_nanos() - other.unix_nanos()

    def utc(self) -> GoTime:
        return GoTime(self.seconds, self.nanos, 0)

    def truncate(self, duration_ns: int) -> GoTime:
        """``Time.Truncate``: round down to a multiple of ``duration_ns`` since the zero time."""
        if duration_ns <= 0:
            return self
        absolute = (self.seconds + _UNIX_TO_ABSOLUTE_SECONDS) * _NS + self.nanos
        return self.add(-(absolute % duration_ns))

    def civil(self) -> tuple[int, int, int, int, int, int]:
        """(year, month, day, hour, minute, second) in the time's own offset."""
        local = self.seconds + self.offset
        days, rest = divmod(local, 86_400)
        year, month, day = civil_from_days(days)
        return year, month, day, rest // 3600, rest % 3600 // 60, rest % 60

    def weekday(self) -> int:
        """0 = Sunday."""
        return ((self.seconds + self.offset) // 86_400 + 4) % 7

    def format_rfc3339(self) -> str:
        year, month, day, hour, minute, second = self.civil()
        year_text = f"-{-year:04d}" if year < 0 else f"{year:04d}"
        return f"{year_text}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{_zone(self.offset)}"


def _zone(offset: int) -> str:
    if offset == 0:
        return "Z"
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def civil_from_days(days: int) -> tuple[int, int, int]:
    days += 719_468
    era = days // 146_097
    day_of_era = days - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + 3 if month_index < 10 else month_index - 9
    return year_of_era + era * 400 + (month <= 2), month, day


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def now() -> GoTime:
    """The current time in the local zone (``time.Now()``)."""
    nanos = _time.time_ns()
    return GoTime(nanos // _NS, nanos % _NS, _time.localtime(nanos // _NS).tm_gmtoff)


# -- layout chunks ---------------------------------------------------------------------------

_TZ_CHUNKS = ("070000", "07:00:00", "0700", "07:00", "07")


def next_chunk(layout: str) -> tuple[str, str, str]:
    """Split ``layout`` into (literal prefix, std element, rest), like Go's ``nextStdChunk``."""
    index = 0
    while index < len(layout):
        element = _std_at(layout, index)
        if element:
            return layout[:index], element, layout[index + len(element):]
        index += 1
    return layout, "", ""


def _std_at(layout: str, index: int) -> str:
    rest = layout[index:]
    char = rest[0]
    if char == "J" and rest.startswith("Jan"):
        return "January" if rest.startswith("January") else "Jan"
    if char == "M":
        if rest.startswith("Monday"):
            return "Monday"
        if rest.startswith("Mon"):
            return "Mon"
        if rest.startswith("MST"):
            return "MST"
    if char == "0":
        if rest.startswith("002"):
            return "002"
        if len(rest) > 1 and rest[1] in "123456":
            return rest[:2]
    if char == "1":
        return "15" if rest.startswith("15") else "1"
    if char == "2":
        return "2006" if rest.startswith("2006") else "2"
    if char == "_":
        if rest.startswith("_2"):
            # _2006 is a literal underscore followed by the year
            return "" if rest.startswith("_2006") else "_2"
        if rest.startswith("__2"):
            return "__2"
    if char in "345":
        return char
    if char == "P" and rest.startswith("PM"):
        return "PM"
    if char == "p" and rest.startswith("pm"):
        return "pm"
    if char in "-Z":
        for tz in _TZ_CHUNKS:
            if rest[1:].startswith(tz):
                return char + tz
    if char in ".," and len(rest) > 1 and rest[1] in "09":
        digit = rest[1]
        end = 1
        while end < len(rest) and rest[end] == digit:
            end += 1
        if end >= len(rest) or not rest[end].isdigit():
            return rest[:end]
    return ""


# -- parsing ---------------------------------------------------------------------------------


class _ParseFailure(Exception):
    def __init__(self, value_elem: str = "", layout_elem: str = "", message: str = "") -> None:
        super().__init__(message)
        self.value_elem = value_elem
        self.layout_elem = layout_elem
        self.message = message


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse(layout: str, value: str) -> GoTime:
    """``time.Parse(layout, value)``; raises ``TimeParseError`` with Go's message."""
    try:
        return _parse(layout, value)
    except _ParseFailure as failure:
        if failure.message:
            raise TimeParseError(f"parsing time {_quote(value)}{failure.message}") from None
        raise TimeParseError(
            f"parsing time {_quote(value)} as {_quote(layout)}: cannot parse "
            f"{_quote(failure.value_elem)} as {_quote(failure.layout_elem)}") from None


def _parse(layout: str, value: str) -> GoTime:
    fields = {"year": 0, "month": -1, "day": -1, "yday": -1, "hour": 0, "minute": 0, "second": 0,
              "nanos": 0}
    offset: int | None = None
    pm_set = am_set = False
    rest_layout = layout
    rest = value
    while True:
        prefix, element, suffix = next_chunk(rest_layout)
        std_text = rest_layout[len(prefix):len(prefix) + len(element)]
        rest = _skip(rest, prefix)
        if not element:
            if rest:
                raise _ParseFailure(message=f": extra text: {_quote(rest)}")
            break
        rest_layout = suffix
        before = rest
        try:
            rest, offset, pm_set, am_set = _parse_element(element, rest, fields, offset, pm_set, am_set,
                                                          suffix)
        except _ParseFailure as failure:
            if failure.message:
                raise
            raise _ParseFailure(before, std_text) from None
    return _assemble(fields, offset, pm_set, am_set)


def _skip(value: str, prefix: str) -> str:
    """Remove ``prefix`` from ``value``, runs of spaces matching runs of spaces (Go's ``skip``)."""
    original_prefix = prefix
    while prefix:
        if prefix[0] == " ":
            if value and value[0] != " ":
                raise _ParseFailure(value, original_prefix)
            prefix = prefix.lstrip(" ")
            value = value.lstrip(" ")
            continue
        if not value or value[0] != prefix[0]:
            raise _ParseFailure(value, original_prefix)
        prefix, value = prefix[1:], value[1:]
    return value


def _number(value: str, fixed: bool) -> tuple[int, str]:
    """Go's ``getnum``: one or two digits (exactly two when ``fixed``)."""
    if not value or not value[0].isdigit():
        raise _ParseFailure()
    if len(value) < 2 or not value[1].isdigit():
        if fixed:
            raise _ParseFailure()
        return int(value[0]), value[1:]
    return int(value[:2]), value[2:]


def _lookup(names: list[str], value: str) -> tuple[int, str]:
    for index, name in enumerate(names):
        if len(value) >= len(name) and value[:len(name)].lower() == name.lower():
            return index, value[len(name):]
    raise _ParseFailure()


def _parse_element(element: str, value: str, fields: dict[str, int], offset: int | None,
                   pm_set: bool, am_set: bool, next_layout: str) -> tuple[str, int | None, bool, bool]:
    if element == "2006":
        if len(value) < 4 or not value[:4].isdigit():
            raise _ParseFailure()
        fields["year"], value = int(value[:4]), value[4:]
    elif element == "06":
        if len(value) < 2 or not value[:2].isdigit():
            raise _ParseFailure()
        year = int(value[:2])
        fields["year"], value = (year + 1900 if year >= 69 else year + 2000), value[2:]
    elif element in ("Jan", "January"):
        names = [m[:3] for m in _MONTHS] if element == "Jan" else _MONTHS
        month, value = _lookup(names, value)
        fields["month"] = month + 1
    elif element in ("1", "01"):
        month, value = _number(value, element == "01")
        if not 1 <= month <= 12:
            raise _ParseFailure(message=": month out of range")
        fields["month"] = month
    elif element in ("Mon", "Monday"):
        _, value = _lookup([d[:3] for d in _DAYS] if element == "Mon" else _DAYS, value)
    elif element in ("2", "_2", "02"):
        if element == "_2" and value.startswith(" "):
            value = value[1:]
        fields["day"], value = _number(value, element == "02")
    elif element in ("__2", "002"):
        if element == "__2":
            value = value.lstrip(" ") if len(value) - len(value.lstrip(" ")) <= 2 else value
        digits = len(value) - len(value.lstrip("0123456789"))
        if (element == "002" and digits < 3) or digits == 0:
            raise _ParseFailure()
        count = min(digits, 3)
        fields["yday"], value = int(value[:count]), value[count:]
        if not 1 <= fields["yday"] <= 366:
            raise _ParseFailure(message=": day-of-year out of range")
    elif element == "15":
        fields["hour"], value = _number(value, False)
        if not 0 <= fields["hour"] < 24:
            raise _ParseFailure(message=": hour out of range")
    elif element in ("3", "03"):
        fields["hour"], value = _number(value, element == "03")
        if not 0 <= fields["hour"] <= 12:
            raise _ParseFailure(message=": hour out of range")
    elif element in ("4", "04"):
        fields["minute"], value = _number(value, element == "04")
        if not 0 <= fields["minute"] < 60:
            raise _ParseFailure(message=": minute out of range")
    elif element in ("5", "05"):
        fields["second"], value = _number(value, element == "05")
        if not 0 <= fields["second"] < 60:
            raise _ParseFailure(message=": second out of range")
        # a fractional second may follow even when the layout has none
        if (len(value) >= 2 and value[0] in ".," and value[1].isdigit()
                and not _std_at(next_layout, 0).startswith((".", ","))):
            digits = 1
            while digits < len(value) and value[digits].isdigit():
                digits += 1
            fields["nanos"] = _fraction(value[1:digits])
            value = value[digits:]
    elif element in ("PM", "pm"):
        marker = value[:2]
        pm, am = ("PM", "AM") if element == "PM" else ("pm", "am")
        if marker == pm:
            pm_set = True
        elif marker == am:
            am_set = True
        else:
            raise _ParseFailure()
        value = value[2:]
    elif element[0] in "-Z" and element[1:] in _TZ_CHUNKS:
        offset, value = _parse_offset(element, value)
    elif element == "MST":
        name_length = _zone_name_length(value)
        if name_length <= 0:
            raise _ParseFailure()
        value = value[name_length:]
        offset = 0 if offset is None else offset
    elif element[0] in ".,":
        digits = len(element)
        if element[1] == "0":
            if len(value) < digits or value[0] not in ".," or not value[1:digits].isdigit():
                raise _ParseFailure()
            fields["nanos"], value = _fraction(value[1:digits]), value[digits:]
        elif len(value) >= 2 and value[0] in ".," and value[1].isdigit():
            end = 1
            while end < len(value) and end < 10 and value[end].isdigit():
                end += 1
            fields["nanos"], value = _fraction(value[1:end]), value[end:]
    return value, offset, pm_set, am_set


def _fraction(digits: str) -> int:
    return int((digits + "000000000")[:9])


def _parse_offset(element: str, value: str) -> tuple[int, str]:
    if element[0] == "Z" and value.startswith("Z"):
        return 0, value[1:]
    layout = element[1:]
    colons = ":" in layout
    hours_only = layout == "07"
    with_seconds = layout in ("070000", "07:00:00")
    if not value or value[0] not in "+-":
        raise _ParseFailure()
    sign = -1 if value[0] == "-" else 1
    body = value[1:]
    parts = [body[0:2]]
    position = 2
    if not hours_only:
        if colons:
            if body[position:position + 1] != ":":
                raise _ParseFailure()
            position += 1
        parts.append(body[position:position + 2])
        position += 2
        if with_seconds:
            if colons:
                if body[position:position + 1] != ":":
                    raise _ParseFailure()
                position += 1
            parts.append(body[position:position + 2])
            position += 2
    if any(len(part) != 2 or not part.isdigit() for part in parts):
        raise _ParseFailure()
    hours, minutes, seconds = (int(part) for part in (parts + ["0", "0"])[:3])
    if hours > 24 or minutes >= 60 or seconds >= 60:
        raise _ParseFailure(message=": time zone offset out of range")
    return sign * (hours * 3600 + minutes * 60 + seconds), body[position:]


def _zone_name_length(value: str) -> int:
    """Go's ``parseTimeZone``: the length of a zone abbreviation at the start of ``value`` (0 = none)."""
    if len(value) < 3:
        return 0
    if value[:4] in ("ChST", "MeST"):
        return 4
    if value.startswith("GMT"):
        sign = value[3:4]
        digits = len(value[4:]) - len(value[4:].lstrip("0123456789"))
        return 4 + digits if sign in ("+", "-") and digits else 3
    if value[0] in "+-":
        digits = len(value[1:]) - len(value[1:].lstrip("0123456789"))
        return 1 + digits if digits in (2, 4) else 0
    upper = 0
    while upper < min(6, len(value)) and "A" <= value[upper] <= "Z":
        upper += 1
    if upper == 3:
        return 3
    if upper == 4 and (value[3] == "T" or value[:4] == "WITA"):
        return 4
    if upper == 5 and value[4] == "T":
        return 5
    return 0


def _assemble(fields: dict[str, int], offset: int | None, pm_set: bool, am_set: bool) -> GoTime:
    hour = fields["hour"]
    if pm_set and hour < 12:
        hour += 12
    elif am_set and hour == 12:
        hour = 0
    year, month, day = fields["year"], fields["month"], fields["day"]
    if fields["yday"] >= 0:
        if fields["yday"] > (366 if _is_leap(year) else 365):
            raise _ParseFailure(message=": day-of-year out of range")
        start = days_from_civil(year, 1, 1) + fields["yday"] - 1
        _, m, d = civil_from_days(start)
        if (month >= 0 and m != month) or (day >= 0 and d != day):
            raise _ParseFailure(message=": day-of-year does not match month" if day < 0 else
                                ": day-of-year does not match day")
        month, day = m, d
    month = 1 if month < 0 else month
    day = 1 if day < 0 else day
    if day < 1 or day > _days_in(month, year):
        raise _ParseFailure(message=": day out of range")
    local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + fields["minute"] * 60 + fields["second"]
    zone = offset or 0
    return GoTime(local - zone, fields["nanos"], zone)
