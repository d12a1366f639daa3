"""The tax example: a tax section's overdue taxpayers (a CP932 CSV export) become
the call list a telephone-reminder dialer imports, and ``ikou demo tax``
rehearses it end to end."""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
import hashlib
import io
import json
import os
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from ikou.audit.hashing import row_digests
from ikou.mappings.transforms import apply_transform
from ikou.pipeline.cli.run import DEMO_EXAMPLES
from ikou.pipeline.examples import EXAMPLES, demo_files, demo_medium, write_demo
from ikou.pipeline.examples.tax import HEADER, make_overdue, write_overdue_csv
from ikou.pipeline.media.register import check_medium, registered
from ikou.pipeline.plan import load_plan
from ikou.pipeline.run import rehearse
from ikou.pipeline.stages.extract import run_extract
from ikou.pipeline.stages.map import run_map
from ikou.pipeline.stages.validate import full_frame, run_validate
from tests.conftest import REPO, chain_events, keep_target, run_ikou

ORDER = ["taxpayer_no", "name_kana", "phone", "tax_item", "installment", "amount_overdue",
         "due_date"]  # fmt: skip
HEADERS = ["顧客番号", "カナ氏名", "架電先電話番号", "税目", "期別", "滞納金額", "納期限"]


def _plain(text: str) -> str:
    return " ".join(text.split())  # the console wraps long lines


def test_the_export_is_cp932_with_crlf_and_half_width_kana(tmp_path: Path) -> None:
    overdue = make_overdue(200, 2026)
    data = write_overdue_csv(overdue, tmp_path / "overdue.csv").read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") == 200 + 2  # header, rows, 合計
    text = data.decode("cp932")  # strict: every byte is CP932
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(records[0]) == HEADER and records[-1][1] == "合計"
    kana = [r[2] for r in records[1:-1]]
    assert all(ch == " " or "\uff61" <= ch <= "\uff9f" for name in kana for ch in name)
    assert '"' in text and "円" in text  # "12,300円" is quoted, as the tax system writes it
    assert overdue.planted_rejects == 8  # seven faults, the duplicate's two rows
    assert sorted(set(overdue.planted.values())) == [
        "amount_overdue.yen.not_a_number", "due_date.date.invalid",
        "due_date.wareki.out_of_era", "phone.phone.invalid", "phone.required",
        "taxpayer_no.duplicate",
    ]  # fmt: skip
    assert make_overdue(200, 2026) == overdue  # seeded: the same file every time
    with pytest.raises(ValueError, match="count must exceed"):
        make_overdue(7)


