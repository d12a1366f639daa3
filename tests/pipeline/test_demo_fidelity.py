"""What ``ikou demo`` shows of issue 17: the ledger's own totals, an estate from
the sheet's name, names without a space, a column loaded empty where a cell
fails, and duplicate keys under both policies — in the report a clerk prints."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

from ikou.pipeline.examples import write_demo
from ikou.pipeline.examples.applicants import make_applicants
from ikou.pipeline.run import rehearse
from tests.conftest import keep_target


def test_the_demo_report_shows_each_fidelity_policy(tmp_path: Path) -> None:
    plan = write_demo(tmp_path / "demo", rows=120, seed=2026, twin=True)  # as ikou demo does
    keep_target(plan)  # the test looks into the target
    result = rehearse(plan)
    assert result.report.status == "reconciled"
    tables = result.report.data["tables"]
    made = make_applicants(seed=2026)

    statuses = {t["name"]: t["status"] for t in tables["tenants"]["totals"]}
    assert {t["status"] for t in tables["tenants"]["totals"]} == {"holds", "explained"}
    assert statuses["grand_total"] == "explained"  # the rejected rows' rents explain it

    applicants = tables["applicants"]
    assert applicants["notes_by_reason"]["family_name.name.divided"] >= made.unspaced - 2
    assert applicants["cleared_by_reason"] == {"phone.phone.invalid": made.unreachable}
    assert applicants["rejects_by_reason"] == {"application_no.duplicate": 1}  # keep_first
    assert applicants["notes_by_reason"]["application_no.duplicate_kept"] == 1
    assert applicants["notes_by_reason"]["postal_code.postal.mismatch"] == made.elsewhere
    assert {t["status"] for t in applicants["totals"]} == {"holds", "explained"}
    members = tables["members"]["rejects_by_reason"]  # reject_all: both copies
    assert members["tenant_id+member_no.duplicate"] == 2

    with sqlite3.connect(result.run_dir / "target.sqlite") as db:  # the other tables
        assert db.execute("select count(*) from members").fetchone()[0] > 0
    data = (result.run_dir / "import" / "applicants.csv").read_text("cp932")  # the vendor's file
    rows = list(csv.DictReader(io.StringIO(data, newline="")))
    estates = {row["希望団地"] for row in rows}
    titles = {row["名簿名"] for row in rows}
    empty = sum(row["電話番号"] == "" for row in rows)
    assert sorted(estates) == ["E01", "E02", "E03", "E04", "E05"]  # from the sheets' names
    assert titles == {"入居待機者名簿(令和6年度)"}  # from each sheet's A1
    assert empty == made.unreachable

    html = (result.run_dir / "report.html").read_text(encoding="utf-8")
    for words in (
        "台帳の合計行との照合",
        "不採用で説明",
        "値を空欄にして登録したセル",
        "空白のない氏名を、統計モデルで姓と名に分けて登録しました",
        "同じキーの行のうち最初の行を登録しました",
        "郵便番号と住所の市区町村が一致しないまま登録しました",
    ):
        assert words in html, words
