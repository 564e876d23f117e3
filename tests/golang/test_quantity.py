"""One quantity implementation for the apiserver's canonical form and kyverno's arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chainsaw_py.golang.quantity import (
    DECIMAL_EXPONENT,
    DECIMAL_SI,
    QuantityError,
    canonical_quantity,
    format_quantity,
    parse,
)


@pytest.mark.parametrize(("text", "canonical"), [
    ("1000m", "1"), ("1024Mi", "1Gi"), ("0.5", "500m"), ("1000", "1k"), ("1.5Gi", "1536Mi"), ("129e6", "129e6"),
    ("1E", "1E"), ("-1.5", "-1500m"), ("0.0000000001", "1n"),
    # Go's suffixer has nothing above E: the canonical mantissa is printed alone (resource.Quantity.String())
    ("1000E", "1"), ("10000E", "10"),
])
def test_canonical_form_is_gos(text: str, canonical: str) -> None:
    assert canonical_quantity(text) == canonical
    parsed = parse(text)
    assert parsed is not None and str(parsed) == canonical


def test_exponent_format_keeps_large_exponents() -> None:
    assert format_quantity(Decimal("1e21"), DECIMAL_EXPONENT) == "1e21"
    assert format_quantity(Decimal("1e21"), DECIMAL_SI) == "1"


@pytest.mark.parametrize("text", ["", "abc", ".", "1.2.3", "1kb"])
def test_not_quantities(text: str) -> None:
    assert parse(text) is None
    with pytest.raises(QuantityError):
        canonical_quantity(text)
