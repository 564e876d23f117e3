"""Kubernetes quantities (k8s.io/apimachinery/pkg/api/resource): parsing, and printing in the canonical form
``Quantity.String()`` uses (``1000m`` -> ``1``, ``1024Mi`` -> ``1Gi``, ``0.5`` -> ``500m``, ``129e6``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal, localcontext
from fractions import Fraction

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

QUANTITY_PATTERN = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_QUANTITY = re.compile(QUANTITY_PATTERN)
_GRAMMAR = re.compile(r"([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?")
_BINARY_POWERS = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL_EXPONENTS = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIXES = {exponent: suffix for suffix, exponent in _DECIMAL_EXPONENTS.items()}
_BINARY_SUFFIXES = {0: "", **{power: suffix for suffix, power in _BINARY_POWERS.items()}}
_NANO = Decimal("1e-9")


class QuantityError(ValueError):
    """The text is not a quantity (the apiserver's message)."""


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    format: str
    scale: int
    """The decimal scale of Go's ``AsDec()`` (digits after the point; negative for ``1k``)."""

    def __str__(self) -> str:
        return format_quantity(self.value, self.format)


def parse_quantity(text: str) -> tuple[Fraction, str]:
    """``resource.ParseQuantity``: (exact value, format); raises :class:`QuantityError`."""
    match = _QUANTITY.match(text.strip())
    if match is None or match.group(1) in (".", "+.", "-."):
        raise QuantityError(f"quantities must match the regular expression '{QUANTITY_PATTERN}'")
    try:
        number = Fraction(match.group(1))
    except ValueError:
        raise QuantityError(f"quantities must match the regular expression '{QUANTITY_PATTERN}'") from None
    suffix = match.group(2)
    if suffix in _BINARY_POWERS:
        return number * 1024 ** _BINARY_POWERS[suffix], BINARY_SI
    if suffix in _DECIMAL_EXPONENTS:
        return number * Fraction(10) ** _DECIMAL_EXPONENTS[suffix], DECIMAL_SI
    exponent = re.fullmatch(r"[eE]([-+]?[0-9]+)", suffix)
    if exponent is None:
        raise QuantityError("unable to parse quantity's suffix")
    return number * Fraction(10) ** int(exponent.group(1)), DECIMAL_EXPONENT


def parse(text: str) -> Quantity | None:
    """Parse ``text`` as Go's ``resource.ParseQuantity`` would; None when it is not a quantity."""
    match = _GRAMMAR.fullmatch(text)
    if match is None:
        return None
    try:
        exact, _format = parse_quantity(text)
    except QuantityError:
        return None
    value = _decimal(exact)
    number, suffix = match.group(2), match.group(3) or ""
    fraction_digits = len(number.partition(".")[2])
    if suffix.endswith("i"):
        quantity_format, scale = BINARY_SI, fraction_digits
    elif suffix[:1] in ("e", "E") and len(suffix) > 1:
        quantity_format, scale = DECIMAL_EXPONENT, fraction_digits - int(suffix[1:])
    else:
        quantity_format, scale = DECIMAL_SI, fraction_digits - _DECIMAL_EXPONENTS[suffix]
    # Quantities keep nano precision at most, rounding away from zero
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -9:
        value = value.quantize(_NANO, rounding=ROUND_UP)
        scale = min(scale, 9)
    return Quantity(value=value, format=quantity_format, scale=scale)


def canonical_quantity(text: str) -> str:
    """The text the apiserver stores for the quantity ``text`` (raises :class:`QuantityError`)."""
    value, quantity_format = parse_quantity(text)
    return format_quantity(_decimal(_round_to_nano(value)), quantity_format)


def format_quantity(value: Decimal, quantity_format: str) -> str:
    """``Quantity.String()`` for ``value`` in ``quantity_format``.

    As in Go, a DecimalSI value whose canonical exponent has no suffix (``1000E`` is 1e21) prints its
    mantissa alone (``1``).
    """
    with localcontext() as context:
        context.prec = 60
        return _format(+value, quantity_format)


def from_decimal(value: Decimal, quantity_format: str) -> str:
    return format_quantity(value, quantity_format)


def _format(value: Decimal, quantity_format: str) -> str:
    if value == 0:
        return "0"
    if quantity_format == BINARY_SI:
        if -1024 < value < 1024 or value != value.to_integral_value():
            quantity_format = DECIMAL_SI
        else:
            amount, exponent = int(value), 0
            while amount % 1024 == 0 and exponent < 6:
                amount //= 1024
                exponent += 1
            return f"{amount}{_BINARY_SUFFIXES[exponent]}"
    mantissa, exponent = _canonical_decimal(value)
    if quantity_format == DECIMAL_EXPONENT:
        return f"{mantissa}" if exponent == 0 else f"{mantissa}e{exponent}"
    return f"{mantissa}{_DECIMAL_SUFFIXES.get(exponent, '')}"


def _canonical_decimal(value: Decimal) -> tuple[int, int]:
    """Integer mantissa and an exponent that is a multiple of 3 (``AsCanonicalBytes``)."""
    sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)
    mantissa = int("".join(map(str, digits)) or "0")
    while exponent % 3 != 0:
        mantissa *= 10
        exponent -= 1
    return (-mantissa if sign else mantissa), exponent


def _round_to_nano(value: Fraction) -> Fraction:
    """Quantities keep at most nano precision; smaller fractions round away from zero."""
    scaled = value * 10**9
    rounded = math.ceil(scaled) if scaled > 0 else math.floor(scaled)
    return Fraction(rounded, 10**9)


def _decimal(value: Fraction) -> Decimal:
    """The exact decimal of a quantity's value (its denominator divides a power of ten)."""
    with localcontext() as context:
        context.prec = 60
        return Decimal(value.numerator) / Decimal(value.denominator)
