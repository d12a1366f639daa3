"""The sweep finds exact and derived copies, and nothing in an unrelated tree."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ikou.pipeline.examples.housing import HEADER, make_ledger, write_xls, write_xlsx
from ikou.pipeline.run import rehearse
from tests.conftest import run_ikou


def _sweep(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ikou", "sweep", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def swept(housing_plan: Path, tmp_path: Path) -> tuple[Path, Path]:
    rehearse(housing_plan)
    tree = tmp_path / "usb-stick"
    (tree / "old" / "nested").mkdir(parents=True)
    ledger = make_ledger(120, 7)
    data = [row for row in ledger.rows if row[0] is not None]
    shutil.copy(housing_plan.parent / "data" / "ledger.xls", tree / "old" / "台帳のコピー.xls")
    write_xlsx(ledger, tree / "old" / "nested" / "resaved.xlsx")
    with (tree / "export.csv").open("w", encoding="cp932", newline="", errors="replace") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows([["" if v is None else v for v in row] for row in data[:60]])
    paste = "\n".join("\t".join("" if v is None else str(v) for v in row) for row in data[40:60])
    (tree / "メモ.txt").write_text("貼り付け:\n" + paste + "\n以上", encoding="utf-8")
    (tree / "unrelated.txt").write_text("会議の議事録\n特になし\n", encoding="utf-8")
    (tree / "binary.bin").write_bytes(bytes(range(256)) * 10)
    return housing_plan, tree


def test_sweep_finds_exact_and_derived_copies(swept: tuple[Path, Path]) -> None:
    plan, tree = swept
    done = _sweep(str(tree), "--plan", str(plan))
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    found = {Path(f["path"]).name: (f["kind"], f["what"], f["records"]) for f in result["findings"]}
    assert found == {
        "台帳のコピー.xls": ("exact", "source file", 0),
        "resaved.xlsx": ("derived", "records", 120),
        "export.csv": ("derived", "records", 60),
        "メモ.txt": ("derived", "records", 20),
    }
    assert result["files"] == 6
    names = make_ledger(120, 7).rows[0][1]
    assert str(names) not in done.stdout + done.stderr  # positions and counts, never values


def test_an_unrelated_tree_is_clean(swept: tuple[Path, Path], tmp_path: Path) -> None:
    plan, _ = swept
    other = tmp_path / "other-office"
    other.mkdir()
    ledger = make_ledger(300, 99)  # another ward's ledger, same layout, same numbering
    write_xls(ledger, other / "ledger.xls")
    write_xlsx(ledger, other / "ledger.xlsx")
    (other / "notes.txt").write_text("第1団地 家賃 45,000円\n", encoding="utf-8")
    done = _sweep(str(other), "--plan", str(plan))
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["findings"] == []


def test_sweep_without_the_key_finds_exact_copies_only(
    swept: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plan, tree = swept
    monkeypatch.setenv("IKOU_KEY_DIR", str(tmp_path / "elsewhere"))
    done = _sweep(str(tree), "--plan", str(plan))
    assert done.returncode == 1
    assert "only exact copies can be found" in done.stderr
    kinds = {f["kind"] for f in json.loads(done.stdout)["findings"]}
    assert kinds == {"exact"}


def test_sweep_before_any_run_is_exit_2(housing_plan: Path, tmp_path: Path) -> None:
    done = _sweep(str(tmp_path), "--plan", str(housing_plan))
    assert done.returncode == 2
    assert "rehearse the plan first" in done.stderr


def test_fingerprints_hold_no_value(swept: tuple[Path, Path]) -> None:
    plan, _ = swept
    workspace = plan.parent / "ikou-work"
    ledger = make_ledger(120, 7)
    name = str(ledger.rows[0][1])
    files = list((workspace / "fingerprints").iterdir())
    assert any(p.suffix == ".npz" for p in files), "the rehearsal wrote no fingerprints"
    for path in files:
        data = path.read_bytes()
        for encoding in ("utf-8", "utf-16-le", "utf-32-le"):  # numpy keeps text as UTF-32
            assert name.encode(encoding) not in data, (path.name, encoding)


def test_copies_in_word_html_and_excel_xml_are_found_and_a_hostile_workbook_is_skipped(
    housing_plan: Path, tmp_path: Path
) -> None:
    import docx
    from openpyxl import Workbook

    from ikou.audit.platform import GUARD_AVAILABLE
    from ikou.pipeline.examples.formats import write_spreadsheetml
    from ikou.pipeline.examples.housing import ledger_sheet

    rehearse(housing_plan)
    tree = tmp_path / "share"
    tree.mkdir()
    ledger = make_ledger(120, 7)
    data = [["" if v is None else str(v) for v in row] for row in ledger.rows if row[0] is not None]
    document = docx.Document()
    table = document.add_table(rows=0, cols=len(HEADER))
    for row in data[:30]:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value
    document.save(str(tree / "回覧.docx"))
    html = "<table>" + "".join(
        "<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>\n" for row in data[30:55]
    )
    (tree / "web-export.xls").write_text(f"<html><body>{html}</table></body></html>", "utf-8")
    write_spreadsheetml([ledger_sheet(ledger)], tree / "old-export.xml")
    hostile = Workbook()
    hostile.active["A1"] = "x"
    hostile.active["XFD1048576"] = "y"  # calamine aborts the process reading this inline
    hostile.save(tree / "stray.xlsx")
    done = _sweep(str(tree), "--plan", str(housing_plan))
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    found = {Path(f["path"]).name: f["records"] for f in result["findings"]}
    assert found["回覧.docx"] == 30
    assert found["web-export.xls"] == 25
    assert found["old-export.xml"] >= 110  # every tenant row but the rejected ones' duplicates
    if GUARD_AVAILABLE:
        assert "reader stopped" in _unreadable_entry(result, "stray.xlsx")


def _ledger_rows(count: int = 120, seed: int = 7) -> list[list[object]]:
    """The fixture ledger's data rows as a database would hold them (dates as ISO text)."""
    rows = [row for row in make_ledger(count, seed).rows if row[0] is not None]
    return [[v.isoformat() if isinstance(v, dt.date) else v for v in row] for row in rows]


