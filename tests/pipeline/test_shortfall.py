"""A run that loads nothing is not a success (issue 23, item 3): a table that
loads no row, or rejects more than ``rehearsal.max_rejected`` percent of its
source rows, fails the run (exit 1), keeps nothing in the target and says why
in both languages. Workbooks are made here by code (Faker ja_JP, seeded); the
public offices' files are read from ../shared/realfiles when present."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from faker import Faker
from pydantic import ValidationError

from ikou.findings import CATALOG
from ikou.pipeline.cli.lang import CONSOLE
from ikou.pipeline.examples.housing import make_ledger, write_xls
from ikou.pipeline.plan import RehearsalRule
from ikou.pipeline.production import migrate
from ikou.pipeline.report.labels import LABELS
from ikou.pipeline.run import rehearse
from tests.conftest import (
    REALFILES,
    chain_events,
    keep_target,
    run_ikou,
    shared_folder,
    write_files,
)
from tests.pipeline.conftest import target_of

CONTRACT = """\
contract: shortfall
version: 1
tables:
  tenants:
    label: 入居者
    primary_key: tenant_id
    columns:
      tenant_id: {type: string, required: true}
      name: {type: string}
      move_in: {type: date}
"""

MAPPING = """\
mapping: shortfall
tables:
  tenants:
    source: ledger
    columns:
      tenant_id: {from: 番号, transforms: [text]}
      name: {from: 氏名}
      move_in: {from: 入居日, transforms: [date]}
