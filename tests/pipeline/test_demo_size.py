"""Issue 18, the demo at size and a demo that never overwrites: the members
table built as one piece of XML is the document python-docx built cell by cell,
and ``ikou demo --dir`` refuses a folder holding its files unless ``--force``.
(How long the demo takes is measured in ``benchmarks/demo.py``, not here.)"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ikou.pipeline.examples import demo_files
from ikou.pipeline.examples.housing import (
    Members,
    make_members,
    write_members_docx,
    write_members_docx_by_cell,
)
from ikou.pipeline.stages.extract.readers import read_docx
from tests.conftest import run_ikou


def _document_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as package:
        return package.read("word/document.xml")


def test_the_members_table_built_at_once_is_the_one_python_docx_built(tmp_path: Path) -> None:
    made = make_members(50, 2026)
    awkward = [  # what escaping and python-docx's run rules must survive
        ["000051", "1", "子", " 山田 & <太郎> ", "R1.5.1"],
        ["000051", "２", "妻", "山田\t花子\nやまだ", "平成元年1月8日"],
        ["000051", "3", "孫", "\u3000「𠮷野」\r\n", ""],
    ]
    members = Members(made.rows + awkward, made.planted_rejects)
    old = write_members_docx_by_cell(members, tmp_path / "old.docx")
    new = write_members_docx(members, tmp_path / "new.docx")

    read_old = read_docx(old.read_bytes(), "old.docx", None)
    read_new = read_docx(new.read_bytes(), "new.docx", None)
    assert read_new == read_old  # ikou's reader sees the same cells
    members_table = read_new[1][1]
    assert len(members_table) == 1 + len(members.rows)
    assert any(not c.isascii() for row in members_table for c in "".join(row))
    assert members_table[-1][0] == "000051"  # merged down: the value repeats
    assert members_table[-2][3] == "山田\t花子\nやまだ"

    xml = _document_xml(new)
    assert _document_xml(old) == xml  # and the very same markup
    assert xml.count(b'<w:vMerge w:val="restart"/>') >= 2  # households merged down


def _plain(text: str) -> str:
    return " ".join(text.split())  # the console wraps long lines


def test_demo_dir_refuses_its_own_files_unless_forced(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    (folder / "data").mkdir(parents=True)
    mapping = folder / "mapping.yaml"
    members = folder / "data" / "members.docx"
    mapping.write_bytes(b"# the office's own mapping\n")
    members.write_bytes(b"not a demo file")
    first = next(p for p in demo_files(folder, twin=True) if p.exists())
    assert first == mapping

    refused = run_ikou("demo", "--dir", str(folder), "--rows", "10")
    assert refused.returncode == 2, refused.stderr
    message = _plain(refused.stderr)
    assert f"{mapping} already exists" in message
    assert "--force" in message and str(members) not in message  # the first one only
    assert mapping.read_bytes() == b"# the office's own mapping\n"
    assert members.read_bytes() == b"not a demo file"
    assert sorted(p.name for p in folder.rglob("*")) == ["data", "mapping.yaml", "members.docx"]

    forced = run_ikou("demo", "--dir", str(folder), "--rows", "10", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "status: reconciled" in forced.stdout
    assert mapping.read_bytes() != b"# the office's own mapping\n"
    assert all(p.exists() for p in demo_files(folder, twin=True))