def _state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def test_a_path_that_does_not_exist_is_exit_2_naming_it(housing_plan: Path, tmp_path: Path) -> None:
    (tmp_path / "here").mkdir()
    missing = tmp_path / "usb-stick" / "台帳"
    done = _sweep(str(tmp_path / "here"), str(missing), "--plan", str(housing_plan))
    assert done.returncode == 2, done.stdout + done.stderr
    assert str(missing) in done.stderr and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert "found 0" not in done.stdout + done.stderr


def test_records_copied_into_sqlite_are_found_and_the_database_is_left_as_it_was(
    housing_plan: Path, tmp_path: Path
) -> None:
    rehearse(housing_plan)
    tree = tmp_path / "share"
    tree.mkdir()
    data = _ledger_rows()
    columns = ", ".join(f'"{name}"' for name in HEADER)
    marks = ", ".join("?" for _ in HEADER)
    copy = tree / "作業用.db"
    with sqlite3.connect(copy) as db:
        db.execute("CREATE TABLE memo (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("INSERT INTO memo (text) VALUES ('会議の議事録')")
        db.execute(f'CREATE TABLE "台帳コピー" ({columns})')
        db.executemany(f'INSERT INTO "台帳コピー" VALUES ({marks})', data[10:60])
    db.close()
    in_use = tree / "app-cache"  # no suffix: known by its header; its rows are in the -wal
    live = sqlite3.connect(in_use, isolation_level=None)
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("PRAGMA wal_autocheckpoint=0")
    live.execute(f"CREATE TABLE tenants ({columns})")
    live.executemany(f"INSERT INTO tenants VALUES ({marks})", data[:5] + data[70:80])
    (tree / "damaged.sqlite").write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)
    other = tree / "other-ward.sqlite"
    with sqlite3.connect(other) as db:  # another ward's ledger: same layout, other people
        db.execute(f"CREATE TABLE tenants ({columns})")
        db.executemany(f"INSERT INTO tenants VALUES ({marks})", _ledger_rows(300, 99))
    db.close()
    before = {p: _state(p) for p in (copy, in_use, in_use.with_name("app-cache-wal"), other)}
    try:
        done = _sweep(str(tree), "--plan", str(housing_plan))
        text = run_ikou("sweep", str(tree), "--plan", str(housing_plan))
    finally:
        after = {p: _state(p) for p in before}
        live.close()
    assert after == before  # bytes and modification times untouched
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    found = {Path(f["path"]).name: f for f in result["findings"]}
    assert set(found) == {"作業用.db", "app-cache"}
    assert found["作業用.db"]["records"] == 50
    assert found["作業用.db"]["places"] == [{"table": "台帳コピー", "rows": [[1, 50]]}]
    assert found["app-cache"]["records"] == 15
    assert found["app-cache"]["places"] == [{"table": "tenants", "rows": [[1, 15]]}]
    assert result["searched"]["sqlite"] == 3
    assert [Path(s["path"]).name for s in result["not_searched"]] == ["damaged.sqlite"]
    assert text.returncode == 1
    assert "作業用.db" in text.stdout and "台帳コピー" in text.stdout and "rows 1–50" in text.stdout
    assert "3 SQLite database" in text.stdout
    everything = done.stdout + done.stderr + text.stdout + text.stderr
    for row in data[:80]:
        assert str(row[1]) not in everything  # names the file, table and rows — never a value


