"""Quantity, Regex, Lists, URLs, IP, CIDR and Format (``k8s.io/apiserver/pkg/cel/library``) as functions for
the ``cel`` package. Values travel as tagged maps (see the package's docstring)."""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chainsaw_py.golang.durations import parse_duration_ns
from chainsaw_py.kubecel.checkpoints import DURATION_GUARD
from chainsaw_py.kubecel.errors import LibraryError

if TYPE_CHECKING:
    from chainsaw_py.golang.regexp import GoRegexp

_QUANTITY = "__quantity__"
_URL = "__url__"
_IP = "__ip__"
_CIDR = "__cidr__"
_FORMAT = "__format__"


def as_string(value: dict[str, Any]) -> str | None:
    """The string form of a tagged library value, None for an ordinary map."""
    if len(value) != 1:
        return None
    key = next(iter(value))
    return value[key] if key in (_QUANTITY, _URL, _IP, _CIDR) else None


def _tagged(value: Any, tag: str, kind: str) -> str:
    if isinstance(value, dict) and tag in value:
        return str(value[tag])
    raise LibraryError(f"no such overload: expected a {kind}")


# -- quantity -------------------------------------------------------------------------------------


def _parse_quantity(text: Any) -> Any:
    from chainsaw_py.golang import quantity

    try:
        parsed = quantity.parse(text) if isinstance(text, str) else None
    except quantity.QuantityTooLarge as error:
        raise LibraryError(str(error)) from None
    if parsed is None:
        raise LibraryError(
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    return parsed


def _quantity(text: Any) -> dict[str, str]:
    return {_QUANTITY: str(_parse_quantity(text))}


def _quantity_value(value: Any) -> Decimal:
    return _parse_quantity(_tagged(value, _QUANTITY, "quantity")).value


def _quantity_format(value: Any) -> str:
    return str(_parse_quantity(_tagged(value, _QUANTITY, "quantity")).format)


def _is_quantity(text: Any) -> bool:
    from chainsaw_py.golang import quantity

    try:
        return isinstance(text, str) and quantity.parse(text) is not None
    except quantity.QuantityTooLarge:
        return False


def _compare(left: Any, right: Any) -> int:
    a, b = _quantity_value(left), _quantity_value(right)
    return (a > b) - (a < b)


def _arithmetic(left: Any, right: Any, sign: int) -> dict[str, str]:
    from chainsaw_py.golang import quantity

    other = Decimal(right) if isinstance(right, int) and not isinstance(right, bool) else _quantity_value(right)
    total = quantity.exact_sum(_quantity_value(left), other if sign > 0 else other.copy_negate())
    return {_QUANTITY: quantity.from_decimal(total, _quantity_format(left))}


def _as_integer(value: Any) -> int:
    amount = _quantity_value(value)
    if amount != amount.to_integral_value() or not -(2**63) <= amount < 2**63:
        raise LibraryError("cannot convert value to integer")
    return int(amount)


def _is_integer(value: Any) -> bool:
    amount = _quantity_value(value)
    return amount == amount.to_integral_value() and -(2**63) <= amount < 2**63


# -- regex and lists --------------------------------------------------------------------------------


def _regex(pattern: Any) -> GoRegexp:
    from chainsaw_py.golang.regexp import RegexpError, compile_go

    try:
        return compile_go(str(pattern))
    except RegexpError as error:
        raise LibraryError(str(error)) from None


def _find(text: str, pattern: str) -> str:
    match = _regex(pattern).search(text)
    return str(match.group(0)) if match else ""


def _find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    from chainsaw_py.golang.regexp import find_all

    return [str(match.group(0)) for match in find_all(_regex(pattern), text, limit)]


def _index_of(subject: Any, item: Any, *rest: Any) -> int:
    if isinstance(subject, str):
        start = rest[0] if rest else 0
        return subject.find(item, start)
    return next((index for index, value in enumerate(subject) if value == item), -1)


def _last_index_of(subject: Any, item: Any, *rest: Any) -> int:
    if isinstance(subject, str):
        return subject.rfind(item) if not rest else subject.rfind(item, 0, rest[0] + len(item))
    return next((index for index in range(len(subject) - 1, -1, -1) if subject[index] == item), -1)


def _is_sorted(values: list[Any]) -> bool:
    return all(values[index] <= values[index + 1] for index in range(len(values) - 1))


# -- URLs -----------------------------------------------------------------------------------------


def _url(text: Any) -> dict[str, str]:
    if not _is_url(text):
        raise LibraryError(f"URL parse error during conversion from string: {text}")
    return {_URL: text}


def _is_url(text: Any) -> bool:
    if not isinstance(text, str) or not text:
        return False
    parts = urllib.parse.urlsplit(text)
    return bool(parts.scheme) or text.startswith("/")


def _url_parts(value: Any) -> urllib.parse.SplitResult:
    return urllib.parse.urlsplit(_tagged(value, _URL, "URL"))


def _get_host(value: Any) -> str:
    return _url_parts(value).netloc.rpartition("@")[2]


def _get_hostname(value: Any) -> str:
    return _url_parts(value).hostname or ""


def _get_port(value: Any) -> str:
    port = _url_parts(value).netloc.rpartition("@")[2].rpartition("]")[2]
    return port.rpartition(":")[2] if ":" in port else ""


def _get_query(value: Any) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(_url_parts(value).query, keep_blank_values=True)


# -- IP and CIDR ----------------------------------------------------------------------------------


def _parse_ip(text: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        address = ipaddress.ip_address(text if isinstance(text, str) else "")
    except ValueError:
        raise LibraryError(f"IP Address {text!r} parse error during conversion from string") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise LibraryError("IPv4-mapped IPv6 address is not allowed")
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        raise LibraryError("IP address with zone value is not allowed")
    return address


def _ip(text: Any) -> dict[str, str]:
    """``ip(string)``, and ``cidr.ip()`` (the CIDR's address) which CEL routes to the same name."""
    if isinstance(text, dict) and _CIDR in text:
        return _cidr_ip(text)
    return {_IP: str(_parse_ip(text))}


def _is_ip(text: Any) -> bool:
    try:
        _parse_ip(text)
    except LibraryError:
        return False
    return True


def _ip_of(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if isinstance(value, str):
        return _parse_ip(value)
    return _parse_ip(_tagged(value, _IP, "IP"))


def _parse_cidr(text: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(text if isinstance(text, str) else "", strict=False)
    except ValueError:
        raise LibraryError(f"network address parse error during conversion from string: {text}") from None


def _cidr(text: Any) -> dict[str, str]:
    _parse_cidr(text)
    return {_CIDR: text}


def _is_cidr(text: Any) -> bool:
    try:
        _parse_cidr(text)
    except LibraryError:
        return False
    return isinstance(text, str) and "/" in text


def _cidr_of(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return _parse_cidr(value if isinstance(value, str) else _tagged(value, _CIDR, "CIDR"))


def _contains_ip(cidr: Any, address: Any) -> bool:
    return _ip_of(address) in _cidr_of(cidr)


def _contains_cidr(cidr: Any, other: Any) -> bool:
    inner, outer = _cidr_of(other), _cidr_of(cidr)
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]


def _cidr_ip(value: Any) -> dict[str, str]:
    text = _tagged(value, _CIDR, "CIDR")
    return {_IP: str(ipaddress.ip_address(text.partition("/")[0]))}


def _masked(value: Any) -> dict[str, str]:
    return {_CIDR: str(_cidr_of(value))}


def _string(value: Any) -> str:
    """``string()`` for what the native conversion does not cover (booleans, library values)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        text = as_string(value)
        if text is not None:
            return text
    raise LibraryError(f"no such overload: string({type(value).__name__})")


# -- format -----------------------------------------------------------------------------------------

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


_SUBDOMAIN_MESSAGE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
                      "or '.', and must start and end with an alphanumeric character")


def _dns1123_subdomain(text: str) -> list[str]:
    if len(text) > 253:
        return ["must be no more than 253 characters"]
    if not all(_DNS1123_LABEL.fullmatch(part) for part in text.split(".")):
        return [_SUBDOMAIN_MESSAGE]
    return []


def _pattern_errors(pattern: re.Pattern[str], limit: int, message: str) -> Callable[[str], list[str]]:
    def validate(text: str) -> list[str]:
        errors = [f"must be no more than {limit} characters"] if len(text) > limit else []
        if not pattern.fullmatch(text):
            errors.append(message)
        return errors
    return validate


_FORMATS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": _pattern_errors(
        _DNS1123_LABEL, 63, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
                            "'-', and must start and end with an alphanumeric character"),
    "dns1123Subdomain": _dns1123_subdomain,
    "dns1035Label": _pattern_errors(
        _DNS1035_LABEL, 63, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
                            "with an alphabetic character, and end with an alphanumeric character"),
    "qualifiedName": _pattern_errors(
        _QUALIFIED_NAME, 63, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
                             "and end with an alphanumeric character"),
    "labelValue": _pattern_errors(
        _LABEL_VALUE, 63, "a valid label must be an empty string or consist of alphanumeric characters, '-', "
                          "'_' or '.', and must start and end with an alphanumeric character"),
    "uuid": _pattern_errors(_UUID, 36, "does not match the UUID format"),
}


def _format(name: str) -> Callable[[], dict[str, str]]:
    return lambda: {_FORMAT: name}


def _format_named(name: Any) -> Any:
    import cel

    return cel.OptionalValue.of({_FORMAT: name}) if name in _FORMATS else cel.OptionalValue.none()


def _validate(format_value: Any, text: Any) -> Any:
    import cel

    validator = _FORMATS[_tagged(format_value, _FORMAT, "format")]
    errors = validator(str(text))
    return cel.OptionalValue.of(errors) if errors else cel.OptionalValue.none()


def go_duration_argument(value: Any) -> Any:
    """``duration()``'s argument, refused as cel-go refuses what Go's ``time.ParseDuration`` does not read (the
    ``cel`` package clamps an overflowing duration, ``99999999999999999999h``, to its largest value)."""
    if isinstance(value, str):
        try:
            parse_duration_ns(value)
        except ValueError:
            raise LibraryError("type conversion error from 'string' to 'google.protobuf.Duration'") from None
    return value


def functions() -> dict[str, Callable[..., Any]]:
    table: dict[str, Callable[..., Any]] = {
        DURATION_GUARD: go_duration_argument,
        "string": _string,
        # quantity
        "quantity": _quantity, "isQuantity": _is_quantity,
        "isLessThan": lambda a, b: _compare(a, b) < 0,
        "isGreaterThan": lambda a, b: _compare(a, b) > 0,
        "compareTo": _compare,
        "add": lambda a, b: _arithmetic(a, b, 1),
        "sub": lambda a, b: _arithmetic(a, b, -1),
        "asInteger": _as_integer, "isInteger": _is_integer,
        "asApproximateFloat": lambda q: float(_quantity_value(q)),
        "sign": lambda q: (_quantity_value(q) > 0) - (_quantity_value(q) < 0),
        # regex
        "find": _find, "findAll": _find_all,
        # lists
        "isSorted": _is_sorted, "indexOf": _index_of, "lastIndexOf": _last_index_of,
        # URLs
        "url": _url, "isURL": _is_url,
        "getScheme": lambda u: _url_parts(u).scheme,
        "getHost": _get_host, "getHostname": _get_hostname, "getPort": _get_port,
        "getEscapedPath": lambda u: _url_parts(u).path, "getQuery": _get_query,
        # IP and CIDR
        "ip": _ip, "isIP": _is_ip,
        "ip.isCanonical": lambda text: str(_parse_ip(text)) == text,
        "family": lambda a: _ip_of(a).version,
        "isUnspecified": lambda a: _ip_of(a).is_unspecified,
        "isLoopback": lambda a: _ip_of(a).is_loopback,
        "isLinkLocalMulticast": lambda a: _ip_of(a).is_multicast and _ip_of(a).is_link_local,
        "isLinkLocalUnicast": lambda a: _ip_of(a).is_link_local and not _ip_of(a).is_multicast,
        "isGlobalUnicast": lambda a: _is_global_unicast(_ip_of(a)),
        "cidr": _cidr, "isCIDR": _is_cidr, "containsIP": _contains_ip, "containsCIDR": _contains_cidr,
        "masked": _masked, "prefixLength": lambda c: _cidr_of(c).prefixlen,
        # format
        "format.named": _format_named, "validate": _validate,
    }
    table.update({f"format.{name}": _format(name) for name in _FORMATS})
    return table


def _is_global_unicast(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not (address.is_unspecified or address.is_loopback or address.is_multicast or address.is_link_local
                or (isinstance(address, ipaddress.IPv4Address) and address == ipaddress.IPv4Address("255.255.255.255")))
