"""Numbers: every way a ledger writes an amount, and text that is not one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.mappings.support import one, reason, run


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (45000.0, 45000),
        (45000, 45000),
        ("45000", 45000),
        ("45,000", 45000),
        ("４５，０００", 45000),
        ("4５,000", 45000),
        (" 45 000 ", 45000),
        ("+45", 45),
        ("-300", -300),
        ("−300", -300),
        ("－３００", -300),
        ("▲300", -300),
        ("△1,200", -1200),
        ("(1,200)", -1200),
        ("（１，２００）", -1200),
    ],
)
def test_integer(value: object, expected: int) -> None:
    assert one("integer", value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("45000円", 45000),
        ("¥45,000", 45000),
        ("￥４５０００", 45000),
        ("\\45,000", 45000),
        ("△1,200円", -1200),
        ("▲￥1,200", -1200),
        ("(1,200円)", -1200),
        ("-¥300", -300),
    ],
)
def test_yen(value: object, expected: int) -> None:
    assert one("yen", value) == expected


@pytest.mark.parametrize(
    ("name", "value", "slug"),
    [
        ("yen", "相談中", "yen.not_a_number"),
        ("yen", "4,50,00", "yen.not_a_number"),
        ("yen", "", "yen.not_a_number"),
        ("yen", True, "yen.not_a_number"),
        ("yen", float("inf"), "yen.not_a_number"),
        ("yen", 1.5, "yen.not_integral"),
        ("yen", "12.5", "yen.not_integral"),
        ("integer", "45000円", "integer.not_a_number"),  # 円 is yen's, not integer's
        ("integer", "ー3", "integer.not_a_number"),  # a long-vowel mark is not a minus
        ("integer", "1,2", "integer.not_a_number"),
        ("integer", "(1,200", "integer.not_a_number"),
        ("integer", "約100", "integer.not_a_number"),
    ],
)
def test_numeric_rejections(name: str, value: object, slug: str) -> None:
    assert reason(name, value) == slug


def test_decimal() -> None:
    assert one("decimal", "1,234.50", scale=2) == Decimal("1234.50")
    assert one("decimal", "１２．５") == Decimal("12.5")
    assert one("decimal", 0.1) == Decimal("0.1")  # the float's shortest repr, not its binary
    assert one("decimal", "▲0.5") == Decimal("-0.5")
    assert reason("decimal", "1.234", scale=2) == "decimal.too_precise"
    assert reason("decimal", Decimal("Infinity")) == "decimal.not_a_number"


def test_zero_pad_restores_zeros_a_number_cell_lost() -> None:
    assert run("zero_pad", [103.0, "103", 1234567.0], width=6) == (
        ["000103", "000103", None],
        [None, None, "zero_pad.too_long"],
    )
