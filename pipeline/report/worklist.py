"""The office's worklist: one line per finding on a row, to follow up in the source.

``worklist.csv`` sits beside the report: file, sheet and row, the column, the
finding's slug, its sentence and what to do — rejected rows first, then rows
loaded with a note, then cells loaded empty under ``on_error: null``, in
source order. A duplicate key's line names the rows it collides with ("same
key as row 14 of sheet 2013 in ledger.xlsx"). Like the report it holds
positions, rule names and sentences from the finding catalog, never a cell's
value; its SHA-256 is chained with the report's. It is written as UTF-8 with
a byte order mark, so Excel on a Japanese Windows opens it without garbling.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ikou.findings import describe
from ikou.pipeline.report.collisions import same_key_as

__all__ = ["WORKLIST", "worklist_rows", "write_worklist"]

WORKLIST = "worklist.csv"

_HEADER = {
    "ja": ("表", "ファイル", "シート", "行", "列", "理由コード", "内容", "対応"),
    "en": ("table", "file", "sheet", "row", "column", "finding", "what", "action"),
}
_ACTION = {
    "ja": {
        "reject": (
            "元の台帳で確認・修正し、リハーサルをやり直してください（この行は登録されていません）"
        ),
        "note": "登録された値を新システムで確認してください",
        "cleared": "このセルは空欄で登録されました。新システムで正しい値を入力してください",
    },
    "en": {
        "reject": (
            "check and correct it in the source, then rehearse again (the row was not loaded)"
        ),
        "note": "check the loaded value in the new system",
        "cleared": "the cell was loaded empty; enter the right value in the new system",
    },
}


def _column(slug: str) -> str:
    """The target column (or key, ``a+b``) a row finding names: the slug's first part."""
    return slug.split(".", 1)[0]


def worklist_rows(report: dict[str, Any], lang: str = "ja") -> list[tuple[str, ...]]:
    """The worklist's lines (header first) from a report's dictionary."""
    words = "ja" if lang == "ja" else "en"
    rows: list[tuple[str, ...]] = [_HEADER[words]]
    for table, facts in (report.get("tables") or {}).items():
        for kind, listed in (
            ("reject", facts.get("rejects", [])),
            ("note", facts.get("notes", [])),
            ("cleared", facts.get("cleared", [])),
        ):
            for place in listed:
                collides = {c["slug"]: c for c in place.get("collides", [])}
                for slug in place["reasons"]:
                    what = describe(slug, words, note=kind == "note")
                    collision = collides.get(slug.removesuffix("_kept"))
                    if collision is not None:
                        what += ("（{}）" if words == "ja" else " ({})").format(
                            same_key_as(collision, words)
                        )
                    rows.append(
                        (
                            table,
                            str(place["file"]),
                            str(place["sheet"]),
                            str(place["row"]),
                            _column(slug),
                            slug,
                            what,
                            _ACTION[words][kind],
                        )
                    )
    return rows


def write_worklist(report: dict[str, Any], run_dir: Path, lang: str = "ja") -> Path:
    """Write ``worklist.csv`` into ``run_dir`` (UTF-8 with BOM, CRLF as Excel writes)."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(worklist_rows(report, lang))
    path = run_dir / WORKLIST
    path.write_text(text.getvalue(), encoding="utf-8-sig", newline="")
    return path
