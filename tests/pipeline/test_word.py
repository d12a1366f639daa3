"""Word tables (.docx): every table, merged cells resolved, positions by table and row."""

from __future__ import annotations

from pathlib import Path

import pytest

from mappings.errors import HeaderNotFoundError, UnreadableFileError
from pipeline.extract.readers import detect_format, read_docx
from pipeline.run import rehearse
from tests.conftest import add_members_table

HEADER = ["入居者番号", "続柄番号", "続柄", "氏名"]


def _members_docx(path: Path, rows: list[list[str]], *, merge: bool = True) -> None:
    """A Word document as offices keep them: a heading, a note table, the members table."""
    import docx

    document = docx.Document()
    document.add_paragraph("世帯員名簿（令和6年度）")
    note = document.add_table(rows=1, cols=2)
    note.cell(0, 0).text = "作成"
    note.cell(0, 1).text = "住宅課"
    table = document.add_table(rows=1 + len(rows), cols=len(HEADER))
    for c, name in enumerate(HEADER):
        table.cell(0, c).text = name
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value:
                table.cell(r, c).text = value
    if merge:  # the first two members share a merged tenant-number cell, as typed in Word
        table.cell(1, 0).merge(table.cell(2, 0))
        table.cell(1, 0).text = rows[0][0]
    document.save(str(path))


def test_word_tables_come_out_as_grids(tmp_path: Path) -> None:
    path = tmp_path / "members.docx"
    _members_docx(path, [["000001", "1", "妻", "山田 花子"], ["", "2", "子", "山田 一郎"]])
    data = path.read_bytes()
    assert detect_format(data, "docx", path.name) == "docx"
    grids = dict(read_docx(data, path.name, None))
    assert list(grids) == ["table 1", "table 2"]
    assert grids["table 2"][0] == HEADER
    assert [row[0] for row in grids["table 2"][1:]] == ["000001", "000001"]  # merge resolved
    with pytest.raises(HeaderNotFoundError, match="not a table 5"):
        read_docx(data, path.name, [5])
    with pytest.raises(UnreadableFileError):
        read_docx(data[:200] + b"\0" * 50, path.name, None)


def test_members_from_a_word_table_join_tenants(housing_plan: Path) -> None:
    folder = housing_plan.parent
    rows = [[f"{i:06d}", "1", "妻", f"会員 {i}"] for i in range(1, 6)]
    rows.append(["999999", "1", "子", "孤立 太郎"])  # no such tenant
    _members_docx(folder / "data" / "members.docx", rows, merge=False)
    add_members_table(housing_plan, "data/members.docx")
    result = rehearse(housing_plan)
    members = result.report.data["tables"]["members"]
    assert result.report.status == "reconciled"
    assert members["loaded"] == 5
    assert members["rejects"] == [
        {
            "file": "data/members.docx",
            "sheet": "table 2",
            "row": 7,
            "reasons": ["tenant_id.fk_missing"],
        }
    ]
