"""The office's worklist beside the report: every finding on a row, by position."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

from ikou.pipeline.run import rehearse
from tests.conftest import chain_events


def _lines(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel on Japanese Windows
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_every_reject_and_note_is_a_line_with_its_position(housing_plan: Path) -> None:
    result = rehearse(housing_plan)
    header, *lines = _lines(result.run_dir / "worklist.csv")
    assert header == ["表", "ファイル", "シート", "行", "列", "理由コード", "内容", "対応"]
    expected = [
        [name, p["file"], p["sheet"], str(p["row"]), slug.split(".")[0], slug]
        for name, table in result.report.data["tables"].items()
        for listed in (table["rejects"], table["notes"], table["cleared"])
        for p in listed
        for slug in p["reasons"]
    ]
    assert [line[:6] for line in lines] == expected and expected
    assert all(line[6] and line[7] for line in lines)  # a sentence and an action each
    (written,) = [e for e in chain_events(result.audit_log) if e["stage"] == "report"][-1:]
    digest = hashlib.sha256((result.run_dir / "worklist.csv").read_bytes()).hexdigest()
    assert written["worklist_sha256"] == digest


def test_the_worklist_speaks_the_reports_language(housing_plan: Path) -> None:
    result = rehearse(housing_plan, lang="en")
    header, first, *_ = _lines(result.run_dir / "worklist.csv")
    assert header[:6] == ["table", "file", "sheet", "row", "column", "finding"]
    assert first[7].startswith(("check and correct", "check the loaded value"))
