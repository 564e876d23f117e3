"""Kubernetes quantities (k8s.io/apimachinery/pkg/api/resource): parsing, and printing in the canonical form
``Quantity.String()`` uses (``1000m`` -> ``1``, ``1024Mi`` -> ``1Gi``, ``0.5`` -> ``500m``, ``129e6``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal, InvalidOperation, localcontext
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


MAX_DIGITS = 10_000
"""Digits of a quantity's value (its number's digits plus its decimal exponent), and the largest exponent. Go's
``inf.Dec`` keeps any number exactly (a 5,000-digit quantity is read, compared and printed in full, as here);
this bound keeps the exact arithmetic used here within milliseconds (``1e500000`` took 14 s)."""
_MAX_INT64 = (1 << 63) - 1   # resource.maxAllowed: BinarySI quantities are capped to it, as in Go


class QuantityError(ValueError):
    """The text is not a quantity (the apiserver's message)."""


class QuantityTooLarge(QuantityError):
    """A quantity of more than ``MAX_DIGITS`` digits."""


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
        number = Decimal(match.group(1))
    except InvalidOperation:
        raise QuantityError(f"quantities must match the regular expression '{QUANTITY_PATTERN}'") from None
    suffix = match.group(2)
    if suffix in _BINARY_POWERS:
        _check_size(number, 0)
        value = Fraction(number) * 1024 ** _BINARY_POWERS[suffix]
        return max(-_MAX_INT64, min(_MAX_INT64, value)), BINARY_SI
    if suffix in _DECIMAL_EXPONENTS:
        _check_size(number, _DECIMAL_EXPONENTS[suffix])
        return Fraction(number) * Fraction(10) ** _DECIMAL_EXPONENTS[suffix], DECIMAL_SI
    exponent = re.fullmatch(r"[eE]([-+]?[0-9]{1,19})", suffix)
    if exponent is None or not -(1 << 63) <= int(exponent.group(1)) < (1 << 63):
        raise QuantityError("unable to parse quantity's suffix")
    power = _check_size(number, int(exponent.group(1)))
    return Fraction(number) * Fraction(10) ** power, DECIMAL_EXPONENT


def _check_size(number: Decimal, exponent: int) -> int:
    """The decimal exponent to apply to ``number``: a value far below a nano-unit keeps its sign only (Go rounds
    it up to ``1n``), a value of more than ``MAX_DIGITS`` digits is refused."""
    digits = len(number.as_tuple().digits)
    if digits + max(exponent, 0) > MAX_DIGITS:
        raise QuantityTooLarge(f"quantity too large: more than {MAX_DIGITS} digits")
    return max(exponent, -(digits + 10))


def parse(text: str) -> Quantity | None:
    """Parse ``text`` as Go's ``resource.ParseQuantity`` would; None when it is not a quantity (raises
    :class:`QuantityTooLarge` for one beyond ``MAX_DIGITS``)."""
    match = _GRAMMAR.fullmatch(text)
    if match is None:
        return None
    try:
        exact, _format = parse_quantity(text)
    except QuantityTooLarge:
        raise
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
        with localcontext() as context:
            context.prec = max(60, len(value.as_tuple().digits))
            value = value.quantize(_NANO, rounding=ROUND_UP)
        scale = min(scale, 9)
    return Quantity(value=value, format=quantity_format, scale=scale)


def exact_sum(first: Decimal, second: Decimal) -> Decimal:
    """``first + second`` without rounding, as Go's ``Quantity.Add`` (quantities may have thousands of digits)."""
    with localcontext() as context:
        context.prec = 20 + max(len(first.as_tuple().digits), len(second.as_tuple().digits)) + abs(
            first.adjusted() - second.adjusted())
        return first + second


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
        context.prec = max(60, len(value.as_tuple().digits))
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
        return mantissa if exponent == 0 else f"{mantissa}e{exponent}"
    return f"{mantissa}{_DECIMAL_SUFFIXES.get(exponent, '')}"


def _canonical_decimal(value: Decimal) -> tuple[str, int]:
    """Integer mantissa (as text: it may have thousands of digits) and an exponent that is a multiple of 3
    (``AsCanonicalBytes``)."""
    sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)
    mantissa = "".join(map(str, digits)).lstrip("0") or "0"
    while exponent % 3 != 0:
        mantissa += "0"
        exponent -= 1
    return ("-" + mantissa if sign and mantissa != "0" else mantissa), exponent


def _round_to_nano(value: Fraction) -> Fraction:
    """Quantities keep at most nano precision; smaller fractions round away from zero."""
    scaled = value * 10**9
    rounded = math.ceil(scaled) if scaled > 0 else math.floor(scaled)
    return Fraction(rounded, 10**9)


def _decimal(value: Fraction) -> Decimal:
    """The exact decimal of a quantity's value (its denominator divides a power of ten)."""
    with localcontext() as context:
        context.prec = max(60, (value.numerator.bit_length() + value.denominator.bit_length()) // 3 + 20)
        return Decimal(value.numerator) / Decimal(value.denominator)