def test_ikou_demo_tax_rehearses_and_reconciles(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "plan.yaml").write_text("# the office's own plan\n", "utf-8")
    refused = run_ikou("demo", "tax", "--dir", str(folder))
    assert refused.returncode == 2, refused.stderr
    assert f"{folder / 'plan.yaml'} already exists" in _plain(refused.stderr)
    assert sorted(p.name for p in folder.iterdir()) == ["plan.yaml"]

    done = run_ikou("demo", "tax", "--dir", str(folder), "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "synthetic overdue list and plan" in done.stdout and "status: reconciled" in done.stdout
    assert all(p.exists() for p in demo_files(folder, example="tax"))
    report = json.loads(next(folder.glob("ikou-work/runs/*/report.json")).read_text("utf-8"))
    assert report["status"] == "reconciled" and list(report["tables"]) == ["call_list"]
    table = report["tables"]["call_list"]
    assert table["source_rows"] == table["skipped"] + table["rejected"] + table["loaded"]
    overdue = make_overdue()  # the demo's: 200 taxpayers, seed 2026
    assert (table["source_rows"], table["skipped"]) == (201, 1)
    assert table["skipped_by_rule"] == {"total_row": 1}
    assert table["rejected"] == overdue.planted_rejects
    assert {r["row"]: r["reasons"] for r in table["rejects"]} == {
        row: [reason] for row, reason in overdue.planted.items()
    }
    assert all(c["ok"] for c in table["controls"])
    (total,) = table["totals"]
    assert total["status"] == "explained" and total["difference"] == 0
    assert report["target"] == "—"  # every table is a file: no database
    (facts,) = report["import_files"]
    assert facts["table"] == "call_list" and facts["rows"] == table["loaded"]
    assert report["test_data"]["data/overdue.csv"]["made_by"] == "ikou demo"

    # the call list went only to the demo's registered stick, and stays there
    assert facts["kept"] == "rehearsal_path" and not facts["shredded"]
    assert facts["medium"] == "USB-001 (デモ 花子)"
    call_list = folder / "usb" / "stick-1" / "call_list.csv"
    data = call_list.read_bytes()
    assert hashlib.sha256(data).hexdigest() == facts["sha256"]
    assert data.decode("cp932") and data.count(b"\n") == data.count(b"\r\n") == facts["rows"] + 1
    events = chain_events(folder / "ikou-work" / "audit.log")
    placed = [e for e in events if e.get("stage") == "import-file" and e["outcome"] == "placed"]
    assert placed and placed[-1]["sha256"] == facts["sha256"]
    (wrote,) = [e for e in events if e.get("stage") == "media" and e["outcome"] == "written"]
    (used,) = [e for e in chain_events(call_list.parent / ".ikou-medium" / "usage.log")
               if e.get("outcome") == "written"]  # fmt: skip
    (logged,) = [e for e in chain_events(folder / "media" / "media.log")
                 if e.get("outcome") == "written"]  # fmt: skip
    for record in (wrote, used, logged):
        assert (record["medium"], record["holder"]) == ("USB-001", "デモ 花子")
        assert (record["file"], record["sha256"]) == ("call_list.csv", facts["sha256"])
        assert record["rows"] == facts["rows"] and record["run_id"] == report["run_id"]
        assert record["by"] and record["by"][0].endswith("(OS account)")

    # no cell value, as written or as normalised, in anything ikou wrote or said
    rows = overdue.rows[:-1]
    phones = [r[3] for r in rows if r[3]]
    normalised = apply_transform("phone", pd.Series(phones), {})
    kana = apply_transform("katakana", pd.Series([r[2] for r in rows]), {})
    values = (
        {r[0] for r in rows} | {r[1] for r in rows} | {r[1].replace("\u3000", " ") for r in rows}
    )
    values |= {r[2] for r in rows} | set(kana.values) | set(phones)
    values |= {v for v in normalised.values if isinstance(v, str)}
    said = done.stdout + done.stderr
    for path in [*(folder / "ikou-work").rglob("*"), *(folder / "media").rglob("*"),
                 *(folder / "usb").rglob(".ikou-*/*")]:  # fmt: skip
        if path.is_file():
            said += path.read_bytes().decode("utf-8", "replace")
    leaked = sorted(v for v in values if v and len(v) > 3 and v in said)
    assert not leaked, f"{len(leaked)} cell values escaped"


def test_the_demo_stick_is_registered_and_the_simulation_ends_with_the_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IKOU_MEDIA_BAY", raising=False)
    monkeypatch.setenv("IKOU_MEDIA_DIR", str(tmp_path / "the-pcs-register"))
    with demo_medium(tmp_path) as stick:
        assert stick == Path("usb") / "stick-1"
        assert os.environ["IKOU_MEDIA_BAY"] == str(tmp_path / "usb")
        (medium,) = registered().values()
        assert medium.holder == "デモ 花子" and check_medium(tmp_path / stick / "x.csv") == medium
    assert "IKOU_MEDIA_BAY" not in os.environ
    assert os.environ["IKOU_MEDIA_DIR"] == str(tmp_path / "the-pcs-register")
    assert not (tmp_path / "the-pcs-register").exists()  # the demo kept its own log
    with demo_medium(tmp_path) as again:  # no call list there yet: the same stick, once registered
        assert again == stick and len(registered()) == 1
    (tmp_path / stick / "call_list.csv").write_bytes(b"")
    with demo_medium(tmp_path) as fresh:  # that stick holds a call list: a new one
        assert fresh == Path("usb") / "stick-2" and len(registered()) == 2


def test_tax_refuses_target_in_one_sentence(tmp_path: Path) -> None:
    done = run_ikou("demo", "tax", "--dir", str(tmp_path / "d"), "--target", "sqlite:///x.db")
    assert done.returncode == 2
    assert "--target is for the housing example only" in _plain(done.stderr)
    assert not (tmp_path / "d").exists()  # refused before anything is written


def test_the_call_list_reads_back_to_the_same_row_digests(tmp_path: Path) -> None:
    plan = keep_target(write_demo(tmp_path / "tax", example="tax", rows=60, seed=7))
    result = rehearse(plan)
    assert result.report.status == "reconciled"
    (facts,) = result.report.data["import_files"]
    assert facts["kept"] == "keep_target"
    data = (result.run_dir / "import" / "call_list.csv").read_bytes()
    text = data.decode("cp932")  # the bytes are CP932 …
    assert data.endswith(b"\r\n") and data.count(b"\n") == data.count(b"\r\n")  # … lines CRLF
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert records[0] == HEADERS
    loaded = result.report.data["tables"]["call_list"]["loaded"]
    assert len(records) - 1 == facts["rows"] == loaded == 60 - make_overdue(60, 7).planted_rejects

    # the accepted rows, made again from the same file, against the call list parsed on its own
    loaded_plan = load_plan(plan)
    raws, _ = run_extract(loaded_plan)
    mapped, _ = run_map(loaded_plan, raws)
    validated, _ = run_validate(loaded_plan, mapped, raws)
    contract = loaded_plan.contract.tables["call_list"]
    kinds = {c: contract.kinds()[c] for c in ORDER}
    accepted = full_frame(validated.tables["call_list"], contract.kinds())[ORDER]
    parsed = [list(record) for record in records[1:]]
    for row in parsed:
        row[5] = int(row[5])
        row[6] = dt.datetime.strptime(row[6], "%Y%m%d").date()
    back = pd.DataFrame(parsed, columns=ORDER)
    assert back["name_kana"].str.fullmatch(r"[ァ-ヶー]+ [ァ-ヶー]+").all()  # full width now
    assert sorted(row_digests(back, kinds)) == sorted(row_digests(accepted, kinds))


def test_ikou_demo_without_an_example_is_still_housing(tmp_path: Path) -> None:
    done = run_ikou("demo", "--dir", str(tmp_path), "--rows", "10")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "synthetic ledger, members and plan" in done.stdout
    report = json.loads(next(tmp_path.glob("ikou-work/runs/*/report.json")).read_text("utf-8"))
    assert report["plan"]["name"] == "housing-ledger-rehearsal" and "tenants" in report["tables"]


def test_every_example_is_a_demo_choice_and_ships_in_the_wheel() -> None:
    assert DEMO_EXAMPLES == EXAMPLES
    data = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    patterns = data["tool"]["setuptools"]["package-data"]
    for package, name in [
        ("ikou.pipeline.examples", "tax-plan.yaml"),
        ("ikou.mappings.examples", "tax.yaml"),
        ("ikou.validation.contracts", "tax.yaml"),
    ]:
        assert any(fnmatch.fnmatch(name, p) for p in patterns.get(package, [])), (package, name)
