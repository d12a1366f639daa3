"""Word tables (.docx): every table, merged cells resolved, positions by table and row."""

from __future__ import annotations

from pathlib import Path

import pytest

from mappings.errors import HeaderNotFoundError, UnreadableFileError
from pipeline.extract.readers import detect_format, read_docx
from pipeline.run import rehearse

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
    plan = housing_plan.read_text(encoding="utf-8").replace(
        "target:", "  members:\n    rehearsal: data/members.docx\ntarget:", 1
    )
    housing_plan.write_text(plan, encoding="utf-8")
    mapping = folder / "mapping.yaml"
    mapping.write_text(
        mapping.read_text(encoding="utf-8") + "  members:\n    source: members\n    columns:\n"
        "      tenant_id: {from: 入居者番号, transforms: [text, width, {zero_pad: {width: 6}}]}\n"
        "      member_no: {from: 続柄番号, transforms: [integer]}\n"
        "      relation: {from: 続柄}\n"
        "      name: {from: 氏名, transforms: [width, spaces]}\n",
        encoding="utf-8",
    )
    contract = folder / "contract.yaml"
    contract.write_text(
        contract.read_text(encoding="utf-8")
        + "  members:\n    primary_key: [tenant_id, member_no]\n    columns:\n"
        "      tenant_id: {type: string, references: tenants.tenant_id}\n"
        "      member_no: {type: integer}\n"
        "      relation: {type: string}\n"
        "      name: {type: string}\n",
        encoding="utf-8",
    )
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
