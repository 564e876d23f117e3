"""Go's base64.StdEncoding decoding: line breaks skipped anywhere, padding required, Go's error offsets."""

from __future__ import annotations

import pytest

from chainsaw_py.golang.base64 import CorruptInputError, std_decode


@pytest.mark.parametrize(("text", "decoded"), [
    ("", b""), ("YQ==", b"a"), ("YWI=", b"ab"), ("aGVsbG8=", b"hello"), ("aGVs\nbG8=\n", b"hello"),
    ("aGVs\r\nbG8=", b"hello"), ("YQ=\n=", b"a"), ("YR==", b"a"),   # non-strict: stray low bits are dropped
])
def test_decodes_as_go(text: str, decoded: bytes) -> None:
    assert std_decode(text) == decoded


@pytest.mark.parametrize(("text", "offset"), [
    ("abc", 0), ("abcde", 4), ("ab=c", 2), ("ab$d", 2), ("YQ=", 3), ("Y===", 1), ("YWJjZA=", 7), ("YQ==x", 4),
    ("aGVs\nbG8", 5), ("aGVs bG8=", 4), ("é", 0), ("YWJj\nZA=", 8),
])
def test_reports_go_s_offset(text: str, offset: int) -> None:
    with pytest.raises(CorruptInputError) as error:
        std_decode(text)
    assert str(error.value) == f"illegal base64 data at input byte {offset}"
