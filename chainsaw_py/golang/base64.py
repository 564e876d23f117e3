"""Go's ``base64.StdEncoding`` decoding (what ``encoding/json`` does for ``[]byte`` fields, and
``base64.StdEncoding.DecodeString``): ``\\r`` and ``\\n`` are skipped anywhere, padding is required, and a
malformed input is ``illegal base64 data at input byte N`` with Go's offset into the original text."""

from __future__ import annotations

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_VALUES = {char: index for index, char in enumerate(_ALPHABET)}
_NEWLINES = "\r\n"


class CorruptInputError(ValueError):
    def __init__(self, offset: int) -> None:
        super().__init__(f"illegal base64 data at input byte {offset}")
        self.offset = offset


def std_decode(text: str) -> bytes:
    """The bytes ``text`` encodes, or ``CorruptInputError`` where Go's decoder stops (offsets count UTF-8 bytes)."""
    text = text.encode("utf-8", "surrogatepass").decode("latin-1")
    out = bytearray()
    position = 0
    while True:
        position, chunk, done = _quantum(text, position)
        out += chunk
        if done:
            return bytes(out)


def _skip_newlines(text: str, position: int) -> int:
    while position < len(text) and text[position] in _NEWLINES:
        position += 1
    return position


def _quantum(text: str, position: int) -> tuple[int, bytes, bool]:
    """One group of four characters (Go's ``decodeQuantum``): the next position, its bytes, and whether the
    input ends here."""
    values: list[int] = []
    while len(values) < 4:
        if position == len(text):
            if not values:
                return position, b"", True
            raise CorruptInputError(position - len(values))
        char = text[position]
        position += 1
        if char in _VALUES:
            values.append(_VALUES[char])
            continue
        if char in _NEWLINES:
            continue
        if char != "=" or len(values) < 2:
            raise CorruptInputError(position - 1)
        if len(values) == 2:   # "==" expected: the first "=" is consumed
            position = _skip_newlines(text, position)
            if position == len(text):
                raise CorruptInputError(len(text))
            if text[position] != "=":
                raise CorruptInputError(position - 1)
            position += 1
        position = _skip_newlines(text, position)
        if position < len(text):
            raise CorruptInputError(position)
        return position, _bytes_of(values), True
    return position, _bytes_of(values), False


def _bytes_of(values: list[int]) -> bytes:
    padded = values + [0] * (4 - len(values))
    number = padded[0] << 18 | padded[1] << 12 | padded[2] << 6 | padded[3]
    return number.to_bytes(3, "big")[:len(values) - 1]
