"""Resource quantities in canonical form, as the apiserver stores them (``1000m`` -> ``1``, ``1024Mi`` ->
``1Gi``, ``0.5`` -> ``500m``, ``1000`` -> ``1k``), following k8s.io/apimachinery/pkg/api/resource."""

from __future__ import annotations

import math
import re
from fractions import Fraction

QUANTITY_PATTERN = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_QUANTITY = re.compile(QUANTITY_PATTERN)
_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {exponent: suffix for suffix, exponent in _DECIMAL.items()}
_BINARY_SUFFIX = {power: suffix for suffix, power in _BINARY.items()}


class QuantityError(ValueError):
    pass


def parse_quantity(text: str) -> tuple[Fraction, str]:
    """(exact value, format) where format is ``BinarySI``, ``DecimalSI`` or ``DecimalExponent``."""
    match = _QUANTITY.match(text.strip())
    if match is None or match.group(1) in (".", "+.", "-."):
        raise QuantityError(f"quantities must match the regular expression '{QUANTITY_PATTERN}'")
    number, suffix = Fraction(match.group(1)), match.group(2)
    if suffix in _BINARY:
        return number * 1024 ** _BINARY[suffix], "BinarySI"
    if suffix in _DECIMAL:
        return number * Fraction(10) ** _DECIMAL[suffix], "DecimalSI"
    exponent = re.fullmatch(r"[eE]([-+]?[0-9]+)", suffix)
    if exponent is None:
        raise QuantityError("unable to parse quantity's suffix")
    return number * Fraction(10) ** int(exponent.group(1)), "DecimalExponent"


def _round_to_nano(value: Fraction) -> Fraction:
    """Quantities keep at most nano precision; smaller fractions round away from zero."""
    scaled = value * 10**9
    rounded = math.ceil(scaled) if scaled > 0 else math.floor(scaled)
    return Fraction(rounded, 10**9)


def canonical_quantity(text: str) -> str:
    value, fmt = parse_quantity(text)
    value = _round_to_nano(value)
    if value == 0:
        return "0"
    if fmt == "BinarySI" and (-1024 < value < 1024 or value.denominator != 1):
        fmt = "DecimalSI"
    if fmt == "BinarySI":
        mantissa, power = int(value), 0
        while mantissa % 1024 == 0 and power < 6:
            mantissa //= 1024
            power += 1
        return f"{mantissa}{_BINARY_SUFFIX.get(power, '')}"
    mantissa_fraction, exponent = value, 0
    while exponent < 18 and mantissa_fraction % 1000 == 0:
        mantissa_fraction /= 1000
        exponent += 3
    while mantissa_fraction.denominator != 1:
        mantissa_fraction *= 1000
        exponent -= 3
    mantissa = int(mantissa_fraction)
    if fmt == "DecimalExponent":
        return f"{mantissa}e{exponent}" if exponent else str(mantissa)
    return f"{mantissa}{_DECIMAL_SUFFIX[exponent]}"
