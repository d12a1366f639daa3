"""Transforms: each notation to one value, or a precise reason; never an exception."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mappings.transforms import REGISTRY, apply_transform, check_args

D = dt.date


def run(name: str, values: list[object], **args: object) -> tuple[list[object], list[object]]:
    result = apply_transform(name, pd.Series(values, dtype=object), check_args(name, args))
    return result.values.tolist(), result.reasons.tolist()


@pytest.mark.parametrize(
    "text",
    [
        "平成22年10月7日",
        "H22.10.7",
        "H22/10/7",
        "H22-10-07",
        "h22.10.7",
        "平22.10.7",
        "H.22.10.7",
        "Ｈ２２．１０．７",
        " H22.10.7 ",
        "2010/10/7",
        "2010-10-07",
        "2010年10月7日",
        "20101007",
    ],
)
def test_date_notations(text: str) -> None:
    assert run("date", [text]) == ([D(2010, 10, 7)], [None])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("S64.1.8", "out_of_era"),
        ("H31.5.1", "out_of_era"),
        ("平成32年1月1日", "out_of_era"),
        ("H22.2.30", "invalid"),
        ("M5.12.31", "pre_gregorian"),
        ("H22.10", "partial"),
        ("22.10.7", "unparseable"),
        ("相談中", "unparseable"),
    ],
)
def test_date_rejections(text: str, reason: str) -> None:
    assert run("date", [text]) == ([None], [reason])


def test_date_era_boundaries_and_gannen() -> None:
    values, reasons = run("date", ["平成元年1月8日", "昭和64年1月7日", "令和元年5月1日", "R1.4.30"])
    assert values[:3] == [D(1989, 1, 8), D(1989, 1, 7), D(2019, 5, 1)]
    assert reasons == [None, None, None, "out_of_era"]


def test_date_options() -> None:
    assert run("date", ["22.10.7"], default_era="H")[0] == [D(2010, 10, 7)]
    assert run("date", ["S64.1.8"], lenient_era=True)[0] == [D(1989, 1, 8)]
    assert run("date", ["H22.10"], precision="month")[0] == [D(2010, 10, 1)]
    assert run("date", [40458.0], excel_serial=1900)[0] == [D(2010, 10, 7)]
    assert run("date", [60.0], excel_serial=1900)[1] == ["invalid"]  # phantom 1900-02-29
    assert run("date", [0.0], excel_serial=1904)[0] == [D(1904, 1, 1)]
    assert run("date", [dt.datetime(2010, 10, 7, 13, 5)])[0] == [D(2010, 10, 7)]


def test_date_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown era"):
        check_args("date", {"default_era": "X"})
    with pytest.raises(ValueError, match="1900 or 1904"):
        check_args("date", {"excel_serial": 1901})
    with pytest.raises(ValueError, match="has no argument"):
        check_args("date", {"era": "H"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (45000.0, 45000),
        ("45,000", 45000),
        ("４５，０００", 45000),
        ("45000円", 45000),
        ("¥45,000", 45000),
        ("￥４５０００", 45000),
        ("△1,200", -1200),
        ("-300", -300),
    ],
)
def test_yen(value: object, expected: int) -> None:
    assert run("yen", [value]) == ([expected], [None])


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("相談中", "not_a_number"),
        ("4,50,00", "not_a_number"),
        (True, "not_a_number"),
        (1.5, "not_integral"),
        ("12.5", "not_integral"),
    ],
)
def test_yen_rejections(value: object, reason: str) -> None:
    assert run("yen", [value]) == ([None], [reason])


def test_decimal_scale_rejects_rather_than_rounds() -> None:
    assert run("decimal", ["1,234.50"], scale=2) == ([Decimal("1234.50")], [None])
    assert run("decimal", ["1.234"], scale=2) == ([None], ["too_precise"])


def test_text_transforms() -> None:
    assert run("strip", ["\u3000山田 太郎 ", "   "])[0] == ["山田 太郎", None]
    assert run("digits_only", ["０９０-１２３４-５６７８", "なし"]) == (
        ["09012345678", None],
        [None, "no_digits"],
    )
    assert run("zero_pad", ["123", "1234567"], width=6) == (["000123", None], [None, "too_long"])
    assert run("text", [123.0, 1.5])[0] == ["123", "1.5"]
    assert run("katakana_fullwidth", ["ﾔﾏﾀﾞ ﾀﾛｳ"])[0] == ["ヤマダ タロウ"]


def test_nfkc_keeps_kanji_that_nfkc_would_rewrite() -> None:
    names = ["髙橋", "山﨑", "\ufa10田", "𠮷野", "①"]
    values, _ = run("nfkc", names)
    assert values[:4] == names[:4]  # 塚 U+FA10 would become U+585A under plain NFKC
    assert run("nfkc", ["ＡＢＣ１２３"])[0] == ["ABC123"]


def test_code_map_and_boolean() -> None:
    assert run("code_map", ["1", "２", "9"], codes={"1": "男性", "2": "女性"}) == (
        ["男性", "女性", None],
        [None, None, "unmapped"],
    )
    assert run("boolean", ["○", "×", "有", "maybe", True])[0] == [True, False, True, None, True]


def test_nulls_pass_through_untouched() -> None:
    for name in ("strip", "nfkc", "yen", "date", "digits_only"):
        assert run(name, [None]) == ([None], [None])


cell_values = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=D(1, 1, 1)),
    st.decimals(allow_nan=False, allow_infinity=False),
)


@pytest.mark.parametrize("name", sorted(n for n in REGISTRY if n not in ("zero_pad", "code_map")))
@given(values=st.lists(cell_values, max_size=15))
def test_never_raises_and_never_unexpected(name: str, values: list[object]) -> None:
    result = apply_transform(name, pd.Series(values, dtype=object), check_args(name, {}))
    assert len(result.values) == len(values)
    assert "unexpected" not in set(result.reasons.dropna())
    for value, reason in zip(result.values, result.reasons, strict=True):
        assert value is None or reason is None


@given(st.dates(min_value=D(1873, 1, 1), max_value=D(2099, 12, 31)))
def test_every_era_rendering_round_trips(day: dt.date) -> None:
    from mappings.dates import ERAS

    era = [e for e in ERAS if e.start <= day][-1]
    year = day.year - era.offset
    for text in (
        f"{era.kanji}{year}年{day.month}月{day.day}日",
        f"{era.letter}{year}.{day.month}.{day.day}",
    ):
        assert run("date", [text])[0] == [day]
