"""Dates: every era and Gregorian notation a ledger holds, exact era boundaries."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ikou.mappings.dates import ERAS
from tests.mappings.support import notes, one, reason, run

D = dt.date


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
        "平成２２年１０月７日",
        " H22.10.7 ",
        "平成 22年 10月 7日",
        "平成22年10月7日\u3000",
        "2010/10/7",
        "2010-10-07",
        "2010.10.7",
        "2010年10月7日",
        "20101007",
        "２０１０／１０／０７",
    ],
)
def test_date_notations(text: str) -> None:
    assert one("date", text) == D(2010, 10, 7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("平成元年1月8日", D(1989, 1, 8)),
        ("H元.1.8", D(1989, 1, 8)),
        ("令和元年5月1日", D(2019, 5, 1)),
        ("明治6年1月1日", D(1873, 1, 1)),
        ("M45.7.29", D(1912, 7, 29)),
        ("大正元年7月30日", D(1912, 7, 30)),
        ("T15.12.24", D(1926, 12, 24)),
        ("昭和元年12月25日", D(1926, 12, 25)),
        ("S64.1.7", D(1989, 1, 7)),
        ("H31.4.30", D(2019, 4, 30)),
        ("R1.5.1", D(2019, 5, 1)),
        ("明45.7.29", D(1912, 7, 29)),
        ("大1.7.30", D(1912, 7, 30)),
        ("昭1.12.25", D(1926, 12, 25)),
        ("令1.5.1", D(2019, 5, 1)),
    ],
)
def test_era_boundaries_are_exact(text: str, expected: dt.date) -> None:
    assert one("date", text) == expected


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("S64.1.8", "wareki.out_of_era"),  # Heisei began on 8 January 1989
        ("H31.5.1", "wareki.out_of_era"),
        ("平成32年1月1日", "wareki.out_of_era"),
        ("平成32年", "wareki.out_of_era"),  # out of its era whatever the precision
        ("M45.7.30", "wareki.out_of_era"),
        ("T15.12.25", "wareki.out_of_era"),
        ("R1.4.30", "wareki.out_of_era"),
        ("H1.1.7", "wareki.out_of_era"),
        ("M5.12.31", "wareki.pre_gregorian"),
        ("明治5年", "wareki.pre_gregorian"),
        ("H0.1.1", "date.invalid"),
        ("H22.2.30", "date.invalid"),
        ("2010年2月30日", "date.invalid"),
        ("2010/13/1", "date.invalid"),
        ("H22.10", "date.partial"),
        ("平成22年", "date.partial"),
        ("2010年10月", "date.partial"),
        ("22.10.7", "date.unparseable"),  # no era and no default_era
        ("相談中", "date.unparseable"),
        ("", "date.unparseable"),
        ("H22..7", "date.unparseable"),
        (True, "date.unparseable"),
        (40458.0, "date.unparseable"),  # a number is a date only under excel_serial
    ],
)
def test_date_rejections(text: object, slug: str) -> None:
    assert reason("date", text) == slug


def test_lenient_era_converts_and_notes() -> None:
    values, reasons = run("date", ["S64.1.8", "H31.5.1", "H22.10.7"], lenient_era=True)
    assert values == [D(1989, 1, 8), D(2019, 5, 1), D(2010, 10, 7)]
    assert reasons == [None, None, None]
    assert notes("date", ["S64.1.8", "H22.10.7"], lenient_era=True) == [
        "wareki.out_of_era",
        None,
    ]
    assert reason("date", "M5.12.31", lenient_era=True) == "wareki.pre_gregorian"


def test_precision() -> None:
    assert one("date", "H22.10", precision="month") == D(2010, 10, 1)
    assert one("date", "平成22年", precision="year") == D(2010, 1, 1)
    assert one("date", "平成元年", precision="year") == D(1989, 1, 1)  # the year touches Heisei
    assert one("date", "2010年10月", precision="month") == D(2010, 10, 1)
    assert reason("date", "平成22年", precision="month") == "date.partial"
    assert one("date", "H22.10.7", precision="year") == D(2010, 10, 7)


def test_default_era() -> None:
    assert one("date", "22.10.7", default_era="H") == D(2010, 10, 7)
    assert one("date", "22.10.7", default_era="heisei") == D(2010, 10, 7)
    assert one("date", "２２．１０．７", default_era="平成") == D(2010, 10, 7)
    assert reason("date", "32.1.1", default_era="H") == "wareki.out_of_era"


def test_excel_cells_and_serials() -> None:
    assert one("date", dt.datetime(2010, 10, 7, 13, 5)) == D(2010, 10, 7)
    assert one("date", D(2010, 10, 7)) == D(2010, 10, 7)
    assert one("date", 40458.0, excel_serial=1900) == D(2010, 10, 7)
    assert one("date", 40458.75, excel_serial=1900) == D(2010, 10, 7)  # time of day dropped
    assert one("date", 1, excel_serial=1900) == D(1900, 1, 1)
    assert one("date", 59, excel_serial=1900) == D(1900, 2, 28)
    assert reason("date", 60, excel_serial=1900) == "date.invalid"  # the phantom 1900-02-29
    assert one("date", 61, excel_serial=1900) == D(1900, 3, 1)
    assert one("date", 0.0, excel_serial=1904) == D(1904, 1, 1)
    assert one("date", 38996, excel_serial=1904) == D(2010, 10, 7)
    assert reason("date", -1, excel_serial=1900) == "date.unparseable"


def _era_of(day: dt.date):
    return [e for e in ERAS if e.start <= day][-1]


def _renderings(day: dt.date) -> list[str]:
    """``day`` in every notation the issue lists, era and Gregorian."""
    era = _era_of(day)
    y = day.year - era.offset
    year = "元" if y == 1 else str(y)
    m, d = day.month, day.day
    full = str.maketrans("0123456789", "０１２３４５６７８９")
    forms = [
        f"{era.kanji}{year}年{m}月{d}日",
        f"{era.kanji} {year}年 {m}月 {d}日",
        f"{era.kanji}{y}年{m}月{d}日".translate(full),
        f"{era.letter}{y}.{m}.{d}",
        f"{era.letter}{y}/{m}/{d}",
        f"{era.letter}{y:02d}-{m:02d}-{d:02d}",
        f"{era.letter.lower()}{y}.{m}.{d}",
        f"{era.kanji[0]}{y}.{m}.{d}",
        f"{era.letter}.{y}.{m}.{d}",
        f"{era.letter}{year}.{m}.{d}",
        f"{day.year}/{m}/{d}",
        f"{day.year}-{m:02d}-{d:02d}",
        f"{day.year}年{m}月{d}日",
        f"{day.year}{m:02d}{d:02d}",
        f"{day.year}.{m}.{d}",
    ]
    return forms


@given(st.dates(min_value=D(1873, 1, 1), max_value=D(2100, 12, 31)))
def test_every_date_in_every_notation_parses_back(day: dt.date) -> None:
    texts = _renderings(day)
    values, reasons = run("date", texts)
    assert reasons == [None] * len(texts)
    assert values == [day] * len(texts)


@given(st.dates(min_value=D(1900, 3, 1), max_value=D(2100, 12, 31)))
def test_every_excel_serial_parses_back(day: dt.date) -> None:
    serial_1900 = (day - D(1899, 12, 30)).days
    serial_1904 = (day - D(1904, 1, 1)).days
    assert one("date", float(serial_1900), excel_serial=1900) == day
    if serial_1904 >= 0:
        assert one("date", serial_1904, excel_serial=1904) == day