"""


def _ledger(path: Path, rows: int, bad: int, seed: int = 3) -> None:
    """An .xlsx of ``rows`` tenants; the first ``bad`` of them have an entry
    date no notation reads (``未定``), so exactly they are rejected."""
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "台帳"
    sheet.append(["番号", "氏名", "入居日"])
    for i in range(rows):
        moved = fake.date_between("-30y", "-1y")
        written = "未定" if i < bad else f"H{moved.year - 1988}.{moved.month}.{moved.day}"
        if i >= bad and moved.year < 1989:
            written = f"S{moved.year - 1925}.{moved.month}.{moved.day}"
        if i >= bad and moved.year >= 2019:
            written = moved.strftime("%Y/%m/%d")
        sheet.append([f"{1000 + i}", fake.name(), written])
    book.save(path)


def _plan(folder: Path, rows: int, bad: int, max_rejected: str | None = None) -> Path:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    _ledger(folder / "data" / "ledger.xlsx", rows, bad)
    plan = (
        "plan: shortfall-test\nmapping: mapping.yaml\ncontract: contract.yaml\n"
        "sources:\n  ledger:\n    rehearsal: data/ledger.xlsx\n"
    )
    if max_rejected is not None:
        plan += f"rehearsal:\n  max_rejected: {max_rejected}\n"
    write_files(folder, {"plan.yaml": plan, "mapping.yaml": MAPPING, "contract.yaml": CONTRACT})
    return folder / "plan.yaml"


def _report(folder: Path) -> tuple[dict[str, Any], Path]:
    (run,) = (folder / "ikou-work" / "runs").iterdir()
    return json.loads((run / "report.json").read_text("utf-8")), run


def _target_tables(run: Path) -> list[Any]:
    target = run / "target.sqlite"
    if not target.exists():
        return []
    with sqlite3.connect(target) as db:
        return db.execute("select name from sqlite_master where type = 'table'").fetchall()


# --- every row rejected ---------------------------------------------------------


def test_a_rehearsal_that_rejects_every_row_exits_1_and_says_why_in_english(
    tmp_path: Path,
) -> None:
    plan = keep_target(_plan(tmp_path, rows=8, bad=8))
    done = run_ikou("rehearse", str(plan), "--lang", "en", timeout=180)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "Traceback" not in said
    assert "status: nothing_loaded" in said and "reconciled" not in said
    assert "table tenants: no row loaded of 8 (8 rejected, 0 skipped)" in said
    assert "loaded no row into table(s) tenants, so nothing was kept" in said
    report, run = _report(tmp_path)
    assert report["status"] == "nothing_loaded"
    assert report["shortfalls"] == [
        {
            "table": "tenants",
            "reason": "nothing_loaded",
            "source_rows": 8,
            "skipped": 0,
            "rejected": 8,
            "loaded": 0,
            "rejected_percent": 100,
            "max_rejected": None,
        }
    ]
    assert report["tables"]["tenants"]["balanced"]  # the counts add up: still a failure
    assert _target_tables(run) == []  # kept on purpose, and empty: rolled back
    html = (run / "report.html").read_text("utf-8")
    assert LABELS["en"]["nothing_loaded"] in html and LABELS["en"]["status_nothing_loaded"] in html
    headline = html.split("<body>", 1)[1].split("<h2>", 1)[0]
    assert "reconciled" not in headline and LABELS["en"]["shortfalls"] in html


def test_the_japanese_report_and_console_say_nothing_was_loaded(tmp_path: Path) -> None:
    plan = _plan(tmp_path, rows=6, bad=6)
    done = run_ikou("rehearse", str(plan), console="ja", timeout=180)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "照合一致" not in said
    assert CONSOLE["status.nothing_loaded"][1] in said
    assert "テーブル tenants: 移行元 6 行のうち登録 0 行（不採用 6 行、除外 0 行）" in said
    assert CATALOG["run.nothing_loaded"].ja in said  # the error line, from the catalog
    _, run = _report(tmp_path)
    html = (run / "report.html").read_text("utf-8")
    head = html.split("<body>", 1)[1].split("<h2>", 1)[0]
    assert "照合一致" not in head
    assert LABELS["ja"]["nothing_loaded"] in head and LABELS["ja"]["status_nothing_loaded"] in head
    assert LABELS["ja"]["shortfalls"] in html and LABELS["ja"]["shortfall_nothing_loaded"] in html
    assert "入居者" in html  # the table by its label


# --- rehearsal.max_rejected ----------------------------------------------------


def test_three_of_ten_rejected_fails_a_ten_percent_limit(tmp_path: Path) -> None:
    plan = keep_target(_plan(tmp_path, rows=10, bad=3, max_rejected="10"))
    done = run_ikou("rehearse", str(plan), timeout=180)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "status: too_many_rejected" in said
    assert (
        "table tenants: 3 of 10 rows rejected (30 %), more than rehearsal.max_rejected (10 %)"
        in said
    )
    report, run = _report(tmp_path)
    assert report["status"] == "too_many_rejected"
    (short,) = report["shortfalls"]
    assert (short["reason"], short["rejected"], short["loaded"]) == ("too_many_rejected", 3, 7)
    assert (short["rejected_percent"], short["max_rejected"]) == (30, 10)
    assert _target_tables(run) == []  # seven rows were loaded, then rolled back
    html = (run / "report.html").read_text("utf-8")
    assert "30 %" in html and "10 %" in html


def test_one_of_ten_rejected_passes_a_ten_percent_limit(tmp_path: Path) -> None:
    plan = _plan(tmp_path, rows=10, bad=1, max_rejected="10")
    done = run_ikou("rehearse", str(plan), timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    report, _ = _report(tmp_path)
    assert report["status"] == "reconciled" and "shortfalls" not in report
    assert report["tables"]["tenants"]["loaded"] == 9


@pytest.mark.parametrize(("limit", "status"), [("2.5", "reconciled"), ("2.4", "too_many_rejected")])
def test_a_fractional_limit_is_compared_exactly(tmp_path: Path, limit: str, status: str) -> None:
    """1 of 40 is exactly 2.5 %: not more than a 2.5 % limit, more than 2.4 %."""
    result = rehearse(_plan(tmp_path, rows=40, bad=1, max_rejected=limit), lang="en")
    assert result.report.status == status


def test_without_a_limit_rejections_do_not_fail_a_run_that_loads(tmp_path: Path) -> None:
    result = rehearse(_plan(tmp_path, rows=10, bad=9), lang="en")
    assert result.report.status == "reconciled"
    assert result.report.data["tables"]["tenants"]["loaded"] == 1


@pytest.mark.parametrize("bad", ["'10%'", "-1", "101", "true", ".nan"])
def test_max_rejected_must_be_a_percentage(tmp_path: Path, bad: str) -> None:
    plan = _plan(tmp_path, rows=2, bad=0, max_rejected=bad)
    done = run_ikou("rehearse", str(plan), timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "max_rejected" in done.stderr and "Traceback" not in done.stderr


def test_the_rule_takes_numbers_from_0_to_100() -> None:
    assert RehearsalRule().max_rejected is None
    assert RehearsalRule(max_rejected=0).max_rejected == 0
    assert RehearsalRule(max_rejected=2.5).max_rejected == 2.5
    with pytest.raises(ValidationError):
        RehearsalRule(max_rejected=100.5)


def test_the_statuses_are_catalogued_and_said_in_both_languages() -> None:
    for status in ("nothing_loaded", "too_many_rejected"):
        assert CATALOG[f"run.{status}"].exit_code == 1
        assert f"status.{status}" in CONSOLE and f"shortfall.{status}" in CONSOLE
        for lang in ("ja", "en"):
            assert LABELS[lang][status] and LABELS[lang][f"status_{status}"]
            assert LABELS[lang][f"shortfall_{status}"]


# --- ikou migrate ------------------------------------------------------------


def _every_date_invalid(path: Path, tenants: int, seed: int) -> None:
    """A housing ledger whose every tenant moved in on a day that does not exist."""
    ledger = make_ledger(tenants, seed)
    for row in ledger.rows:
        if row[7] is not None:  # a tenant's row (subtotals and the total have no date)
            row[7] = "H31.13.1"
    write_xls(ledger, path)


def test_a_production_run_that_loads_nothing_fails_and_keeps_nothing(
    production_plan: Path,
) -> None:
    """The rehearsal passed on its test data; the live ledger rejects every row."""
    assert rehearse(production_plan).report.status == "reconciled"
    _every_date_invalid(production_plan.parent / "data" / "live" / "ledger.xls", 150, 11)
    signoff = production_plan.parent / "signoff.yaml"
    done = run_ikou("migrate", str(production_plan), "--signoff", str(signoff), timeout=300)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "status: nothing_loaded" in said and "table tenants: no row loaded" in said
    runs = production_plan.parent / "ikou-work" / "runs"
    (report,) = [
        r
        for r in (json.loads((p / "report.json").read_text("utf-8")) for p in runs.iterdir())
        if r["mode"] == "production"
    ]
    assert report["status"] == "nothing_loaded" and "seal" not in report  # no manifest
    assert {s["table"] for s in report["shortfalls"]} == {"tenants", "members"}  # fk_missing
    assert [f["state"] for f in report["import_files"]] == ["discarded"]  # the waiting list
    with sqlite3.connect(target_of(production_plan)) as db:
        tables = db.execute("select name from sqlite_master where type = 'table'").fetchall()
    assert tables == []  # rolled back: not even the CREATE TABLE
    assert not (production_plan.parent / "ikou-work" / "manifests").exists() or not any(
        (production_plan.parent / "ikou-work" / "manifests").iterdir()
    )
    events = chain_events(production_plan.parent / "ikou-work" / "audit.log")
    commit = [e for e in events if e["stage"] == "commit" and e["mode"] == "production"]
    assert [e["outcome"] for e in commit] == ["rolled back"]
    shortfall = next(e for e in events if e["stage"] == "shortfall" and e["mode"] == "production")
    assert shortfall["tables"]["tenants"]["loaded"] == 0


def test_a_rehearsal_that_loads_nothing_does_not_let_migrate_run(production_plan: Path) -> None:
    _every_date_invalid(production_plan.parent / "data" / "ledger.xls", 120, 7)
    assert rehearse(production_plan).report.status == "nothing_loaded"
    result = migrate(production_plan, signoff_file=production_plan.parent / "signoff.yaml")
    assert result.status == "refused"
    assert [c.code for c in result.checks if c.status == "fail"] == ["no_rehearsal"]


# --- the public offices' files (../shared/realfiles) ---------------------------

NENDOBETU_CONTRACT = """\
contract: gomi
version: 1
tables:
  collected:
    primary_key: fiscal_year
    columns:
      fiscal_year: {type: integer, required: true}
      total_t: {type: integer}
      population: {type: integer}
