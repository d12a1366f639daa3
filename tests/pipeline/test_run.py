"""End to end through the library: balance, positions, rollback, tampering."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from ikou.audit.chain import verify
from ikou.errors import ConfigError, TargetError
from ikou.pipeline.examples.housing import make_ledger
from ikou.pipeline.plan import load_plan
from ikou.pipeline.run import rehearse
from ikou.pipeline.stages.extract import run_extract
from ikou.pipeline.stages.load import open_target, run_load, transaction
from ikou.pipeline.stages.map import run_map
from ikou.pipeline.stages.reconcile import run_reconcile
from ikou.pipeline.stages.validate import run_validate
from tests.conftest import keep_target

HEADER_ROW = 4  # title, note, group headers, then the header row


def test_rehearsal_balances_and_names_positions(housing_plan: Path) -> None:
    result = rehearse(housing_plan)
    report = json.loads(result.report_json.read_text(encoding="utf-8"))
    table = report["tables"]["tenants"]
    assert report["status"] == "reconciled" and table["balanced"]
    assert table["source_rows"] == table["skipped"] + table["rejected"] + table["loaded"]
    ledger = make_ledger(120, 7)
    assert table["skipped_by_rule"]["subtotal_row"] == 5  # one 小計 per estate
    assert table["skipped_by_rule"]["total_row"] == 1  # the 合計
    assert table["rejected"] == ledger.planted_rejects
    assert table["loaded"] == 120 - ledger.planted_rejects
    bad_row = next(i for i, r in enumerate(ledger.rows) if r[7] == "H31.13.1")
    assert {
        "file": "data/ledger.xls",
        "sheet": "入居者台帳",
        "row": HEADER_ROW + 1 + bad_row,
        "reasons": ["move_in_date.date.invalid"],
    } in table["rejects"]
    assert table["controls"] and all(c["ok"] for c in table["controls"])
    markers = [i for i, r in enumerate(ledger.rows) if r[10] in ("なし", "－")]
    rejected_rows = {x["row"] for x in table["rejects"]}
    loaded_markers = [i for i in markers if HEADER_ROW + 1 + i not in rejected_rows]
    assert table["notes_by_reason"] == {"note.blank.marker": len(loaded_markers)}
    assert [x["row"] for x in table["notes"]] == [HEADER_ROW + 1 + i for i in loaded_markers]
    html = result.report_html.read_text(encoding="utf-8")
    assert "注記つきで登録" in html and "note.blank.marker" in html
    chain = verify(result.audit_log, report["chain_head"])
    assert chain.ok and chain.head_found_at == chain.events - 2  # then the report, the seal
    stages = [s["stage"] for s in report["stages"]]
    assert stages == [  # the waiting list goes to the vendor's import file (target.files)
        "extract", "map", "validate", "load", "import", "reconcile", "import-reconcile", "expect"
    ]  # fmt: skip


def test_loaded_rows_equal_the_target(housing_plan: Path) -> None:
    keep_target(housing_plan)  # the test looks into the target
    result = rehearse(housing_plan)
    with sqlite3.connect(result.run_dir / "target.sqlite") as db:
        rows = db.execute("select count(*), sum(rent) from tenants").fetchone()
    table = result.report.data["tables"]["tenants"]
    assert rows[0] == table["loaded"]
    assert rows[1] == next(c["target"] for c in table["controls"] if c["name"] == "sum(rent)")


def _stages(plan_path: Path, url: str):  # type: ignore[no-untyped-def]
    plan = load_plan(plan_path)
    raws, _ = run_extract(plan)
    mapped, _ = run_map(plan, raws)
    validated, _ = run_validate(plan, mapped)
    return plan, validated, open_target(url)


def test_tampered_target_is_found_by_reconcile(housing_plan: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.sqlite"
    plan, validated, engine = _stages(housing_plan, f"sqlite:///{db}")
    with transaction(engine) as connection:
        run_load(validated.tables, plan.contract, connection)
    with sqlite3.connect(db) as con:
        con.execute("update tenants set rent = rent + 1 where rowid = 3")
        con.execute("delete from tenants where rowid = 5")
    results, _ = run_reconcile(plan, validated, engine)
    found = results["tenants"].finding_counts
    assert found["reconcile.row_changed"] == 1 and found["reconcile.row_missing"] == 1
    assert (
        found["reconcile.unbalanced"] == 1 and found["reconcile.control_differs"] == 3
    )  # count, sum(rent), count_by(estate)
    engine.dispose()


def test_failed_load_leaves_the_target_as_it_was(housing_plan: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.sqlite"
    plan, validated, engine = _stages(housing_plan, f"sqlite:///{db}")
    bad = validated.tables["tenants"]
    doubled = pd.concat([bad.accepted, bad.accepted.iloc[:1]])  # a key twice: insert fails
    object.__setattr__(bad, "accepted", doubled)
    with pytest.raises(TargetError, match="rolled back"), transaction(engine) as connection:
        run_load(validated.tables, plan.contract, connection)
    engine.dispose()
    with sqlite3.connect(db) as con:
        tables = con.execute("select name from sqlite_master where type='table'").fetchall()
    assert tables == []  # not even the CREATE TABLE survived


def test_non_empty_target_is_refused(housing_plan: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.sqlite"
    with sqlite3.connect(db) as con:
        con.execute("create table tenants (tenant_id text primary key)")
        con.execute("insert into tenants values ('000001')")
    plan, validated, engine = _stages(housing_plan, f"sqlite:///{db}")
    with pytest.raises(TargetError, match="already holds 1 row"), transaction(engine) as c:
        run_load(validated.tables, plan.contract, c)
    engine.dispose()


def _ledger_rows() -> tuple[list[str], list[list[object]]]:
    from ikou.pipeline.examples.housing import HEADER

    ledger = make_ledger(40, 11)
    return list(HEADER), ledger.rows


def test_cp932_csv_and_xlsx_sources_rehearse_the_same(housing_plan: Path) -> None:
    """The same ledger as Shift_JIS CSV and as .xlsx loads the same rows."""
    import csv
    import datetime as dt

    from ikou.pipeline.examples.housing import write_xlsx

    folder = housing_plan.parent
    header, rows = _ledger_rows()
    with (folder / "data" / "ledger.csv").open("w", encoding="cp932", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["市営住宅 入居者台帳"])
        writer.writerow(header)
        for row in rows:
            writer.writerow(
                [
                    ""
                    if v is None
                    else v.strftime("%Y/%m/%d")
                    if isinstance(v, dt.date)
                    else f"{v:g}"
                    if isinstance(v, float)
                    else v
                    for v in row
                ]
            )
    write_xlsx(make_ledger(40, 11), folder / "data" / "ledger.xlsx")
    results = {}
    for name in ("ledger.csv", "ledger.xlsx"):
        text = housing_plan.read_text(encoding="utf-8")
        text = text.replace("data/ledger*.xls", f"data/{name}")
        if name.endswith(".csv"):
            text = text.replace("sheets: [入居者台帳]", "encoding: auto")
        plan = folder / f"plan-{name}.yaml"
        plan.write_text(text, encoding="utf-8")
        report = rehearse(plan).report.data
        assert report["status"] == "reconciled", name
        table = report["tables"]["tenants"]
        results[name] = (table["loaded"], table["rejects_by_reason"], table["controls"])
    assert results["ledger.csv"] == results["ledger.xlsx"]


def test_a_glob_reads_every_matching_file_with_its_own_positions(housing_plan: Path) -> None:
    from ikou.pipeline.examples.housing import write_xls

    folder = housing_plan.parent
    ledger = make_ledger(30, 5)
    # the same tenants again would collide on tenant_id: shift the second file's numbers
    for row in ledger.rows:
        if isinstance(row[0], float):
            row[0] += 500
        elif isinstance(row[0], str) and row[0].strip().isdigit():
            row[0] = f"{int(row[0]) + 500:06d}"
    write_xls(ledger, folder / "data" / "ledger2.xls")
    report = rehearse(housing_plan).report.data
    files = {r["file"] for r in report["tables"]["tenants"]["rejects"]}
    assert files == {"data/ledger.xls", "data/ledger2.xls"}
    assert [f["name"] for f in report["sources"]["ledger"]["files"]] == [
        "data/ledger.xls",
        "data/ledger2.xls",
    ]


def test_expectations_in_the_warm_child_equal_those_run_here(
    housing_plan: Path, tmp_path: Path
) -> None:
    """The tables reach the warm child as Arrow through a pipe and are restored to
    their pandas dtypes: every verdict and count is the one computed in place."""
    from ikou.audit.platform import WarmChild
    from ikou.pipeline.stages.expect import _packed, _unpacked, run_expect, start_expect

    plan, validated, _ = _stages(housing_plan, f"sqlite:///{tmp_path / 't.sqlite'}")
    here, report = run_expect(plan, validated)
    there, report_there = start_expect(plan, validated, WarmChild(lambda: None))()
    assert [r.as_dict() for r in there] == [r.as_dict() for r in here]
    assert report_there.output_sha256 == report.output_sha256
    for table in validated.tables.values():
        frame = table.accepted
        back = _unpacked(_packed(frame))
        assert back.equals(frame) and (back.dtypes == frame.dtypes).all()
        assert back.index.equals(frame.index)


def test_a_duplicate_key_under_keep_first_loads_the_first_copy(housing_plan: Path) -> None:
    """A tenant typed twice: by default both copies are rejected; with
    ``duplicates: keep_first`` the first is loaded with a note, the second
    rejected, and the report lists both positions."""
    import yaml

    from ikou.pipeline.examples.formats import write_spreadsheetml
    from ikou.pipeline.examples.housing import ledger_sheet, make_ledger

    folder = housing_plan.parent
    ledger = make_ledger(30, 4)
    first = next(i for i, row in enumerate(ledger.rows) if isinstance(row[0], str) and i > 3)
    ledger.rows.append(list(ledger.rows[first]))  # the same tenant again, at the end
    write_spreadsheetml([ledger_sheet(ledger)], folder / "data" / "ledger.xml")
    text = housing_plan.read_text(encoding="utf-8").replace("data/ledger*.xls", "data/ledger.xml")
    housing_plan.write_text(text, encoding="utf-8")
    second = len(ledger.rows) + 4  # title, credit line, group headers, header, then the rows

    def copies(policy: str) -> tuple[list[int], list[int], int]:
        mapping = folder / "mapping.yaml"
        spec = yaml.safe_load(mapping.read_text(encoding="utf-8"))
        spec["tables"]["tenants"]["duplicates"] = policy
        mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
        table = rehearse(housing_plan).report.data["tables"]["tenants"]
        rejected = [r["row"] for r in table["rejects"] if "tenant_id.duplicate" in r["reasons"]]
        kept = [n["row"] for n in table["notes"] if "tenant_id.duplicate_kept" in n["reasons"]]
        return rejected, kept, table["loaded"]

    rejected, kept, loaded = copies("reject_all")
    assert rejected == [first + 5, second] and kept == []
    rejected, kept, loaded_first = copies("keep_first")
    assert rejected == [second] and kept == [first + 5] and loaded_first == loaded + 1


def test_a_column_can_come_from_the_sheet_or_file_name(housing_plan: Path) -> None:
    """``from: =sheet``, ``=file`` and a title cell (``=A1``) read where a row was
    found, through the same transforms as any cell; none is looked for among the
    headers, and a name like ``=X`` is refused when the mapping loads."""
    keep_target(housing_plan)  # the test looks into the target
    import yaml

    mapping = housing_plan.parent / "mapping.yaml"
    spec = yaml.safe_load(mapping.read_text(encoding="utf-8"))
    note = {"from": ["=file", "=sheet", "=A1"], "join": "|", "transforms": ["strip"]}
    spec["tables"]["tenants"]["columns"]["note"] = note
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = rehearse(housing_plan)
    with sqlite3.connect(result.run_dir / "target.sqlite") as db:
        notes = {n for (n,) in db.execute("select distinct note from tenants")}
    files = {f["name"] for f in result.report.data["sources"]["ledger"]["files"]}
    title = "市営住宅 入居者台帳（令和6年度）"  # the sheet's merged title cell, A1
    assert notes == {f"{name.rsplit('/', 1)[-1]}|入居者台帳|{title}" for name in files}
    assert result.report.data["tables"]["tenants"]["rejected"] > 0  # the planted rejects
    note["from"] = "=title"
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="=sheet, =file or a cell such as =A1"):
        load_plan(housing_plan)


def test_on_error_null_loads_the_row_with_the_cell_empty(housing_plan: Path) -> None:
    """An optional column mapped ``on_error: null``: a phone number that fails
    its pattern no longer rejects the row; the row loads with the cell empty,
    the report and the worklist list the cell, the accounting still closes and
    reconciliation proves the target holds the emptied cell. A required column
    cannot take the policy."""
    keep_target(housing_plan)  # the test looks into the target
    import yaml

    from ikou.errors import ConfigError
    from ikou.pipeline.plan import load_plan
    from ikou.pipeline.report.worklist import WORKLIST

    mapping = housing_plan.parent / "mapping.yaml"
    spec = yaml.safe_load(mapping.read_text(encoding="utf-8"))
    spec["tables"]["tenants"]["columns"]["phone"]["transforms"] = [
        {"blank": {"values": ["なし"]}},  # keeps the phone as typed: 042(393)5111 fails
    ]
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    strict = rehearse(housing_plan).report.data["tables"]["tenants"]
    failing = strict["rejects_by_reason"].get("phone.pattern", 0)
    assert failing > 0 and not strict["cleared"]

    spec["tables"]["tenants"]["columns"]["phone"]["on_error"] = "null"
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    result = rehearse(housing_plan)
    table = result.report.data["tables"]["tenants"]
    assert table["balanced"] and "phone.pattern" not in table["rejects_by_reason"]
    assert table["cleared_by_reason"]["phone.pattern"] >= failing  # rows also failing elsewhere
    assert table["loaded"] > strict["loaded"]
    assert table["source_rows"] == table["skipped"] + table["rejected"] + table["loaded"]
    rows = {c["row"] for c in table["cleared"]}
    with sqlite3.connect(result.run_dir / "target.sqlite") as db:
        empty = db.execute("select count(*) from tenants where phone is null").fetchone()[0]
    assert empty >= len(rows)
    lines = (result.run_dir / WORKLIST).read_text(encoding="utf-8-sig").splitlines()
    assert (
        sum("phone.pattern" in line for line in lines)
        == table["cleared_by_reason"]["phone.pattern"]
    )

    spec["tables"]["tenants"]["columns"]["rent"]["on_error"] = "null"
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"columns\.rent\.on_error: .*required"):
        load_plan(housing_plan)


def test_the_ledgers_own_totals_are_reconciled(housing_plan: Path) -> None:
    """The example's 小計 and 合計 rows: each holds or is explained by the rejected
    rows; a 小計 typed wrong fails the run (exit 1) naming its position, unless
    the mapping marks that total informative."""
    import yaml

    from ikou.pipeline.examples.formats import write_spreadsheetml
    from ikou.pipeline.examples.housing import ledger_sheet

    result = rehearse(housing_plan)
    totals = result.report.data["tables"]["tenants"]["totals"]
    assert {t["status"] for t in totals} == {"holds", "explained"}
    assert [t["name"] for t in totals].count("grand_total") == 1
    html = (result.run_dir / "report.html").read_text(encoding="utf-8")
    assert "台帳の合計行との照合" in html and "不採用で説明" in html

    folder = housing_plan.parent
    ledger = make_ledger(120, 7)  # what the fixture wrote
    first = next(i for i, row in enumerate(ledger.rows) if row[1] == "小計")
    ledger.rows[first][8] += 1000.0  # a 小計 that no longer adds up
    write_spreadsheetml([ledger_sheet(ledger)], folder / "data" / "ledger.xml")
    text = housing_plan.read_text(encoding="utf-8").replace("data/ledger*.xls", "data/ledger.xml")
    housing_plan.write_text(text, encoding="utf-8")
    bad = rehearse(housing_plan)
    table = bad.report.data["tables"]["tenants"]
    assert bad.report.status == "unbalanced" and table["findings"] == {"reconcile.total_differs": 1}
    (wrong,) = [t for t in table["totals"] if not t["ok"]]
    assert (wrong["status"], wrong["row"]) == ("unexplained", first + 5)

    mapping = folder / "mapping.yaml"
    spec = yaml.safe_load(mapping.read_text(encoding="utf-8"))
    spec["tables"]["tenants"]["totals"][0]["informative"] = True
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert rehearse(housing_plan).report.status == "reconciled"


def test_a_contract_can_generate_the_key(housing_plan: Path) -> None:
    """A legacy file without a stable key: the contract generates one — a
    sequence in source order as the primary key, a UUID per source position —
    and reconciliation and the report's positions work from it; the same file
    gives the same keys; a mapping may not feed a generated column."""
    keep_target(housing_plan)  # the test looks into the target
    import yaml

    folder = housing_plan.parent
    contract_path = folder / "contract.yaml"
    contract = yaml.safe_load(contract_path.read_text(encoding="utf-8"))
    tenants = contract["tables"]["tenants"]
    tenants["primary_key"] = "ledger_no"
    tenants["columns"] = {
        "ledger_no": {"type": "integer", "generated": "sequence"},
        "uid": {"type": "string", "generated": "uuid"},
        **tenants["columns"],
    }
    del contract["tables"]["members"]["columns"]["tenant_id"]["references"]
    contract_path.write_text(yaml.safe_dump(contract, allow_unicode=True), encoding="utf-8")

    first = rehearse(housing_plan)
    table = first.report.data["tables"]["tenants"]
    assert first.report.status == "reconciled" and table["balanced"]
    with sqlite3.connect(first.run_dir / "target.sqlite") as db:
        numbers = [n for (n,) in db.execute("select ledger_no from tenants order by ledger_no")]
        uids = dict(db.execute("select ledger_no, uid from tenants"))
    assert numbers == list(range(1, table["loaded"] + 1))
    assert len(set(uids.values())) == len(uids) and all(len(u) == 36 for u in uids.values())

    again = rehearse(housing_plan)  # the same file: the same keys
    with sqlite3.connect(again.run_dir / "target.sqlite") as db:
        assert dict(db.execute("select ledger_no, uid from tenants")) == uids

    mapping = folder / "mapping.yaml"
    spec = yaml.safe_load(mapping.read_text(encoding="utf-8"))
    spec["tables"]["tenants"]["columns"]["uid"] = {"from": "入居者番号"}
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="generates uid"):
        load_plan(housing_plan)
