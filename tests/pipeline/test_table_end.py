"""Where a table ends (issue 23, items 8 and 9): stacked tables, footnotes,
``until:``, ``title:`` and the built-in ``totals`` skip rule. Workbooks are
made here by code (Faker ja_JP, seeded); the public offices' files are read
from ../shared/realfiles when present."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from faker import Faker
from pydantic import ValidationError

from ikou.mappings.engine import map_table
from ikou.mappings.spec import SkipRule, TableMapping
from ikou.mappings.summary import footnote_text, total_label
from ikou.pipeline.plan import SourceSpec
from ikou.pipeline.run import rehearse
from ikou.pipeline.stages.extract import open_source
from ikou.pipeline.stages.extract.extent import Extent, table_extent
from ikou.pipeline.stages.extract.grid import table_from_grid
from tests.conftest import REALFILES, shared_folder, write_files

WARDS = ["東灘区", "灘区", "中央区", "兵庫区", "北区", "長田区", "須磨区", "垂水区", "西区"]


def _rec(i: int) -> list[Any]:
    return [i, "氏名", 100 + i, 200 + i]


HEAD = ["番号", "氏名", "人口", "世帯"]


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        # blank, a lone title, a new header and its records: a second table
        ([[None], ["表2 区別人口"], ["区", "人口", "世帯"], ["東灘", 1, 2]], (5, 0, 4)),
        # a total, a blank row and a note over two lines
        ([["＊合計＊", None, 5, 6], [None], ["※ 注記"], ["　続きの行"]], (6, 3, 0)),
        # notes right under the records, then another table
        (
            [["※ 注記"], ["　続き"], [None], ["表2"], ["区", "人口", "世帯"], ["灘", 3, 4]],
            (5, 2, 4),
        ),
        # a section row followed by records goes on with the table
        ([[None], ["都心地域"], _rec(7), _rec(8)], (9, 0, 0)),
        # the header repeated after a page break goes on with the table
        ([[None], HEAD, _rec(7)], (8, 0, 0)),
        # a short summary line after a blank row is not a record
        ([[None], [None, None, None, 335]], (5, 0, 2)),
        # notes starting a) 1) 注 資料： and a web address
        (
            [["a) 注記"], ["1) 注記"], ["注1 注記"], ["資料：総務省"], ["https://example.jp/"]],
            (5, 5, 0),
        ),
    ],
)
def test_where_a_table_ends(tail: list[list[Any]], expected: tuple[int, int, int]) -> None:
    body = [_rec(i) for i in range(5)] + tail
    assert table_extent(body, HEAD) == Extent(*expected)


def test_a_table_that_never_pauses_is_never_cut() -> None:
    body = [["山田"], ["*鈴木"], ["※"]]  # one cell a row: a title cannot be told from a record
    assert table_extent(body) == Extent(3, 0, 0)
    body = [[i, f"{i}番", i * 2] for i in range(50)]
    assert table_extent(body, ["a", "b", "c"]) == Extent(50, 0, 0)


def test_labels_of_totals_and_notes() -> None:
    for label in ("小計", "合計", "総計", "計", "＊合計＊", "＊東灘区計＊", "灘 区 計", "東灘区計"):
        assert total_label(label), label
    for other in ("設計", "会計", "統計", "時計", "山田 太郎", "計画", "白川字不計", None, 12):
        assert not total_label(other), other
    assert total_label("前年５月", declared=["前年5月"]) and not total_label("前年５月")
    for note in ("※ 注", "* 1", "a) 値", "(注) x", "注1 x", "資料：x", "出典: x", "http://x"):
        assert footnote_text(note), note
    for other in ("注文書", "山田", "資料室", "12"):
        assert not footnote_text(other), other


def _stacked_book(path: Path, seed: int = 7) -> tuple[int, int]:
    """A sheet as an office lays one out: a title, table 1 (wards), a total row,
    a note, then table 2 (ages) under its own title and header, and its notes."""
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "人口"
    sheet.append(["表1 区別人口（令和6年9月末現在）"])
    sheet.append(["区", "人口", "世帯", "備考"])
    for ward in WARDS:
        sheet.append([ward, fake.random_int(10_000, 200_000), fake.random_int(5_000, 90_000)])
    sheet.append(["＊東灘区計＊", 1, 2])
    sheet.append(["灘 区 計", 3, 4])
    sheet.append(["＊合計＊", 5, 6])
    sheet.append(["※ 人口は住民基本台帳による。"])
    sheet.append([])
    sheet.append(["表2 年齢別人口"])
    sheet.append(["年齢", "男", "女", "備考"])
    ages = 0
    for age in range(0, 100, 5):
        sheet.append([f"{age}～{age + 4}歳", fake.random_int(0, 9_000), fake.random_int(0, 9_000)])
        ages += 1
    sheet.append(["a) 外国人住民を含む。"])
    sheet.append(["資料：市民局"])
    book.save(path)
    return len(WARDS), ages


CONTRACT = """\
contract: people
version: 1
tables:
  wards:
    primary_key: ward
    columns:
      ward: {type: string, required: true}
      people: {type: integer, required: true}
      homes: {type: integer}
  ages:
    primary_key: band
    columns:
      band: {type: string, required: true}
      men: {type: integer, required: true}
      women: {type: integer, required: true}
