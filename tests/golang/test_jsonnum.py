"""JSON numbers decoded as Go does (golang.jsonnum): the one implementation behind the loader, JMESPath
literals, ``json_parse`` and the embedded API server's bodies."""

from __future__ import annotations

import json

import pytest

from chainsaw_py.golang.jsonnum import NumberOutOfRange, decode_float, decode_integer


@pytest.mark.parametrize(("text", "expected"), [
    ("0", 0), ("-12", -12), ("9223372036854775807", 2**63 - 1), ("-9223372036854775808", -2**63),
    ("9223372036854775808", 9.223372036854776e18), ("9999999999999999999", 1e19),
    ("1" + "0" * 30, 1e30), ("9" * 5000, None),
])
def test_integers_are_exact_within_int64_then_float64(text: str, expected: float | None) -> None:
    if expected is None:
        with pytest.raises(NumberOutOfRange, match=r"^json: cannot unmarshal number 9+ into Go value of type"):
            decode_integer(text)
        return
    value = decode_integer(text)
    assert value == expected and type(value) is type(expected)


def test_floats_beyond_float64_are_go_errors() -> None:
    assert decode_float("1.5e300") == 1.5e300
    with pytest.raises(NumberOutOfRange) as caught:
        json.loads("[1e400]", parse_int=decode_integer, parse_float=decode_float)
    assert str(caught.value) == "json: cannot unmarshal number 1e400 into Go value of type float64"
