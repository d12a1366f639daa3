"""Headers over several rows (issue 23): group cells, columns named by path, by
their last cell or by letter, and one reader and one header detector shared by
profile, synth and rehearse. Workbooks are made here by code from Faker ja_JP;
the public offices' files are read from ../shared/realfiles when present."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import xlwt
import yaml
from faker import Faker
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ikou.errors import HeaderNotFoundError
from ikou.mappings.spec import ColumnMapping, column_ref
from ikou.mappings.summary import total_label
from ikou.pipeline.plan import SourceSpec
from ikou.pipeline.run import rehearse
from ikou.pipeline.stages.extract import open_source
from ikou.pipeline.stages.extract.grid import header_key, table_from_grid
from ikou.pipeline.stages.extract.header import read_header
from ikou.pipeline.stages.extract.readers import read_csv, read_xls
from ikou.pipeline.twin import profile_files, synthesize
from ikou.pipeline.twin.specials import label_template
from tests.conftest import REALFILES, run_ikou, shared_folder, write_files

# Row 3 holds the groups, row 4 the names under them (as kobe_children's sheets do).
GROUPS = ["学校調査番号", "校  名", "学　級　数", None, None, "児　童　数", None, None, "備考"]
NAMES = [None, None, "計", "１年", "２年", "計", "１年", "２年", None]
MERGES = [(0, 0, 0, 8), (2, 2, 0, 0), (2, 3, 1, 1), (2, 2, 2, 4), (2, 2, 5, 7), (2, 3, 8, 8)]
# (first row, last row, first column, last column), as xlwt's write_merge takes them;
# 学校調査番号 is written over both rows without a merge, 校名 merged down them.


def _records(count: int, seed: int) -> list[list[Any]]:
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    rows = []
    for i in range(count):
        first, second = fake.random_int(1, 6), fake.random_int(1, 6)
        pupils = [fake.random_int(20, 40) * first, fake.random_int(20, 40) * second]
        rows.append(
            [
                f"{100 + i:04d}",
                fake.city() + "小学校",
                float(first + second),
                float(first),
                float(second),
                float(sum(pupils)),
                float(pupils[0]),
                float(pupils[1]),
                fake.random_element((None, None, None, "分校あり")),
            ]
        )
    return rows


def _two_row_book(path: Path, count: int = 40, seed: int = 23) -> list[list[Any]]:
    """An .xls whose header is rows 3–4, group cells merged over their columns."""
    records = _records(count, seed)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("小学校")
    anchors = {(r1, c1): (r1, r2, c1, c2) for r1, r2, c1, c2 in MERGES}
    header = {(0, 0): "令和6年5月1日現在　市立小学校　児童数、学級数"}
    header |= {(2, c): v for c, v in enumerate(GROUPS) if v}
    header |= {(3, c): v for c, v in enumerate(NAMES) if v}
    covered = {
        (r, c)
        for r1, r2, c1, c2 in MERGES
        for r in range(r1, r2 + 1)
        for c in range(c1, c2 + 1)
        if (r, c) != (r1, c1)
    }
    for (r, c), text in header.items():
        if (r, c) in anchors:
            sheet.write_merge(*anchors[(r, c)], text)
        elif (r, c) not in covered:
            sheet.write(r, c, text)
    for r, record in enumerate(records, start=4):
        for c, value in enumerate(record):
            if value is not None:
                sheet.write(r, c, value)
    book.save(str(path))
    return records


def _grid(path: Path) -> Any:
    ((_, grid),) = read_xls(path.read_bytes(), path.name, None)
    return grid


def _table(grid: Any, wanted: list[str], header_row: Any = "auto") -> Any:
    return table_from_grid(grid, header_row=header_row, wanted=wanted, file="f.xls", sheet="s")


def test_auto_finds_a_two_row_header_with_merged_group_cells(tmp_path: Path) -> None:
    records = _two_row_book(tmp_path / "schools.xls")
    table = _table(_grid(tmp_path / "schools.xls"), ["学級数/計", "児童数/計", "校名"])
    assert table.header_rows == (3, 4) and table.header_row == 4
    assert table.rows[0] == 5 and len(table.rows) == len(records)
    assert table.columns["学級数/計"] == [r[2] for r in records]
    assert table.columns["児童数/計"] == [r[5] for r in records]
    assert table.columns["校名"] == [r[1] for r in records]  # merged over both rows: once
    others = set(table.frame.columns) - {"学級数/計", "児童数/計", "校名"}
    assert {"学校調査番号", "学級数/1年", "児童数/2年", "備考"} <= others


def test_columns_by_path_by_unique_last_cell_and_by_letter(tmp_path: Path) -> None:
    records = _two_row_book(tmp_path / "schools.xls")
    wanted = ["学 級 数 / １年", "備考", "{column: G}", "学校調査番号"]
    table = _table(_grid(tmp_path / "schools.xls"), wanted)
    assert table.columns["学 級 数 / １年"] == [r[3] for r in records]  # NFKC, no spaces
    assert table.columns["備考"] == [r[8] for r in records]  # its last cell, unique
    assert table.columns["{column: G}"] == [r[6] for r in records]  # 児童数/１年
    assert table.columns["学校調査番号"] == [r[0] for r in records]
    both = _table(_grid(tmp_path / "schools.xls"), ["児童数/計", "{column: F}"])
    assert both.columns["児童数/計"] == both.columns["{column: F}"]  # one column, two names


def test_a_csv_group_cell_spans_the_blanks_right_of_it() -> None:
    """No merges in a CSV: a group cell takes the blanks to its right while
    names stand under them; a name with nothing under it is no group."""
    text = "番号,災害ごとの注意事項,,,家賃,\r\n,土砂災害,洪水,津波,,備考\r\n1,○,×,○,100,\r\n"
    ((_, grid),) = read_csv(text.encode("cp932"), "a.csv", "auto", ",")
    table = _table(grid, ["災害ごとの注意事項/洪水", "津波", "家賃", "備考", "番号"])
    assert table.header_rows == (1, 2) and table.rows == [3]
    assert table.columns["災害ごとの注意事項/洪水"] == ["×"]
    assert table.columns["家賃"] == ["100"] and table.columns["備考"] == [None]


def test_an_explicit_header_over_rows_3_and_4(tmp_path: Path) -> None:
    records = _two_row_book(tmp_path / "schools.xls")
    grid = _grid(tmp_path / "schools.xls")
    table = _table(grid, ["児童数/２年", "校名"], header_row=(3, 4))
    assert table.header_rows == (3, 4) and table.columns["児童数/２年"] == [r[7] for r in records]
    with pytest.raises(HeaderNotFoundError, match=r"no column '児童数/２年' in header row 4;"):
        _table(grid, ["児童数/２年"], header_row=4)  # one row alone has no paths
    assert SourceSpec(rehearsal="x", header_row=[3, 4]).header_row == (3, 4)
    for wrong in ([3, 5], [1, 2, 3, 4], [0, 1], []):
        with pytest.raises(ValidationError, match="one to three consecutive rows"):
            SourceSpec(rehearsal="x", header_row=wrong)


def test_a_column_by_letter_in_the_mapping() -> None:
    assert ColumnMapping.model_validate({"from": {"column": "AA"}}).source == ("{column: AA}",)
    assert column_ref("{column: AA}") == 26 and column_ref("{column: A}") == 0
    assert column_ref("学級数/計") is None
    for wrong, said in (
        ({"column": "aa"}, "letter as Excel shows it"),
        ({"column": 3}, "letter as Excel shows it"),
        ({"column": True}, "in quotes"),
        ({"col": "A"}, "written {column: N}"),
    ):
        with pytest.raises(ValidationError, match=said):
            ColumnMapping.model_validate({"from": wrong})


CONTRACT = """\
contract: schools
version: 1
tables:
  schools:
    primary_key: code
    columns:
      code: {type: string, required: true}
      name: {type: string}
      classes: {type: integer}
      pupils: {type: integer}
      first_year: {type: integer}
      note: {type: string}
