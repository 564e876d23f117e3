"""Go's ``net/url.Parse``, as far as Chainsaw relies on it: the scheme and the path of a test directory
given on the command line (``fsutils.CheckFolders`` skips paths with a scheme and checks the path part of
the others). Errors are ``ValueError``s worded as Go's ``*url.Error``."""

from __future__ import annotations

from dataclasses import dataclass

from chainsaw_py.golang.fmt import quote

_HEX = "0123456789abcdefABCDEF"


@dataclass(frozen=True)
class ParsedURL:
    scheme: str
    path: str


def parse(raw: str) -> ParsedURL:
    """``url.Parse(raw)``: the lower-cased scheme and the unescaped path (the query and fragment cut off)."""
    without_fragment, _, fragment = raw.partition("#")
    parsed = _parse(without_fragment)
    _unescape(fragment, raw)
    return parsed


def _parse(raw: str) -> ParsedURL:
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in raw):
        raise _url_error(raw, "net/url: invalid control character in URL")
    if raw == "*":
        return ParsedURL("", "*")
    scheme, rest = _scheme(raw)
    rest = rest[:-1] if rest.endswith("?") and rest.count("?") == 1 else rest.partition("?")[0]
    if not rest.startswith("/"):
        if scheme:
            return ParsedURL(scheme, "")  # an opaque URL
        if ":" in rest.partition("/")[0]:
            raise _url_error(raw, "first path segment in URL cannot contain colon")
    if rest.startswith("//") and (scheme or not rest.startswith("///")):
        _authority, slash, path = rest[2:].partition("/")
        rest = slash + path
    return ParsedURL(scheme, _unescape(rest, raw))


def _scheme(raw: str) -> tuple[str, str]:
    for index, char in enumerate(raw):
        if char.isascii() and char.isalpha():
            continue
        if char.isascii() and (char.isdigit() or char in "+-."):
            if index == 0:
                return "", raw
            continue
        if char == ":":
            if index == 0:
                raise _url_error(raw, "missing protocol scheme")
            return raw[:index].lower(), raw[index + 1:]
        return "", raw
    return "", raw


def _unescape(text: str, raw: str) -> str:
    """Percent-decoding as Go's ``unescape`` (``+`` stays a plus in paths)."""
    if "%" not in text:
        return text
    data = text.encode()
    out = bytearray()
    index = 0
    while index < len(data):
        if data[index] == ord("%"):
            digits = data[index + 1:index + 3].decode(errors="replace")
            if len(digits) < 2 or any(digit not in _HEX for digit in digits):
                escape = data[index:index + 3].decode(errors="replace")
                raise _url_error(raw, f"invalid URL escape {quote(escape)}")
            out.append(int(digits, 16))
            index += 3
        else:
            out.append(data[index])
            index += 1
    return out.decode(errors="replace")


def _url_error(raw: str, message: str) -> ValueError:
    return ValueError(f"parse {quote(raw)}: {message}")
