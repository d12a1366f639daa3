"""The header a profile may write: found when it can be believed, never a record."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from hypothesis import given
from hypothesis import strategies as st

from ikou.pipeline.examples.housing import ledger_sheet, make_ledger
from ikou.pipeline.stages.extract.header import data_shape, read_header
from ikou.pipeline.twin import profile_files
from tests.conftest import REALFILES, shared_folder


def _records(seed: int, count: int) -> list[list[Any]]:
    """Tenant-like records made by Faker ja_JP: the cells a leak would carry."""
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    rows = []
    for i in range(count):
        rows.append(
            [
                f"{100000 + seed * 100 + i:06d}",
                fake.last_name() + fake.random_element(("", " ", "\u3000")) + fake.first_name(),
                fake.last_kana_name() + " " + fake.first_kana_name(),
                fake.date_of_birth(minimum_age=20, maximum_age=90),
                fake.phone_number(),
                fake.address(),
                fake.random_element(("男", "女")),
                float(fake.random_int(10, 90) * 1000),
                fake.random_element(("", "要確認", "滞納あり", fake.word())),
            ]
        )
    return rows


def _values(rows: list[list[Any]]) -> set[str]:
    return {str(v).strip() for row in rows for v in row if v not in (None, "")}


@given(seed=st.integers(0, 10_000), count=st.integers(2, 40), title=st.booleans())
def test_records_without_a_header_never_become_names(seed: int, count: int, title: bool) -> None:
    rows = _records(seed, count)
    grid: list[list[Any]] = [["台帳", *[None] * 8]] if title else []
    grid += [[str(v) if isinstance(v, dt.date) else v for v in r] for r in rows]
    header = read_header(grid)
    written = {n for i, n in enumerate(header.names) if i not in header.withheld}
    assert written.isdisjoint(_values(rows))


@given(seed=st.integers(0, 10_000), count=st.integers(3, 40))
def test_records_as_text_below_a_sparse_two_row_header_never_become_names(
    seed: int, count: int
) -> None:
    """A CSV holds every cell as text, and a record has more cells than either
    row of a header written over two rows."""
    rows = [["" if v is None else str(v) for v in r] for r in _records(seed, count)]
    grid = [
        ["入居者番号", "入居者", "", "", "連絡先", "", "", "", ""],
        ["", "氏名", "フリガナ", "生年月日", "電話番号", "住所", "", "家賃", ""],
        *rows,
    ]
    header = read_header(grid)
    written = {n for i, n in enumerate(header.names) if i not in header.withheld}
    assert written.isdisjoint(_values(rows))
    assert header.row in (0, 1)


def test_the_housing_ledgers_header_is_found_under_its_titles() -> None:
    sheet = ledger_sheet(make_ledger(80, 3))
    merged = [(r, first, r, last) for r, first, last in sheet.merges]
    header = read_header([list(r) for r in sheet.rows], merged=merged)
    assert header.row == 3 and header.rows == (2, 3) and header.withheld == ()
    assert header.names[:3] == ("入居者/入居者番号", "入居者/氏名", "入居者/フリガナ")
    assert header.names[-1] == "備考"  # right of the merged 家賃・世帯: under no group
    # without the merges (a CSV), a group takes the names right of it
    assert read_header([list(r) for r in sheet.rows]).names[-1] == "家賃・世帯/備考"


def test_an_explicit_header_row_withholds_cells_that_look_like_data() -> None:
    grid = [["番号", "雀野 太郎", "090-8765-4321", 1999.0, "備考"], ["1", "a", "b", 3.0, "c"]]
    header = read_header(grid, 1)
    assert header.names == ("番号", "B", "C", "D", "備考")
    assert "columns B, C, D look like data" in header.note


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        ("078-411-0556", "phone"),
        ("658-0013", "postal code"),
        ("神戸市東灘区深江北町2-4-1", "address"),
        ("雀野 太郎", "person's name"),
        ("H7.11.29", "date"),
        ("#VALUE!", "excel error"),
        (dt.date(1995, 11, 29), "date"),
        (45000.0, "number"),
        ("氏　名", None),
        ("電話番号", None),
        ("１年", None),
        ("校  \u3000\u3000名", None),
    ],
)
def test_data_shapes(value: object, shape: str | None) -> None:
    assert data_shape(value) == shape


# The public offices' files where the old guess (most text cells among the
# first 30 rows) took a record, a data row or an error row for the header.
REAL_CASES = [
    ("kobe_okunaihinanjo_cp932.csv", "", ["0001", "東灘", "東灘小学校", "078-411-0556"]),
    ("kobe_25keizaikeisann.xls", "13-14年度", ["①", "食料品", "…"]),
    ("npa_2018_12.xls", "年齢免許（P19）", ["15歳以下"]),
    ("kobe_zaisei2014.xlsx", "データシート", ["#VALUE!", "その他会計（赤字）", "#N/A"]),
]


@pytest.mark.parametrize(("name", "sheet", "values"), REAL_CASES, ids=[c[0] for c in REAL_CASES])
def test_real_files_whose_first_rows_look_like_data(
    name: str, sheet: str, values: list[str]
) -> None:
    path: Path = shared_folder(REALFILES) / name
    profile = profile_files([path])
    found = next(s for s in profile["files"][0]["sheets"] if s["name"] == sheet)
    names = {c["name"] for c in found["columns"]}
    assert names and names.isdisjoint(values)


def test_every_real_file_profiles_and_names_no_column_with_data() -> None:
    """All 19 public offices' files profile (the write-protected one too, opened
    with Excel's built-in password in memory), and no name written looks like data."""
    folder = shared_folder(REALFILES)
    files = sorted(p for p in folder.iterdir() if p.suffix in (".xls", ".xlsx", ".csv"))
    assert len(files) == 19
    for path in files:
        profile = profile_files([path])
        for sheet in profile["files"][0]["sheets"]:
            letters = set(sheet.get("named_by_letter", ()))
            for column in sheet["columns"]:
                if column["name"] and column["name"] not in letters:
                    assert data_shape(column["name"]) is None, (path.name, sheet["name"])