"""


def _nendobetu(folder: Path, year: str, max_rejected: str | None = None) -> Path:
    """kobe_nendobetu.xls (年度別ごみ収集量): 36 fiscal years, 昭和55年度 to 平成27年度."""
    source = shared_folder(REALFILES) / "kobe_nendobetu.xls"
    mapping = (
        "mapping: gomi\ntables:\n  collected:\n    source: gomi\n    columns:\n"
        f"      fiscal_year: {{from: 年度, transforms: [{year}]}}\n"
        "      total_t: {from: 総収集量, transforms: [integer]}\n"
        "      population: {from: 10月1日現在の人口（人）, transforms: [integer]}\n"
    )
    plan = (
        "plan: gomi\nmapping: mapping.yaml\ncontract: contract.yaml\n"
        f"sources:\n  gomi:\n    rehearsal: '{source.as_posix()}'\n    header_row: [2, 3]\n"
    )
    if max_rejected is not None:
        plan += f"rehearsal:\n  max_rejected: {max_rejected}\n"
    write_files(
        folder, {"plan.yaml": plan, "mapping.yaml": mapping, "contract.yaml": NENDOBETU_CONTRACT}
    )
    return folder / "plan.yaml"


def test_kobe_nendobetu_read_as_dates_loads_nothing_and_fails(tmp_path: Path) -> None:
    """The issue's case: 36 of 36 fiscal years (昭和55年度) rejected by ``date``."""
    plan = _nendobetu(tmp_path, "{date: {precision: year}}")
    done = run_ikou("rehearse", str(plan), timeout=180)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "table collected: no row loaded of 36 (36 rejected, 0 skipped)" in said
    report, _ = _report(tmp_path)
    assert report["status"] == "nothing_loaded"
    table = report["tables"]["collected"]
    assert (table["source_rows"], table["rejected"], table["loaded"]) == (36, 36, 0)


