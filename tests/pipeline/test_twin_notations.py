"""Dates as offices write them, through a profile and a twin: fiscal years
(昭和55年度, H27年度, 2015年度), dates with 現在, era year-months, bare years.

A workbook built by code is profiled (its notations kept, no value), a twin
is made from the profile, and every cell of the twin is read by ikou's own
transforms (``fiscal_year``, ``date`` at the column's precision)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import xlwt
import yaml
from faker import Faker
from openpyxl import Workbook

from ikou.mappings.dates import date, fiscal_year
from ikou.mappings.registry import Reject
from ikou.pipeline.plan import SourceSpec
from ikou.pipeline.stages.extract import open_source
from ikou.pipeline.twin import profile_files, synthesize

HEADER = ["区名", "年度", "年度H", "西暦年度", "調査日", "年月", "開設年", "件数", "調査年"]
ERA_FISCAL = ("昭和55年度", "昭和63年度", "平成元年度", "平成27年度", "令和元年度", "令和３年度")
DATED = {"年度": "fiscal_year", "年度H": "fiscal_year", "西暦年度": "fiscal_year"}
PRECISION = {"調査日": "day", "年月": "month", "開設年": "year", "調査年": "year"}
DATES = [name for name in HEADER if name in DATED or name in PRECISION]


def _records(count: int, seed: int) -> list[list[Any]]:
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        heisei = rng.randint(2, 30)
        month = rng.randint(1, 12)
        rows.append(
            [
                fake.town(),
                rng.choice(ERA_FISCAL),
                f"H{rng.randint(2, 30)}年度",
                f"{rng.randint(1980, 2020)}年度",
                f"令和{rng.randint(2, 5)}年{month}月{rng.randint(1, 28)}日"
                + rng.choice(("現在", "現在", "時点")),
                rng.choice((f"平成{heisei}年{month}月".translate(_WIDE), f"H{heisei}.{month}月")),
                float(rng.randint(1955, 2015)),
                float(rng.randint(1200, 2000)),  # a count, not a year: no year word over it
                f"{rng.randint(1920, 2020)}年",
            ]
        )
    return rows


_WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


def _write(path: Path, rows: list[list[Any]]) -> None:
    grid = [["令和6年4月1日現在　施設調べ"], [], HEADER, *rows]
    if path.suffix == ".xlsx":
        book = Workbook()
        sheet = book.active
        sheet.title = "施設"
        for row in grid:
            sheet.append(row)
        book.save(path)
        return
    xls = xlwt.Workbook(encoding="utf-8")
    ws = xls.add_sheet("施設")
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    xls.save(str(path))


def _columns(path: Path) -> dict[str, list[Any]]:
    """The twin's cells under its header, by column name, read as a rehearsal reads them."""
    spec = SourceSpec(rehearsal=path.name, format="auto")
    ((_, grid),) = open_source(path, path.name, spec, every_sheet=True).grids
    head = next(i for i, row in enumerate(grid) if list(row[:2]) == HEADER[:2])
    assert list(grid[head][: len(HEADER)]) == HEADER
    return {
        name: [row[c] for row in grid[head + 1 :] if c < len(row) and row[c] not in (None, "")]
        for c, name in enumerate(HEADER)
    }


def _reads(value: Any, name: str) -> bool:
    try:
        if name in DATED:
            fiscal_year(value)
        else:
            date(value, precision=PRECISION[name])
    except Reject:
        return False
    return True


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_office_dates_are_profiled_by_notation_and_twinned(tmp_path: Path, suffix: str) -> None:
    original = tmp_path / f"facilities{suffix}"
    rows = _records(60, 7)
    _write(original, rows)
    profile = profile_files([original])
    (sheet,) = profile["files"][0]["sheets"]
    columns = {c["name"]: c for c in sheet["columns"]}
    assert sheet["header_row"] == 3 and list(columns) == HEADER
    assert columns["年度"]["semantic"] == "fiscal_year"
    assert columns["年度"]["forms"] == {"fiscal_era_kanji": 1.0}
    assert columns["年度H"]["forms"] == {"fiscal_era_letter": 1.0}
    assert columns["西暦年度"]["forms"] == {"fiscal_greg": 1.0}
    assert columns["年度"]["years"] == {"min": 1980, "max": 2025}  # rounded to five
    assert columns["調査日"]["semantic"] == "date" and "precision" not in columns["調査日"]
    assert set(columns["調査日"]["as_of"]) == {"現在", "時点"}
    assert columns["年月"]["precision"] == "month"
    assert set(columns["年月"]["forms"]) == {"era_kanji_month", "era_letter_month"}
    assert columns["年月"]["fullwidth_share"] > 0.2
    assert (columns["開設年"]["semantic"], columns["開設年"]["precision"]) == ("date", "year")
    assert columns["件数"]["semantic"] == "number"  # 1,200-2,000 under 件数 is no year
    assert columns["調査年"]["forms"] == {"greg_kanji_year": 1.0}
    assert columns["調査年"]["precision"] == "year"
    text = yaml.safe_dump(profile, allow_unicode=True)
    leaked = {v for row in rows for v in row if isinstance(v, str) and v in text}
    assert leaked == set()  # notations and rounded years, never a value

    (twin,) = synthesize(profile, tmp_path / "twin", rows=40, seed=3)
    cells = _columns(twin)
    for name in DATES:
        unread = [v for v in cells[name] if not _reads(v, name)]
        assert cells[name] and unread == [], name
    again = {c["name"]: c for c in profile_files([twin])["files"][0]["sheets"][0]["columns"]}
    assert again["件数"]["semantic"] == "number"
    for name in DATES:
        first, second = columns[name], again[name]
        assert second["semantic"] == first["semantic"], name
        assert second.get("precision") == first.get("precision"), name
        assert set(second["forms"]) == set(first["forms"]), name
        assert set(second.get("as_of", {})) == set(first.get("as_of", {})), name
        low, high = first["years"]["min"], first["years"]["max"]
        assert low <= second["years"]["min"] <= second["years"]["max"] <= high, name
    assert any(v.endswith("時点") for v in cells["調査日"])


@pytest.mark.parametrize(
    ("header", "values", "semantic"),
    [
        ("開設年", [1961.0, 1975.0, 2003.0], "date"),
        ("供用開始年", ["1961", "1965", "2010"], "date"),
        ("建築年（西暦）", [1971.0, 1999.0, "－"], "date"),
        ("開設年度", [1988.0, 2015.0, 2019.0], "fiscal_year"),
        ("年", [1990.0, 2000.0, 2010.0], "date"),
        ("世帯数", [1980.0, 2011.0, 1954.0], "number"),  # in range, but no year word: counts
        ("件数", [1200.0, 1500.0, 2000.0], "number"),
        ("１年", [1990.0, 2001.0, 2050.0], "number"),  # １年 is a school year, not a year
        ("開設年", [1961.0, 1975.0, 2200.0], "number"),  # 2200: not every one is a year
        ("開設年", [1961.5, 1975.0, 2003.0], "number"),
    ],
)
def test_a_column_of_bare_years_needs_a_year_word_over_it(
    tmp_path: Path, header: str, values: list[Any], semantic: str
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["番号", header])
    for i, value in enumerate(values * 4):
        sheet.append([f"{i + 1:03d}", value])
    book.save(tmp_path / "years.xlsx")
    (column,) = profile_files([tmp_path / "years.xlsx"])["files"][0]["sheets"][0]["columns"][1:]
    assert column["semantic"] == semantic
    assert (column.get("precision") == "year") == (semantic == "date")
