"""Kubernetes quantities (``resource.Quantity``): parsing with the kubernetes client and printing
in the canonical form ``Quantity.String()`` uses (``1500m``, ``2k``, ``1536Mi``, ``1e3``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal, localcontext

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_GRAMMAR = re.compile(r"([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?")
_DECIMAL_SUFFIXES = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}
_BINARY_SUFFIXES = {0: "", 1: "Ki", 2: "Mi", 3: "Gi", 4: "Ti", 5: "Pi", 6: "Ei"}
_SUFFIX_EXPONENT = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_NANO = Decimal("1e-9")


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    format: str
    scale: int
    """The decimal scale of Go's ``AsDec()`` (digits after the point; negative for ``1k``)."""

    def __str__(self) -> str:
        return format_quantity(self.value, self.format)


def parse(text: str) -> Quantity | None:
    """Parse ``text`` as Go's ``resource.ParseQuantity`` would; None when it is not a quantity."""
    match = _GRAMMAR.fullmatch(text)
    if match is None:
        return None
    from kubernetes.utils.quantity import parse_quantity

    try:
        value = parse_quantity(text)
    except ValueError:
        return None
    number, suffix = match.group(2), match.group(3) or ""
    fraction_digits = len(number.partition(".")[2])
    if suffix.endswith("i"):
        quantity_format, scale = BINARY_SI, fraction_digits
    elif suffix[:1] in ("e", "E") and len(suffix) > 1:
        quantity_format, scale = DECIMAL_EXPONENT, fraction_digits - int(suffix[1:])
    else:
        quantity_format, scale = DECIMAL_SI, fraction_digits - _SUFFIX_EXPONENT[suffix]
    # Quantities keep nano precision at most, rounding away from zero
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -9:
        value = value.quantize(_NANO, rounding=ROUND_UP)
        scale = min(scale, 9)
    return Quantity(value=value, format=quantity_format, scale=scale)


def format_quantity(value: Decimal, quantity_format: str) -> str:
    """``Quantity.String()`` for ``value`` in ``quantity_format``."""
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
    suffix = _DECIMAL_SUFFIXES.get(exponent)
    return f"{mantissa}{suffix}" if suffix is not None else f"{mantissa}e{exponent}"


def _canonical_decimal(value: Decimal) -> tuple[int, int]:
    """Integer mantissa and an exponent that is a multiple of 3 (``AsCanonicalBytes``)."""
    sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)
    mantissa = int("".join(map(str, digits)) or "0")
    while exponent % 3 != 0:
        mantissa *= 10
        exponent -= 1
    return (-mantissa if sign else mantissa), exponent


def from_decimal(value: Decimal, quantity_format: str) -> str:
    with localcontext() as context:
        context.prec = 60
        return format_quantity(+value, quantity_format)