"""

MAPPING = """\
mapping: schools
tables:
  schools:
    source: schools
    columns:
      code: {from: 学校調査番号}
      name: {from: 校名}
      classes: {from: 学級数/計, transforms: [integer]}
      pupils: {from: PUPILS, transforms: [integer]}
      first_year: {from: {column: G}, transforms: [integer]}
      note: {from: 備考}
    controls: [count]
"""


def _plan(folder: Path, pupils: str = "児童数/計", header_row: str = "auto") -> Path:
    plan = (
        "plan: headers-test\nmapping: mapping.yaml\ncontract: contract.yaml\n"
        f"sources:\n  schools:\n    rehearsal: data/schools.xls\n    header_row: {header_row}\n"
    )
    mapping = MAPPING.replace("PUPILS", pupils)
    write_files(folder, {"plan.yaml": plan, "mapping.yaml": mapping, "contract.yaml": CONTRACT})
    return folder / "plan.yaml"


def test_an_ambiguous_name_is_exit_2_listing_each_paths_letter(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    _two_row_book(tmp_path / "data" / "schools.xls")
    done = run_ikou("rehearse", str(_plan(tmp_path, pupils="計")), timeout=180)
    assert done.returncode == 2, done.stdout + done.stderr
    said = done.stdout + done.stderr
    assert "'計'" in said and "学級数/計 (column C)" in said and "児童数/計 (column F)" in said
    assert "{column: C}" in said and "copy" not in said


def test_profile_synth_rehearse_round_trip_runs_the_originals_plan(tmp_path: Path) -> None:
    """A twin made from the profile of a two-row-header workbook fits the plan
    written for the workbook itself, unchanged."""
    (tmp_path / "data").mkdir()
    original = tmp_path / "data" / "schools.xls"
    records = _two_row_book(original, count=60)
    plan = _plan(tmp_path)
    first = rehearse(plan)
    assert first.report.status == "reconciled"
    assert first.report.data["tables"]["schools"]["loaded"] == len(records)

    profile = profile_files([original])
    (sheet,) = profile["files"][0]["sheets"]
    assert sheet["header_rows"] == [3, 4] and "header_note" not in sheet
    names = [c["name"] for c in sheet["columns"]]
    assert names == [
        "学校調査番号", "校名", "学級数/計", "学級数/1年", "学級数/2年",
        "児童数/計", "児童数/1年", "児童数/2年", "備考",
    ]  # fmt: skip
    text = yaml.safe_dump(profile, allow_unicode=True)
    assert not [v for r in records for v in r if isinstance(v, str) and v in text]

    plan.write_text(plan.read_text("utf-8") + "workspace: twin-work\n", "utf-8")
    original.unlink()
    synthesize(profile, original.parent, seed=7)
    twin = rehearse(plan)
    assert twin.report.status == "reconciled"
    assert twin.report.data["tables"]["schools"]["loaded"] == sheet["data_rows"]
    grid = _grid(original)
    assert set(grid.merged) >= {(2, 2, 2, 4), (2, 5, 2, 7), (2, 1, 3, 1)}  # group cells merged
    assert read_header(grid).names == tuple(names)  # profile and rehearse name alike


def test_profile_writes_a_numeric_header_cell_as_rehearse_names_it() -> None:
    grid: list[list[Any]] = [
        ["路線番号", "区分", 2005.0, 1999.0],
        ["1201", "北", 53664.0, 57737.0],
        ["1020", "西", 22145.0, 26102.0],
        ["11", "東", 4.0, 12.0],
    ]
    header = read_header(grid)
    assert header.names == ("路線番号", "区分", "2005", "1999")  # as kobe_trafficrec's
    # a year over a column still empty in the first rows does not refuse its row
    emptier = [[*row, 1971.0 if r == 0 else None] for r, row in enumerate(grid)]
    assert read_header(emptier).names == ("路線番号", "区分", "2005", "1999", "E")
    table = table_from_grid(grid, header_row="auto", wanted=["1999"], file="f", sheet=None)
    assert table.columns["1999"] == [57737.0, 26102.0, 12.0]
    # a year over years is a record, not a name
    years = [["番号", "生年"], ["番号", 1999.0], ["1", 1985.0], ["2", 1990.0]]
    assert read_header(years[1:]).row is None


# --- the public offices' files (../shared/realfiles) ---------------------------


def _real(name: str) -> Path:
    return shared_folder(REALFILES) / name


def _grids(path: Path) -> dict[str, Any]:
    spec = SourceSpec(rehearsal=path.name, format="csv" if path.suffix == ".csv" else "auto")
    return dict(open_source(path, path.name, spec, every_sheet=True).grids)


def _repeated_header(row: list[Any], header: list[list[Any]]) -> bool:
    """A row that repeats the header (a stacked table's own): names, not values."""
    cells = [(c, header_key(v)) for c, v in enumerate(row) if isinstance(v, str) and v.strip()]
    same = [c for c, key in cells if any(c < len(h) and header_key(h[c]) == key for h in header)]
    return len(same) >= 2 and 2 * len(same) >= len(cells)


def _texts(node: Any) -> set[str]:
    """Every text a profile holds (keys and values), whole, and each part of a
    column's path, in the form headers are compared in."""
    if isinstance(node, dict):
        return set().union(*(_texts(k) | _texts(v) for k, v in node.items()))
    if isinstance(node, list):
        return set().union(*map(_texts, node))
    if isinstance(node, str):
        return {header_key(node), *(header_key(part) for part in node.split("/"))}
    return set()


def _structural(text: str) -> bool:
    """A total's label with no name in it (小計, ＊合計＊, 合　　計): structure, not a value."""
    return total_label(text) and label_template(text) == text.strip()


def test_every_real_file_profiles_and_no_profile_holds_a_value(tmp_path: Path) -> None:
    """``ikou profile`` exits 0 on the 19 files, and no text cell of four or more
    characters below a profiled header (or anywhere, when none was found) is
    written into the profile, read through the same reader."""
    folder = shared_folder(REALFILES)
    files = sorted(p for p in folder.iterdir() if p.suffix in (".xls", ".xlsx", ".csv"))
    assert len(files) == 19
    out = tmp_path / "profile.yaml"
    done = run_ikou("profile", *map(str, files), "-o", str(out), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    profile = yaml.safe_load(out.read_text("utf-8"))
    found = 0
    for path, described in zip(files, profile["files"], strict=True):
        grids = _grids(path)
        for sheet in described["sheets"]:
            grid = grids[sheet["name"]]
            last = sheet["header_row"] or 0
            top = (sheet.get("header_rows") or [last or 1])[0] - 1
            header = [list(r) for r in grid[top:last]]
            found += sheet["header_row"] is not None
            written = _texts(sheet)
            for r, row in enumerate(grid[last:], start=last + 1):
                if _repeated_header(list(row), header):
                    continue
                texts = [v for v in row if isinstance(v, str) and len(v.strip()) >= 4]
                for key in {header_key(v) for v in texts if not _structural(v)}:
                    assert key not in written, (path.name, sheet["name"], r)
    assert found >= 150  # of 196 sheets, a header is believed in most


def test_profile_opens_the_write_protected_workbook() -> None:
    """kobe_zaisei2010.xls opens with Excel's built-in password, in memory, as a
    rehearsal opens it; its hidden data sheet is profiled too."""
    profile = profile_files([_real("kobe_zaisei2010.xls")])
    sheets = {s["name"]: s for s in profile["files"][0]["sheets"]}
    assert profile["files"][0]["format"] == "xls"
    assert sheets["データシート"]["hidden"] is True


def test_synth_writes_the_merged_two_row_headers_of_kobe_children(tmp_path: Path) -> None:
    path = _real("kobe_children20140501.xls")
    profile = profile_files([path])
    (twin,) = synthesize(profile, tmp_path / "twin", rows=20, seed=3)
    wanted = ["学級数/計", "児童数/計", "校名", "学校調査番号"]
    real = _table(_grids(path)["小児童"], wanted)
    copy = _table(_grids(twin)["小児童"], wanted)
    assert real.header_rows == copy.header_rows == (3, 4)
    named = [c for c in real.frame.columns if not re.fullmatch(r"\([A-Z]+\)", c)]
    assert named == [c for c in copy.frame.columns if not re.fullmatch(r"\([A-Z]+\)", c)]
    assert "学級数/1年" in named and "(再掲)男女別/計" in named


def test_real_repeated_sub_headers_are_named_by_path_or_letter() -> None:
    grid = _grids(_real("kobe_children20140501.xls"))["小児童"]
    with pytest.raises(HeaderNotFoundError) as caught:
        _table(grid, ["計"])
    said = str(caught.value)
    assert "学級数/計 (column D)" in said and "児童数/計 (column M)" in said
    assert "copy" not in said
    table = _table(grid, ["学級数/計", "{column: M}"])
    assert table.header_rows == (3, 4)
    csv = _grids(_real("kobe_okunaihinanjo_cp932.csv"))[""]
    assert _table(csv, ["津波", "名称"]).header_row == 2  # 津波 under 災害ごとの注意事項
    waste = _grids(_real("kobe_nendobetu.xls"))["Ｓ55～（収集量）"]
    assert _table(waste, ["家庭系ごみ/燃えるごみ（可燃系）", "大型ごみ"]).header_rows == (2, 3)


@given(seed=st.integers(0, 10_000), holes=st.integers(0, 6))
def test_records_right_above_a_two_row_header_never_join_it(seed: int, holes: int) -> None:
    """A stacked table's last records sit right above the next header: the
    group-row test must not take one for the header's group cells, even with
    empty cells in it, as text (a CSV) or as cells."""
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    records = [
        [fake.last_name() + fake.first_name(), fake.city(), fake.word(), fake.town(), fake.word()]
        for _ in range(3)
    ]
    for i in range(holes):
        records[-1][(seed + i * 3) % 4 + 1] = ""  # empty cells right of the last record's name
    grid: list[list[Any]] = [
        *records,
        ["番号", "児童数", "", "学級数", ""],
        ["", "計", "１年", "計", "１年"],
        *[[str(n), float(n * 30), float(n * 5), float(n), float(n)] for n in range(1, 9)],
    ]
    header = read_header(grid)
    written = {part for name in header.names for part in name.split("/")}
    assert written.isdisjoint({v for r in records for v in r if v})
