"""The report says how each source file was opened, and every duplicate names
the rows it collides with (issue 23, item 10). Workbooks are made here by code
(Faker ja_JP, seeded), encrypted in memory by msoffcrypto-tool."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from faker import Faker
from markupsafe import escape

from ikou.pipeline.report.collisions import SHOWN, collision_facts, places_said, same_key_as
from ikou.pipeline.report.labels import LABELS
from ikou.pipeline.run import rehearse
from ikou.pipeline.stages.extract import RawTable
from ikou.pipeline.stages.extract.decrypt import EXCEL_DEFAULT_PASSWORD
from tests.conftest import write_files

CONTRACT = """\
contract: ledger
version: 1
tables:
  tenants:
    primary_key: tenant_id
    columns:
      tenant_id: {type: string, required: true}
      name: {type: string}
"""

MAPPING = """\
mapping: ledger
tables:
  tenants:
    source: ledger
    DUPLICATES
    columns:
      tenant_id: {from: 番号, transforms: [text]}
      name: {from: 氏名}
"""


def _book(sheets: dict[str, list[str]], seed: int = 10) -> bytes:
    """An .xlsx with a sheet per entry: a header (番号, 氏名), then a row per key."""
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, keys in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append(["番号", "氏名"])
        for key in keys:
            sheet.append([key, fake.name()])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _encrypt(plain: bytes, password: str) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt(password, out)
    return out.getvalue()


def _plan(folder: Path, pattern: str, *, sheets: str = "", duplicates: str = "") -> Path:
    plan = (
        "plan: item-10\nmapping: mapping.yaml\ncontract: contract.yaml\n"
        f"sources:\n  ledger:\n    rehearsal: {pattern}\n{sheets}"
        "    password_env: IKOU_TEST_LEDGER_PW\n"
    )
    mapping = MAPPING.replace("DUPLICATES", duplicates or "# duplicates: reject_all")
    write_files(folder, {"plan.yaml": plan, "mapping.yaml": mapping, "contract.yaml": CONTRACT})
    return folder / "plan.yaml"


# --- (a) how each file was opened ----------------------------------------------


def test_the_report_says_how_each_source_file_was_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "ledger1.xlsx").write_bytes(_book({"台帳": ["A001", "A002"]}))
    (data / "ledger2.xlsx").write_bytes(_encrypt(_book({"台帳": ["B001"]}), "合言葉-2026"))
    protected = _encrypt(_book({"台帳": ["C001", "C002"]}), EXCEL_DEFAULT_PASSWORD)
    (data / "ledger3.xlsx").write_bytes(protected)  # saved write-protected: Excel's own password
    monkeypatch.setenv("IKOU_TEST_LEDGER_PW", "合言葉-2026")
    plan = _plan(tmp_path, "data/ledger*.xlsx")
    english = rehearse(plan, lang="en")
    assert english.report.status == "reconciled"
    files = english.report.data["sources"]["ledger"]["files"]
    assert [(f["name"], f["opened"]) for f in files] == [
        ("data/ledger1.xlsx", "plain"),
        ("data/ledger2.xlsx", "password"),
        ("data/ledger3.xlsx", "default"),
    ]
    html = english.report_html.read_text("utf-8")
    sources = html.split(f"<h2>{LABELS['en']['sources']}</h2>", 1)[1].split("</table>", 1)[0]
    for how in ("plain", "password", "default"):
        assert str(escape(LABELS["en"][f"opened_{how}"])) in sources, how
    japanese = rehearse(plan, lang="ja").report_html.read_text("utf-8")
    sources = japanese.split(f"<h2>{LABELS['ja']['sources']}</h2>", 1)[1].split("</table>", 1)[0]
    assert LABELS["ja"]["opened"] in sources
    assert [sources.count(LABELS["ja"][f"opened_{how}"]) for how in ("plain", "default")] == [1, 1]
    assert LABELS["ja"]["opened_password"] in sources
    assert "合言葉-2026" not in html + japanese


# --- (b) a duplicate names the rows it collides with ----------------------------

KEYS_2013 = ["K-7301", "K-7302", "K-7303", "K-7301", "K-7304"]  # 7301: rows 2 and 5
KEYS_2014 = ["K-7302", *["K-7399"] * 9]  # 7302 again (row 2); 7399 nine times (rows 3–11)


@pytest.fixture
def duplicates_plan(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "ledger.xlsx").write_bytes(_book({"2013": KEYS_2013, "2014": KEYS_2014}))
    return _plan(tmp_path, "data/ledger.xlsx", sheets="    sheets: ['2013', '2014']\n")


def _collides(report: dict[str, Any], sheet: str, row: int) -> list[dict[str, Any]]:
    (place,) = [
        p for p in report["tables"]["tenants"]["rejects"] if (p["sheet"], p["row"]) == (sheet, row)
    ]
    return place["collides"]


def _at(sheet: str, *rows: int) -> list[dict[str, Any]]:
    return [{"file": "data/ledger.xlsx", "sheet": sheet, "row": r} for r in rows]


def test_every_duplicate_names_the_rows_it_collides_with(duplicates_plan: Path) -> None:
    result = rehearse(duplicates_plan, lang="en")
    report = result.report.data
    table = report["tables"]["tenants"]
    assert table["rejects_by_reason"] == {"tenant_id.duplicate": 2 + 2 + 9}
    assert all("collides" in p for p in table["rejects"])  # every one of them
    slug = "tenant_id.duplicate"
    assert _collides(report, "2013", 2) == [{"slug": slug, "with": _at("2013", 5), "more": 0}]
    assert _collides(report, "2014", 2) == [{"slug": slug, "with": _at("2013", 3), "more": 0}]
    nine = _collides(report, "2014", 7)[0]  # one of nine: five named, three counted
    assert nine["with"] == _at("2014", 3, 4, 5, 6, 8) and nine["more"] == 3
    last = _collides(report, "2014", 11)[0]
    assert last["with"] == _at("2014", 3, 4, 5, 6, 7) and last["more"] == 3
    groups = {(g["rows"][0]["sheet"], g["rows"][0]["row"]): g for g in table["duplicate_groups"]}
    assert sorted(groups) == [("2013", 2), ("2013", 3), ("2014", 3)]
    assert groups[("2014", 3)]["size"] == 9 and len(groups[("2014", 3)]["rows"]) == 6
    assert groups[("2013", 3)]["rows"] == [*_at("2013", 3), *_at("2014", 2)]

    html = result.report_html.read_text("utf-8")
    assert "rows 2, 5 of sheet 2013 in data/ledger.xlsx" in html
    assert "row 3 of sheet 2013 in data/ledger.xlsx; row 2 of sheet 2014 in data/ledger.xlsx" in (
        html
    )
    assert "rows 3, 4, 5, 6, 7, 8 of sheet 2014 in data/ledger.xlsx and 3 more rows" in html
    worklist = _worklist(result.run_dir)
    assert worklist[("2013", "2")].endswith("(same key as row 5 of sheet 2013 in data/ledger.xlsx)")
    assert worklist[("2014", "11")].endswith(
        "(same key as rows 3, 4, 5, 6, 7 of sheet 2014 in data/ledger.xlsx, and 3 more)"
    )
    every = html + json.dumps(report, ensure_ascii=False) + "".join(worklist.values())
    assert not any(key in every for key in {*KEYS_2013, *KEYS_2014})  # positions, never a key


def test_the_japanese_report_and_worklist_name_the_same_rows(duplicates_plan: Path) -> None:
    result = rehearse(duplicates_plan, lang="ja")
    html = result.report_html.read_text("utf-8")
    assert LABELS["ja"]["same_key_groups"].format(n=3) in html
    assert "data/ledger.xlsx のシート 2013 の 2・5 行目" in html
    assert "data/ledger.xlsx のシート 2014 の 3・4・5・6・7・8 行目 ほか 3 行" in html
    worklist = _worklist(result.run_dir)
    assert worklist[("2013", "5")].endswith(
        "（data/ledger.xlsx のシート 2013 の 2 行目と同じキー）"
    )
    assert worklist[("2014", "3")].endswith(
        "（data/ledger.xlsx のシート 2014 の 4・5・6・7・8 行目と同じキー（ほか 3 行））"
    )


def test_under_keep_first_the_later_copies_name_the_loaded_one(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    keys = ["K-1", "K-2", "K-1", "K-3", "K-1"]  # K-1 at rows 2, 4 and 6
    (tmp_path / "data" / "ledger.xlsx").write_bytes(_book({"台帳": keys}))
    plan = _plan(tmp_path, "data/ledger.xlsx", duplicates="duplicates: keep_first")
    result = rehearse(plan, lang="en")
    table = result.report.data["tables"]["tenants"]
    assert result.report.status == "reconciled" and table["loaded"] == 3
    second = next(p for p in table["rejects"] if p["row"] == 4)
    assert second["collides"][0]["with"] == _at("台帳", 2, 6)
    kept = next(p for p in table["notes"] if p["row"] == 2)  # the loaded copy names them too
    assert kept["reasons"] == ["tenant_id.duplicate_kept"]
    assert kept["collides"][0]["with"] == _at("台帳", 4, 6)
    (group,) = table["duplicate_groups"]
    assert [p.get("loaded", False) for p in group["rows"]] == [True, False, False]
    assert "rows 2 (loaded), 4, 6 of sheet 台帳 in data/ledger.xlsx" in (
        result.report_html.read_text("utf-8")
    )


def _worklist(run: Path) -> dict[tuple[str, str], str]:
    """The worklist's "what" by (sheet, row), for its duplicate lines."""
    text = (run / "worklist.csv").read_text(encoding="utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))[1:]
    return {(line[2], line[3]): line[6] for line in lines if line[5].endswith(".duplicate")} | {
        (line[2], line[3]): line[6] for line in lines if line[5].endswith(".duplicate_kept")
    }


# --- the words and the cost -----------------------------------------------------


def test_positions_are_said_file_and_sheet_together() -> None:
    places = [*_at("2013", 14, 27), {"file": "b.csv", "sheet": "", "row": 3}]
    assert places_said(places, "en") == (
        "rows 14, 27 of sheet 2013 in data/ledger.xlsx; row 3 in b.csv"
    )
    assert (
        places_said(places, "ja")
        == "data/ledger.xlsx のシート 2013 の 14・27 行目、b.csv の 3 行目"
    )
    one = {"with": _at("2013", 14), "more": 0}
    assert same_key_as(one, "en") == "same key as row 14 of sheet 2013 in data/ledger.xlsx"
    many = {"with": _at("2013", 14), "more": 1200}
    assert same_key_as(many, "en").endswith(", and 1,200 more")
    assert same_key_as(many, "ja").endswith("と同じキー（ほか 1,200 行）")


def test_a_large_group_names_a_handful_each_in_linear_time() -> None:
    """200,000 rows sharing one key: each names five, the rest counted once."""
    n = 200_000
    positions = pd.DataFrame(
        {"file": "big.csv", "sheet": "", "row": range(2, n + 2)}, index=pd.RangeIndex(n)
    )
    raw = RawTable("ledger", pd.DataFrame(index=pd.RangeIndex(n)), positions, ())
    collisions = pd.DataFrame({"row": range(n), "slug": "id.duplicate", "group": 0})
    per_row, groups = collision_facts(collisions, raw, set(range(n)))
    assert len(per_row) == n and len(groups) == 1 and groups[0]["size"] == n
    assert all(len(c["with"]) == SHOWN and c["more"] == n - 1 - SHOWN for c in per_row.values())
    assert per_row[(n - 1, "id.duplicate")]["with"][0]["row"] == 2
