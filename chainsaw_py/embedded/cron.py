"""Standard 5-field cron schedules (what CronJob ``spec.schedule`` accepts) and their next fire times."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

_MONTHS = {name: index for index, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
_DAYS = {name: index for index, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
           "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_BOUNDS: tuple[tuple[int, int, dict[str, int]], ...] = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 6, _DAYS))


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    def _day_matches(self, moment: dt.datetime) -> bool:
        weekday = (moment.weekday() + 1) % 7
        if self.any_day or self.any_weekday:
            return moment.day in self.days and weekday in self.weekdays
        return moment.day in self.days or weekday in self.weekdays

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first fire time strictly after ``moment`` (same timezone)."""
        current = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        limit = moment + dt.timedelta(days=366 * 5)
        while current <= limit:
            if current.month not in self.months:
                current = (current.replace(day=1, hour=0, minute=0) + dt.timedelta(days=32)).replace(day=1)
            elif not self._day_matches(current):
                current = current.replace(hour=0, minute=0) + dt.timedelta(days=1)
            elif current.hour not in self.hours:
                current = current.replace(minute=0) + dt.timedelta(hours=1)
            elif current.minute not in self.minutes:
                current += dt.timedelta(minutes=1)
            else:
                return current
        raise CronError("no fire time within five years")


def parse_cron(text: str) -> Schedule:
    spec = _MACROS.get(text.strip(), text.strip())
    if spec.startswith(("TZ=", "CRON_TZ=")):
        raise CronError("cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
    fields = spec.split()
    if len(fields) != 5:
        listed = " ".join(fields)
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{listed}]")
    parsed = [_parse_field(field, low, high, names) for field, (low, high, names) in zip(fields, _BOUNDS)]
    weekdays = frozenset(7 % 7 if day == 7 else day for day in parsed[4])
    return Schedule(parsed[0], parsed[1], parsed[2], parsed[3], weekdays, fields[2] in ("*", "?"),
                    fields[4] in ("*", "?"))


def _parse_field(field: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    values: set[int] = set()
    for part in field.split(","):
        values.update(_parse_range(part, low, high, names))
    return frozenset(values)


def _parse_range(part: str, low: int, high: int, names: dict[str, int]) -> range:
    expression, _, step_text = part.partition("/")
    step = _number(step_text, names) if step_text else 1
    if step <= 0:
        raise CronError(f"step of range should be a positive number: {part}")
    if expression in ("*", "?"):
        start, end = low, high
    elif "-" in expression:
        first, last = expression.split("-", 1)
        start, end = _number(first, names), _number(last, names)
    else:
        start = _number(expression, names)
        end = high if step_text else start
    upper = high + 1 if names is _DAYS else high
    if start < low or end > upper or start > end:
        raise CronError(f"end of range ({end}) above maximum ({high}): {part}" if end > upper else
                        f"beginning of range ({start}) below minimum ({low}): {part}" if start < low else
                        f"beginning of range ({start}) beyond end of range ({end}): {part}")
    return range(start, end + 1, step)


def _number(text: str, names: dict[str, int]) -> int:
    lowered = text.lower()
    if lowered in names:
        return names[lowered]
    if not text.isdigit():
        raise CronError(f"failed to parse int from {text}: strconv.Atoi: parsing {text!r}: invalid syntax"
                        .replace("'", '"'))
    return int(text)
