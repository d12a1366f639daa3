"""Contact data: phone numbers checked against the numbering plan; postal codes."""

from __future__ import annotations

import pytest

from tests.mappings.support import one, reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("042-393-5111", "042-393-5111"),
        ("042(393)5111", "042-393-5111"),
        ("０４２－３９３－５１１１", "042-393-5111"),
        ("０４２（３９３）５１１１", "042-393-5111"),
        ("0423935111", "042-393-5111"),
        ("042 393 5111", "042-393-5111"),
        ("03-1234-5678", "03-1234-5678"),
        ("0312345678", "03-1234-5678"),
        ("09012345678", "090-1234-5678"),
        ("0992123456", "099-212-3456"),
        ("0120123456", "0120-123-456"),
        ("+81 42-393-5111", "042-393-5111"),
    ],
)
def test_phone(value: str, expected: str) -> None:
    assert one("phone", value) == expected


@pytest.mark.parametrize(
    "value",
    ["123", "042-393-511", "TEL 042-393-5111", "0423935111（自宅）", "4239351111", "", "なし"],
)
def test_phone_invalid(value: str) -> None:
    assert reason("phone", value) == "phone.invalid"


def test_phone_number_cells_and_formats() -> None:
    assert reason("phone", 423935111.0) == "phone.invalid"  # the 0 is gone: not guessed
    assert one("phone", 423935111.0, restore_zero=True) == "042-393-5111"
    assert one("phone", "042-393-5111", format="e164") == "+81423935111"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("〒189-0014", "189-0014"),
        ("189-0014", "189-0014"),
        ("1890014", "189-0014"),
        ("１８９－００１４", "189-0014"),
        ("〒１８９ー００１４", "189-0014"),
        ("〒 189-0014", "189-0014"),
        (1890014.0, "189-0014"),
        (600001.0, "060-0001"),  # the leading 0 a number cell lost
    ],
)
def test_postal_code(value: object, expected: str) -> None:
    assert one("postal_code", value) == expected


@pytest.mark.parametrize("value", ["189-001", "18900145", "189-00145", "〒", "東京都", 12345.0])
def test_postal_code_invalid(value: object) -> None:
    assert reason("postal_code", value) == "postal_code.invalid"