"""


def _plan(folder: Path, wards_skip: str, ages_source: str) -> Path:
    plan = (
        "plan: stacked\nmapping: mapping.yaml\ncontract: contract.yaml\nsources:\n"
        "  wards: {rehearsal: data/people.xlsx}\n"
        f"  ages: {{rehearsal: data/people.xlsx, {ages_source}}}\n"
    )
    mapping = (
        "mapping: stacked\ntables:\n"
        "  wards:\n    source: wards\n"
        f"    skip: {wards_skip}\n"
        "    columns:\n      ward: {from: 区}\n      people: {from: 人口, transforms: [integer]}\n"
        "      homes: {from: 世帯, transforms: [integer]}\n    controls: [count]\n"
        "  ages:\n    source: ages\n"
        "    columns:\n      band: {from: 年齢}\n      men: {from: 男, transforms: [integer]}\n"
        "      women: {from: 女, transforms: [integer]}\n    controls: [count]\n"
    )
    write_files(folder, {"plan.yaml": plan, "mapping.yaml": mapping, "contract.yaml": CONTRACT})
    return folder / "plan.yaml"


def test_stacked_tables_each_load_only_their_own_rows(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    wards, ages = _stacked_book(tmp_path / "data" / "people.xlsx")
    result = rehearse(_plan(tmp_path, "[totals]", "title: 表2"))
    tables = result.report.data["tables"]
    assert result.report.status == "reconciled", tables
    first, second = tables["wards"], tables["ages"]
    assert first["loaded"] == wards and first["rejected"] == 0
    # the three total rows, the note, and everything from the blank row on
    after = 1 + 1 + 1 + ages + 2
    assert first["skipped_by_rule"] == {"totals": 3, "footnote": 1, "after_table": after}
    assert first["source_rows"] == wards + 3 + 1 + after
    assert second["loaded"] == ages and second["rejected"] == 0
    assert second["skipped_by_rule"] == {"footnote": 2}
    # the report says where: the rows after the table's end, by range, in words
    end = 2 + wards + 3 + 1  # the header's row, the records, the totals, the note
    place = {"file": "data/people.xlsx", "sheet": "人口", "spans": [[end + 1, end + after]]}
    assert first["skipped_where"]["after_table"] == [place]
    page = result.report_html.read_text("utf-8")
    assert "表の終わりより後の行" in page and "表の下の注記" in page and "合計・小計の行" in page
    assert f"行 {end + 1}–{end + after}" in page


def test_until_ends_a_table_where_the_mapping_says(tmp_path: Path) -> None:
    """``until:`` cuts a table whose end no blank row marks: here the totals."""
    (tmp_path / "data").mkdir()
    wards, ages = _stacked_book(tmp_path / "data" / "people.xlsx")
    plan = _plan(tmp_path, "[]", "title: 表2")
    mapping = tmp_path / "mapping.yaml"
    text = mapping.read_text("utf-8").replace(
        "    skip: []\n", "    skip: []\n    until: {column: 区, matches: '計'}\n"
    )
    mapping.write_text(text, "utf-8")
    tables = rehearse(plan).report.data["tables"]
    assert tables["wards"]["loaded"] == wards
    # the note under the totals is still a footnote: the extract stage marks it first
    assert tables["wards"]["skipped_by_rule"] == {
        "after_table": 3 + 1 + 1 + 1 + ages + 2,
        "footnote": 1,
    }


def test_a_missing_title_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    _stacked_book(tmp_path / "data" / "people.xlsx")
    grid = dict(open_source(tmp_path / "data" / "people.xlsx", "people.xlsx",
                            SourceSpec(rehearsal="x")).grids)["人口"]  # fmt: skip
    with pytest.raises(Exception, match="holds the title '表9'"):
        table_from_grid(grid, header_row="auto", wanted=["年齢"], file="people.xlsx",
                        sheet="人口", title="表9")  # fmt: skip
    with pytest.raises(ValidationError, match="title: picks a table for header_row: auto"):
        SourceSpec(rehearsal="x", header_row=3, title="表2")


def test_skip_rule_kinds_and_reserved_names() -> None:
    assert SkipRule.model_validate("totals") == SkipRule(name="totals", totals=True)
    with pytest.raises(ValidationError, match="go with 'totals: true'"):
        SkipRule.model_validate({"name": "x", "blank": True, "labels": ["内訳"]})
    with pytest.raises(ValidationError, match="one of 'blank: true'"):
        SkipRule.model_validate({"name": "x", "blank": True, "totals": True})
    with pytest.raises(ValidationError, match="ikou's own skip name"):
        TableMapping.model_validate(
            {
                "source": "s",
                "skip": [{"name": "footnote", "blank": True}],
                "columns": {"x": {"from": "x"}},
            }
        )


def test_totals_read_the_first_text_cell_and_the_offices_labels() -> None:
    raw = pd.DataFrame(
        {
            "no": [1, None, 2, None, None, 3],
            "label": ["山田", "＊東灘区計＊", "設計事務所", "前年５月", "会計", "灘 区 計"],
            "n": [1, 2, 3, 4, 5, 6],
        },
        dtype=object,
    )
    spec = TableMapping.model_validate(
        {
            "source": "s",
            "skip": [{"name": "totals", "totals": True, "labels": ["前年5月"]}],
            "columns": {"n": {"from": "n"}},
        }
    )
    mapped = map_table(raw, table="t", source="s", spec=spec, kinds={"n": "string"})
    assert sorted(mapped.skipped.index) == [1, 3, 5]


def test_marks_come_before_every_rule() -> None:
    raw = pd.DataFrame({"x": ["a", None, "b"]}, dtype=object)
    spec = TableMapping.model_validate(
        {"source": "s", "skip": [{"name": "blank", "blank": True}], "columns": {"x": {"from": "x"}}}
    )
    marks = pd.Series([None, "footnote", "after_table"], dtype=object)
    mapped = map_table(raw, table="t", source="s", spec=spec, kinds={"x": "string"}, marks=marks)
    assert mapped.skipped.to_dict() == {1: "footnote", 2: "after_table"}


def test_extent_is_linear_on_a_long_ledger_with_pauses() -> None:
    """Not a timing: the decision per pause reads a bounded window, so a
    200,000-row ledger with a blank row every 100 records keeps every row."""
    rows = np.array(
        [[i, "氏名", "住所", 1000 + i] if i % 101 else [None] * 4 for i in range(1, 200_001)],
        dtype=object,
    )
    assert table_extent(rows, ["a", "b", "c", "d"]) == Extent(200_000, 0, 0)


# --- the public offices' files (../shared/realfiles) ---------------------------


def _real_grid(name: str, sheet: str) -> Any:
    path = shared_folder(REALFILES) / name
    return dict(open_source(path, name, SourceSpec(rehearsal=name), every_sheet=True).grids)[sheet]


def test_real_stacked_tables_and_footnotes() -> None:
    # kobe_jinkou: the population table ends at row 29; 《人口動態》 follows
    grid = _real_grid("kobe_jinkou2210-2312.xls", "H22.10月")
    table = table_from_grid(grid, header_row=7, wanted=["{column: A}"], file="f", sheet="s")
    last = max(r for r, m in zip(table.rows, table.marks, strict=True) if m is None)
    assert last == 29 and table.marks[-1] == "after_table"
    # npa: 注１ and its two continuation lines under the table are footnotes
    grid = _real_grid("npa_2018_12.xls", "人口(P4)")
    table = table_from_grid(grid, header_row=4, wanted=["{column: A}"], file="f", sheet="s")
    assert [r for r, m in zip(table.rows, table.marks, strict=True) if m] == [27, 28, 29]
    assert set(table.marks[-3:]) == {"footnote"}
    # kobe_H25jichikai: one block per survey question, stacked
    grid = _real_grid("kobe_H25jichikai.xls", "問11.")
    table = table_from_grid(grid, header_row=2, wanted=["{column: A}"], file="f", sheet="s")
    assert table.marks.count("after_table") == len(table.rows) - 20


def test_real_totals_rows_of_kobe_zensi_are_skipped() -> None:
    path = shared_folder(REALFILES) / "kobe_zensi2706.xls"
    grids = open_source(path, path.name, SourceSpec(rehearsal=path.name), every_sheet=True).grids
    labels = [
        v for _, grid in grids for row in grid for v in row[:6] if isinstance(v, str) and "計" in v
    ]
    found = {label.strip() for label in labels if total_label(label)}
    assert {"＊合計＊", "＊東灘区計＊", "＊支所計＊"} <= found
    assert "白川字不計" not in found  # a town in 須磨区, not a total


def test_the_second_table_of_a_real_sheet_loads_only_its_own_rows(tmp_path: Path) -> None:
    """kobe_jinkou2210-2312.xls, sheet H22.10月: the population by ward (rows
    7–29), then 《 人 口 動 態 Population Change 》 and its table (rows 32–50),
    then the notes and a third block. ``title: 人口動態`` reads the second."""
    source = shared_folder(REALFILES) / "kobe_jinkou2210-2312.xls"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / source.name).write_bytes(source.read_bytes())
    plan = (
        "plan: jinkou\nmapping: mapping.yaml\ncontract: contract.yaml\nsources:\n"
        f"  movement: {{rehearsal: data/{source.name}, sheets: [H22.10月], title: 人口動態}}\n"
    )
    mapping = (
        "mapping: jinkou\ntables:\n  movement:\n    source: movement\n"
        "    skip: [{name: english_names, column: 出生, matches: '^Births$'}]\n"
        "    columns:\n      label: {from: {column: A}, transforms: [width, spaces]}\n"
        "      births: {from: 出生, transforms: [integer]}\n"
        "      deaths: {from: 死亡, transforms: [integer]}\n"
        "    controls: [count, {sum: births}]\n"
    )
    contract = (
        "contract: jinkou\nversion: 1\ntables:\n  movement:\n    primary_key: label\n"
        "    columns:\n      label: {type: string, required: true}\n"
        "      births: {type: integer, required: true}\n"
        "      deaths: {type: integer, required: true}\n"
    )
    write_files(tmp_path, {"plan.yaml": plan, "mapping.yaml": mapping, "contract.yaml": contract})
    result = rehearse(tmp_path / "plan.yaml")
    table = result.report.data["tables"]["movement"]
    assert result.report.status == "reconciled"
    assert (table["loaded"], table["rejected"]) == (16, 0)
    assert table["skipped_by_rule"] == {"english_names": 1, "footnote": 4, "after_table": 10}


def test_ledger_totals_name_the_built_in_rule(tmp_path: Path) -> None:
    """A ledger total with ``rows: totals`` reconciles the rows the built-in
    rule finds (＊東灘区計＊ after each ward's block); the ＊合計＊ at the end,
    which covers the file, is taken first by a rule of its own."""
    fake = Faker("ja_JP")
    fake.seed_instance(11)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["区", "町名", "人口"])
    grand = 0
    for ward in WARDS[:3]:
        block = 0
        for number in range(4):
            people = fake.random_int(100, 5_000)
            sheet.append([ward, f"{ward}{number + 1}丁目", people])
            block += people
        sheet.append([f"＊{ward}計＊", None, block])
        grand += block
    sheet.append(["＊合計＊", None, grand])
    (tmp_path / "data").mkdir()
    book.save(tmp_path / "data" / "towns.xlsx")
    plan = (
        "plan: towns\nmapping: mapping.yaml\ncontract: contract.yaml\nsources:\n"
        "  towns: {rehearsal: data/towns.xlsx}\n"
    )
    mapping = (
        "mapping: towns\ntables:\n  towns:\n    source: towns\n"
        "    skip: [{name: grand, column: 区, matches: '合計'}, totals]\n"
        "    totals:\n      - {name: ward_total, rows: totals, covers: block, columns: [people]}\n"
        "      - {name: grand_total, rows: grand, covers: file, columns: [people]}\n"
        "    columns:\n      town: {from: 町名}\n      people: {from: 人口, transforms: [integer]}\n"
        "    controls: [count, {sum: people}]\n"
    )
    contract = (
        "contract: towns\nversion: 1\ntables:\n  towns:\n    primary_key: town\n"
        "    columns:\n      town: {type: string, required: true}\n"
        "      people: {type: integer, required: true}\n"
    )
    write_files(tmp_path, {"plan.yaml": plan, "mapping.yaml": mapping, "contract.yaml": contract})
    result = rehearse(tmp_path / "plan.yaml")
    table = result.report.data["tables"]["towns"]
    assert result.report.status == "reconciled", table
    assert table["loaded"] == 12 and table["skipped_by_rule"] == {"grand": 1, "totals": 3}
    assert [(t["name"], t["status"]) for t in table["totals"]] == [("ward_total", "holds")] * 3 + [
        ("grand_total", "holds")
    ]


def test_the_profile_lists_every_table_it_saw(tmp_path: Path) -> None:
    """A profile names each stacked table by its rows (never its text); the
    one under the header it believes is profiled in detail."""
    from ikou.pipeline.twin import profile_files

    wards, ages = _stacked_book(tmp_path / "people.xlsx")
    sheet = profile_files([tmp_path / "people.xlsx"])["files"][0]["sheets"][0]
    first, second = sheet["tables"]
    assert first["header_rows"] == [2] and first["records"] == wards + 3
    assert first["footnotes"] == 1
    header = 2 + wards + 3 + 1 + 1 + 2  # the note, the blank row, the title
    assert second == {
        "header_rows": [header],
        "rows": [header + 1, header + ages],
        "records": ages,
        "footnotes": 2,
    }
    # the detector believes the lower header (a stacked table's records stand
    # above it), so that table is profiled in detail; nothing lies past its end
    assert sheet["header_row"] == header and sheet["data_rows"] == ages
    assert "rows_after_table" not in sheet


def test_the_profile_lists_the_tables_of_a_real_sheet() -> None:
    from ikou.pipeline.twin import profile_files

    path = shared_folder(REALFILES) / "kobe_jinkou2210-2312.xls"
    sheets = {s["name"]: s for s in profile_files([path])["files"][0]["sheets"]}
    tables = sheets["H22.10月"]["tables"]
    assert [t["rows"] for t in tables] == [[8, 29], [35, 50]]
