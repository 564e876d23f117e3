"""Go's ``net/url.Parse``, as far as Chainsaw relies on it: the scheme and the path of a test directory
given on the command line (``fsutils.CheckFolders`` skips paths with a scheme and checks the path part of
the others), and the authority's checks (``parseAuthority``/``parseHost``: the port, the characters of a
host name, ``[...]`` literals, the userinfo). Errors are ``ValueError``s worded as Go's ``*url.Error``."""

from __future__ import annotations

from dataclasses import dataclass

from chainsaw_py.golang.fmt import quote

_HEX = "0123456789abcdefABCDEF"
_HOST_PUNCTUATION = frozenset("-_.~!$&'()*+,;=:[]<>\"")
"""What a host may hold besides letters and digits (Go's ``shouldEscape`` in ``encodeHost`` mode)."""
_USERINFO_PUNCTUATION = frozenset("-._:~!$&'()*+,;=%@")


@dataclass(frozen=True)
class ParsedURL:
    scheme: str
    path: str
    host: str = ""


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
    host = ""
    if rest.startswith("//") and (scheme or not rest.startswith("///")):
        authority, slash, path = rest[2:].partition("/")
        host = _authority_host(authority, raw)
        rest = slash + path
    return ParsedURL(scheme, _unescape(rest, raw), host)


def _authority_host(authority: str, raw: str) -> str:
    """Go's ``parseAuthority``: the host (checked, unescaped) after the last ``@``; the userinfo before it
    is checked too."""
    userinfo, at, host_part = authority.rpartition("@")
    host = _host(host_part if at else authority, raw)
    if at:
        if not all(char.isascii() and (char.isalnum() or char in _USERINFO_PUNCTUATION) for char in userinfo):
            raise _url_error(raw, "net/url: invalid userinfo")
        for part in userinfo.split(":", 1):
            _unescape(part, raw)
    return host


def _host(host: str, raw: str) -> str:
    """Go's ``parseHost``: a ``[...]`` literal with an optional port, else an optional ``:port`` after the
    last colon; then the host's characters and escapes."""
    if host.startswith("["):
        end = host.rfind("]")
        if end < 0:
            raise _url_error(raw, "missing ']' in host")
        _check_port(host[end + 1:], raw)
        zone = host.find("%25", 0, end)
        if zone >= 0:
            return (_unescape_host(host[:zone], raw) + _unescape_zone(host[zone:end], raw)
                    + _unescape_host(host[end:], raw))
    elif ":" in host:
        _check_port(host[host.rfind(":"):], raw)
    return _unescape_host(host, raw)


def _check_port(colon_port: str, raw: str) -> None:
    """Go's ``validOptionalPort``: nothing, or a colon and ASCII digits only."""
    if colon_port and (colon_port[0] != ":" or not all("0" <= char <= "9" for char in colon_port[1:])):
        raise _url_error(raw, f"invalid port {quote(colon_port)} after host")


def _unescape_host(text: str, raw: str) -> str:
    """``unescape(text, encodeHost)``: ASCII characters a host cannot hold are refused, and ``%XX`` may only
    encode a non-ASCII byte (or be ``%25``)."""
    _check_host_text(text, raw, zone=False)
    return _unescape(text, raw)


def _unescape_zone(text: str, raw: str) -> str:
    """``unescape(text, encodeZone)``: an IPv6 zone (from ``%25``) may escape a space and what a host may
    hold, nothing else."""
    _check_host_text(text, raw, zone=True)
    return _unescape(text, raw)


def _check_host_text(text: str, raw: str, zone: bool) -> None:
    """The checks of Go's ``unescape`` in host and zone modes, in its order (the first problem is reported)."""
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%":
            escape = text[index:index + 3]
            if len(escape) < 3 or any(digit not in _HEX for digit in escape[1:]):
                raise _url_error(raw, f"invalid URL escape {quote(escape)}")
            decoded = chr(int(escape[1:], 16))
            refused = (decoded != " " and (not decoded.isascii() or _host_refuses(decoded))) if zone \
                else int(escape[1], 16) < 8
            if refused and escape != "%25":
                raise _url_error(raw, f"invalid URL escape {quote(escape)}")
            index += 3
            continue
        if _host_refuses(char):
            raise _url_error(raw, f"invalid character {quote(char)} in host name")
        index += 1


def _host_refuses(char: str) -> bool:
    return char.isascii() and not char.isalnum() and char not in _HOST_PUNCTUATION


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
