"""go-yaml v2's plain-scalar resolution, shared by the loader and the emitter."""

from __future__ import annotations

import pytest

from chainsaw_py.golang.durations import format_duration_ns
from chainsaw_py.golang.yaml import FLOAT, INT, STR, TIMESTAMP, marshal, resolve_scalar


@pytest.mark.parametrize(("text", "tag", "value"), [
    ("18446744073709551615", INT, 2**64 - 1),
    # ParseUint takes no sign, so a signed uint64 is a float in go-yaml
    ("+18446744073709551615", FLOAT, float(2**64 - 1)),
    ("-9223372036854775808", INT, -(2**63)),
    ("0x1F", INT, 31), ("0o17", INT, 15), ("017", INT, 15), ("0b101", INT, 5), ("1_000", INT, 1000),
    (".5", FLOAT, 0.5), ("2024-01-31", TIMESTAMP, "2024-01-31"), ("2024-02-30", STR, "2024-02-30"),
    ("<<", STR, "<<"), ("1.2.3", STR, "1.2.3"),
])
def test_resolution(text: str, tag: str, value: object) -> None:
    assert resolve_scalar(text) == (tag, value)


def test_emitter_and_loader_agree_on_signed_uint64() -> None:
    from chainsaw_py.yamldocs import resolve_plain

    assert resolve_plain("+18446744073709551615") == float(2**64 - 1)
    assert marshal({"a": "+18446744073709551615"}) == 'a: "+18446744073709551615"\n'


@pytest.mark.parametrize(("ns", "text"), [(300_000_000, "300ms"), (1_500_000_000, "1.5s"), (90 * 10**9, "1m30s"),
                                          (0, "0s"), (-1_000, "-1µs"), (3_600 * 10**9, "1h0m0s")])
def test_durations_print_like_go(ns: int, text: str) -> None:
    assert format_duration_ns(ns) == text