def _unreadable_entry(result: dict[str, object], name: str) -> str:
    reasons = {Path(s["path"]).name: s["reason"] for s in result["not_searched"]}  # type: ignore[attr-defined, index]
    assert name in reasons, reasons
    return str(reasons[name])


def test_a_file_that_cannot_be_read_is_listed_and_the_sweep_is_no_all_clear(
    housing_plan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rehearse(housing_plan)
    tree = tmp_path / "share"
    tree.mkdir()
    (tree / "notes.txt").write_text("会議の議事録\n", encoding="utf-8")
    locked = tree / "人事.xlsx"
    write_xlsx(make_ledger(20, 3), locked)
    if os.geteuid() != 0:  # as a user would meet it
        locked.chmod(0)
        try:
            done = _sweep(str(tree), "--plan", str(housing_plan))
            text = run_ikou("sweep", str(tree), "--plan", str(housing_plan))
        finally:
            locked.chmod(0o600)
        assert done.returncode == 1 and text.returncode == 1, done.stderr
        assert "ermission denied" in _unreadable_entry(json.loads(done.stdout), locked.name)
        assert "could not be searched" in text.stdout and str(locked) in text.stdout
        assert "could not be searched" in text.stderr  # the exit's sentence says why
        return
    # root reads every file whatever its mode: the library, with the refusal made here
    from ikou.audit.sweep import load_knowledge, sweep
    from ikou.mappings.normalise import fingerprint_text
    from ikou.pipeline.plan import load_plan

    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == locked.name:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    plan = load_plan(housing_plan)
    knowledge = load_knowledge(plan.workspace, [], fingerprint_text)
    monkeypatch.setattr(Path, "open", refuse)
    result = sweep([tree], knowledge)
    assert not result.complete and result.findings == []
    assert result.not_searched == [(str(locked), "Permission denied")]
    assert result.searched == {"text": 1}


def test_a_file_too_large_to_read_is_not_searched_and_no_all_clear(
    swept: tuple[Path, Path],
) -> None:
    plan, tree = swept
    shutil.rmtree(tree / "old")
    for name in ("export.csv", "メモ.txt"):  # the copies gone: what is left is clean
        (tree / name).unlink()
    clean = _sweep(str(tree), "--plan", str(plan))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json.loads(clean.stdout)["searched"] == {"text": 1, "other": 1}
    big = tree / "巨大.csv"
    with big.open("wb") as handle:  # text, then sparse: no disk is used for the rest
        handle.write("入居者番号,氏名\n".encode() * 1000)
        handle.truncate(257 << 20)
    done = _sweep(str(tree), "--plan", str(plan))
    assert done.returncode == 1, done.stdout + done.stderr
    assert json.loads(done.stdout)["findings"] == []
    assert "too large" in _unreadable_entry(json.loads(done.stdout), big.name)
    assert "could not be searched" in done.stderr
