"""Go's ``time.Parse`` with layouts, RFC 3339 formatting and ``Truncate``.

Every expected value below was produced by Go 1.19's standard library (``time.Parse(layout, value)``
then ``Format(time.RFC3339)`` and ``Nanosecond()``, or the error's text).
"""

from __future__ import annotations

import pytest

from chainsaw_py.golang import time as gotime

RFC3339 = "2006-01-02T15:04:05Z07:00"

PARSED: list[tuple[str, str, str, int]] = [
    (RFC3339, "2023-01-02T15:04:05Z", "2023-01-02T15:04:05Z", 0),
    (RFC3339, "2023-01-02T15:04:05.123456789+02:00", "2023-01-02T15:04:05+02:00", 123456789),
    (RFC3339, "2023-01-02T15:04:05-07:30", "2023-01-02T15:04:05-07:30", 0),
    ("2006-01-02", "2023-05-17", "2023-05-17T00:00:00Z", 0),
    ("Mon Jan _2 15:04:05 2006", "Tue Feb  7 10:11:12 2023", "2023-02-07T10:11:12Z", 0),
    ("Mon, 02 Jan 2006 15:04:05 MST", "Tue, 07 Feb 2023 10:11:12 UTC", "2023-02-07T10:11:12Z", 0),
    ("Mon, 02 Jan 2006 15:04:05 -0700", "Tue, 07 Feb 2023 10:11:12 +0530", "2023-02-07T10:11:12+05:30", 0),
    ("02 Jan 06 15:04 MST", "05 Mar 23 11:00 GMT", "2023-03-05T11:00:00Z", 0),
    ("15:04", "10:30", "0000-01-01T10:30:00Z", 0),
    ("3:04PM", "9:15PM", "0000-01-01T21:15:00Z", 0),
    ("3:04PM", "12:15AM", "0000-01-01T00:15:00Z", 0),
    ("January 2, 2006", "March 5, 2023", "2023-03-05T00:00:00Z", 0),
    ("2006-01-02T15:04:05.000Z", "2023-01-02T15:04:05.120Z", "2023-01-02T15:04:05Z", 120000000),
    ("2006-002", "2023-045", "2023-02-14T00:00:00Z", 0),
    ("20060102150405", "20230517103000", "2023-05-17T10:30:00Z", 0),
    ("2006-01-02 15:04:05.999999999 -0700 MST", "2023-05-17 10:30:00.5 +0200 CEST", "2023-05-17T10:30:00+02:00",
     500000000),
]


@pytest.mark.parametrize(("layout", "value", "rfc3339", "nanos"), PARSED)
def test_parse(layout: str, value: str, rfc3339: str, nanos: int) -> None:
    parsed = gotime.parse(layout, value)
    assert parsed.format_rfc3339() == rfc3339
    assert parsed.nanos == nanos


PARSE_ERRORS: list[tuple[str, str, str]] = [
    (RFC3339, "2023-01-02 15:04:05Z",
     'parsing time "2023-01-02 15:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 15:04:05Z" as "T"'),
    (RFC3339, "2023-01-02T15:04:05Zjunk", 'parsing time "2023-01-02T15:04:05Zjunk": extra text: "junk"'),
    (RFC3339, "2023-02-29T00:00:00Z", 'parsing time "2023-02-29T00:00:00Z": day out of range'),
    (RFC3339, "2023-13-02T00:00:00Z", 'parsing time "2023-13-02T00:00:00Z": month out of range'),
    (RFC3339, "2023-01-02T25:00:00Z", 'parsing time "2023-01-02T25:00:00Z": hour out of range'),
    (RFC3339, "", 'parsing time "" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "2006"'),
    ("2006-01-02", "x", 'parsing time "x" as "2006-01-02": cannot parse "x" as "2006"'),
    ("Jan 2", "Feb 30", 'parsing time "Feb 30": day out of range'),
]


@pytest.mark.parametrize(("layout", "value", "message"), PARSE_ERRORS)
def test_parse_errors(layout: str, value: str, message: str) -> None:
    with pytest.raises(gotime.TimeParseError) as caught:
        gotime.parse(layout, value)
    assert str(caught.value) == message


@pytest.mark.parametrize(("duration_ns", "expected"), [
    (3_600_000_000_000, "2023-05-17T10:00:00Z"),
    (7 * 3_600_000_000_000, "2023-05-17T08:00:00Z"),
    (15 * 60_000_000_000, "2023-05-17T10:30:00Z"),
    (24 * 3_600_000_000_000, "2023-05-17T00:00:00Z"),
    (168 * 3_600_000_000_000, "2023-05-15T00:00:00Z"),
    (90_000_000_000, "2023-05-17T10:31:30Z"),
    (0, "2023-05-17T10:31:45Z"),
])
def test_truncate(duration_ns: int, expected: str) -> None:
    moment = gotime.parse(RFC3339, "2023-05-17T10:31:45.5Z")
    assert moment.truncate(duration_ns).format_rfc3339() == expected


@pytest.mark.parametrize("days", [-800_000, -719_468, -1, 0, 1, 59, 365, 10_957, 2_932_896])
def test_civil_round_trip(days: int) -> None:
    assert gotime.days_from_civil(*gotime.civil_from_days(days)) == days


def test_weekday_and_negative_years() -> None:
    assert gotime.parse(RFC3339, "2023-05-17T00:00:00Z").weekday() == 3
    assert gotime.parse(RFC3339, "1970-01-01T00:00:00Z").weekday() == 4
    assert gotime.GoTime(-62_167_219_200 - 86_400).format_rfc3339() == "-0001-12-31T00:00:00Z"