def test_kobe_nendobetu_read_as_fiscal_years_loads_every_year(tmp_path: Path) -> None:
    result = rehearse(_nendobetu(tmp_path, "fiscal_year", max_rejected="0"), lang="en")
    assert result.report.status == "reconciled"
    assert result.report.data["tables"]["collected"]["loaded"] == 36


YAIZU_CONTRACT = """\
contract: parks
version: 1
tables:
  parks:
    primary_key: park_id
    columns:
      park_id: {type: integer, required: true}
      area_m2: {type: integer}
      opened: {type: date}
      homepage: {type: string, required: true}
"""


def _yaizu(folder: Path, opened: str, max_rejected: str | None = None) -> Path:
    """yaizu_park_info.csv (焼津市の公園): 142 parks, opened in a bare year
    (``1961``), two without a homepage (公園HPアドレス)."""
    source = shared_folder(REALFILES) / "yaizu_park_info.csv"
    mapping = (
        "mapping: parks\ntables:\n  parks:\n    source: parks\n    columns:\n"
        "      park_id: {from: ID, transforms: [integer]}\n"
        "      area_m2: {from: 面積（㎡）, transforms: [integer]}\n"
        f"      opened: {{from: 供用開始年, transforms: [{opened}]}}\n"
        "      homepage: {from: 公園HPアドレス}\n"
    )
    plan = (
        "plan: parks\nmapping: mapping.yaml\ncontract: contract.yaml\n"
        f"sources:\n  parks:\n    rehearsal: '{source.as_posix()}'\n"
    )
    if max_rejected is not None:
        plan += f"rehearsal:\n  max_rejected: {max_rejected}\n"
    write_files(
        folder, {"plan.yaml": plan, "mapping.yaml": mapping, "contract.yaml": YAIZU_CONTRACT}
    )
    return folder / "plan.yaml"


def test_yaizu_parks_opened_years_read_as_days_load_nothing_and_fail(tmp_path: Path) -> None:
    """The issue's case: 142 of 142 rejected — a bare year is no day's date."""
    done = run_ikou("rehearse", str(_yaizu(tmp_path, "date")), timeout=180)
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert "table parks: no row loaded of 142 (142 rejected, 0 skipped)" in said
    report, _ = _report(tmp_path)
    assert report["status"] == "nothing_loaded"
    assert report["shortfalls"][0]["rejected"] == report["shortfalls"][0]["source_rows"] == 142


@pytest.mark.parametrize(("limit", "status"), [("1", "too_many_rejected"), ("2", "reconciled")])
def test_yaizu_parks_without_a_homepage_against_the_limit(
    tmp_path: Path, limit: str, status: str
) -> None:
    """docs/plan.md's example: 2 of 142 parks (1.41 %) have no homepage."""
    plan = _yaizu(tmp_path, "{date: {precision: year}}", max_rejected=limit)
    result = rehearse(plan, lang="en")
    table = result.report.data["tables"]["parks"]
    assert (table["source_rows"], table["rejected"]) == (142, 2)
    assert table["rejects_by_reason"] == {"homepage.required": 2}
    assert result.report.status == status
    if status == "too_many_rejected":
        (short,) = result.report.data["shortfalls"]
        assert (short["rejected_percent"], short["max_rejected"]) == (1.41, 1)
