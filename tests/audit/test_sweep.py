"""The sweep finds exact and derived copies, and nothing in an unrelated tree."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ikou.pipeline.examples.housing import HEADER, make_ledger, write_xls, write_xlsx
from ikou.pipeline.run import rehearse


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
        skipped = {Path(s["path"]).name: s["reason"] for s in result["skipped"]}
        assert "stray.xlsx" in skipped and "reader stopped" in skipped["stray.xlsx"]
