"""Word tables (.docx): every table, merged cells resolved, positions by table and row."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from ikou.errors import HeaderNotFoundError, UnreadableFileError
from ikou.pipeline.run import rehearse
from ikou.pipeline.stages.extract.readers import detect_format, read_docx
from tests.conftest import add_members_table, keep_target, run_ikou

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


needs_libreoffice = pytest.mark.usefixtures("libreoffice")


def _members_doc(folder: Path, rows: list[list[str]]) -> Path:
    """A Word 97-2003 .doc made by code: python-docx, then LibreOffice to .odt and
    to .doc (LibreOffice's direct .docx → .doc export drops python-docx tables)."""
    from ikou.pipeline.stages.extract.word97 import soffice

    work = folder / "make-doc"
    work.mkdir()
    _members_docx(work / "members.docx", rows, merge=False)
    for target, source, out in (
        ("odt", work / "members.docx", work),
        ("doc:MS Word 97", work / "members.odt", folder / "data"),
    ):
        subprocess.run(
            [
                str(soffice()),
                "--headless",
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--convert-to",
                target,
                "--outdir",
                str(out),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    return folder / "data" / "members.doc"


@needs_libreoffice
def test_a_doc_is_converted_through_the_artifact_store(housing_plan: Path) -> None:
    folder = housing_plan.parent
    rows = [[f"{i:06d}", "1", "妻", f"会員 {i}"] for i in range(1, 4)]
    doc = _members_doc(folder, rows)
    assert doc.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    add_members_table(housing_plan, "data/members.doc")
    result = rehearse(housing_plan)
    assert result.report.status == "reconciled"
    assert result.report.data["tables"]["members"]["loaded"] == 3
    files = result.report.data["sources"]["members"]["files"]
    assert [f.get("reader") for f in files] == ["doc97+libreoffice"]  # both read, agreed
    assert "二つの方法で読み" in (result.run_dir / "report.html").read_text(encoding="utf-8")
    artifacts = result.report.data["artifacts"]
    assert [a["purpose"] for a in artifacts] == [
        "Word .doc handed to LibreOffice",
        "LibreOffice conversion to .docx",
    ]
    assert all(a["shredded"] and a["verified"] and not a["encrypted"] for a in artifacts)
    scratch = Path("/dev/shm") / f"ikou-{result.report.data['run_id']}"
    assert not scratch.exists()


@needs_libreoffice
def test_a_run_killed_with_an_artifact_on_disk_is_cleaned_up(housing_plan: Path) -> None:
    folder = housing_plan.parent
    _members_doc(folder, [["000001", "1", "妻", "会員 1"]])
    add_members_table(housing_plan, "data/members.doc")
    env = {**os.environ, "IKOU_FAULT": "artifact.written"}
    killed = run_ikou("rehearse", str(housing_plan), env=env)
    assert killed.returncode == -9
    journal = (folder / "ikou-work" / "custody.journal").read_text(encoding="utf-8")
    left = [line for line in journal.splitlines() if '"artifact.registered"' in line]
    assert len(left) == 1
    path = Path(__import__("json").loads(left[0])["path"])
    assert path.exists()  # the plaintext .doc copy is on disk …
    env.pop("IKOU_FAULT")
    again = run_ikou("rehearse", str(housing_plan), env=env)
    assert again.returncode == 0, again.stderr
    assert "1 artifact(s) shredded" in again.stderr
    assert not path.exists() and not path.parent.exists()  # … and gone after the next run


def _stat(pid: int | str) -> tuple[bytes, int, int]:
    """State, parent and session of a process, from /proc (OSError once it is gone)."""
    text = Path(f"/proc/{pid}/stat").read_bytes()
    state, ppid, _, session = text[text.rindex(b")") + 2 :].split()[:4]
    return state, int(ppid), int(session)


def _libreoffice_started_by(ikou: int) -> tuple[int, Path] | None:
    """The session and profile folder of a running ``soffice.bin`` whose session
    leader (run_child's watchdog) is a child of ``ikou``."""
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{entry}/comm").read_bytes().strip() != b"soffice.bin":
                continue
            state, _, session = _stat(entry)
            args = Path(f"/proc/{entry}/cmdline").read_bytes().decode().split("\0")
            if state == b"Z" or _stat(session)[1] != ikou:
                continue
        except OSError:
            continue
        for arg in args:
            if arg.startswith("-env:UserInstallation="):
                return session, Path(unquote(urlparse(arg.partition("=")[2]).path))
    return None


def _running_in(session: int) -> list[int]:
    """Live processes (not zombies) of ``session``."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            state, _, sid = _stat(entry)
        except OSError:
            continue
        if sid == session and state != b"Z":
            found.append(int(entry))
    return found


def _within(seconds: float, condition: Callable[[], bool]) -> bool:
    """Whether ``condition`` comes true within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@needs_libreoffice
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc: Linux only")
def test_libreoffice_dies_with_a_run_killed_mid_conversion(housing_plan: Path) -> None:
    """Issue 14, item 8: ikou killed (SIGKILL) while LibreOffice converted a .doc left
    soffice.bin running, and it re-created the scratch folder, mode 0755."""
    folder = housing_plan.parent
    _members_doc(folder, [[f"{i:06d}", "1", "妻", f"会員 {i}"] for i in range(1, 4)])
    add_members_table(housing_plan, "data/members.doc")
    with open(folder / "ikou.out", "wb") as out:
        ikou = subprocess.Popen(
            [sys.executable, "-m", "ikou", "rehearse", str(housing_plan)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    session = 0
    scratch = Path("/nonexistent")
    try:
        found = None
        deadline = time.monotonic() + 120
        while found is None and ikou.poll() is None and time.monotonic() < deadline:
            found = _libreoffice_started_by(ikou.pid)
            time.sleep(0.005)
        assert found, "never saw soffice.bin: " + (folder / "ikou.out").read_text("utf-8")
        session, profile = found
        scratch = profile.parent
        for pid in _running_in(session):  # freeze it mid-conversion: it cannot finish alone
            if pid != session:
                os.kill(pid, signal.SIGSTOP)
        os.kill(ikou.pid, signal.SIGKILL)
        assert ikou.wait() == -signal.SIGKILL
        assert _within(5, lambda: not _running_in(session)), _running_in(session)
        modes = {
            p.name: stat.S_IMODE(p.stat().st_mode)
            for p in (scratch, *scratch.rglob("*"))
            if p.is_dir()
        }
        assert profile.name in modes
        assert set(modes.values()) == {0o700}, modes  # the profile and all LibreOffice made
        shutil.rmtree(scratch)  # as the next run's recovery does: it must stay gone
        assert not _within(2, scratch.exists)
    finally:
        ikou.kill()
        for pid in _running_in(session) if session else ():
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(scratch, ignore_errors=True)


def test_without_libreoffice_a_doc_is_refused_with_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ikou.errors import UnreadableFileError
    from ikou.pipeline.stages.extract import word97

    monkeypatch.setattr(word97, "soffice", lambda: None)
    with pytest.raises(UnreadableFileError, match="libreoffice-writer-nogui"):
        word97.convert_doc(b"x", "members.doc", None)


def test_the_housing_example_reads_its_household_members_from_word(housing_plan: Path) -> None:
    """The bundled example: a Word table made by code, joined to tenants by foreign key."""
    keep_target(housing_plan)  # the test looks into the target
    import sqlite3

    from ikou.pipeline.examples.housing import make_members

    made = make_members(120, 7)  # what the housing_plan fixture wrote
    result = rehearse(housing_plan)
    assert result.report.status == "reconciled"
    members = result.report.data["tables"]["members"]
    assert members["source_rows"] == len(made.rows)
    assert members["loaded"] + members["rejected"] == len(made.rows)
    reasons = [r["reasons"] for r in members["rejects"]]
    assert reasons.count(["relation.allowed"]) == 1
    twice = [r for r in members["rejects"] if "tenant_id+member_no.duplicate" in r["reasons"]]
    assert [r["row"] for r in twice] == [3, 4]  # both copies (the header is row 1)
    assert all(
        set(r) <= {"tenant_id.fk_missing", "relation.allowed", "tenant_id+member_no.duplicate"}
        for r in reasons
    )
    last = {"file": "data/members.docx", "sheet": "table 2", "row": len(made.rows) + 1}
    assert {**last, "reasons": ["tenant_id.fk_missing"]} in members["rejects"]  # the orphan
    with sqlite3.connect(result.run_dir / "target.sqlite") as db:
        dangling = db.execute(
            "select count(*) from members m left join tenants t using (tenant_id) "
            "where t.tenant_id is null"
        ).fetchone()[0]
        merged = db.execute(
            "select count(*) from members where tenant_id in "
            "(select tenant_id from members group by tenant_id having count(*) > 1)"
        ).fetchone()[0]
    assert dangling == 0
    assert merged > 0  # households whose tenant number is one merged Word cell


def _docx_bytes(rows: int, tmp_path: Path) -> bytes:
    import docx

    document = docx.Document()
    table = document.add_table(rows=rows, cols=3)
    for r in range(rows):
        for c in range(3):
            table.cell(r, c).text = f"Row {r + 1}/Cell {c + 1}"
    document.save(str(tmp_path / "office.docx"))
    return (tmp_path / "office.docx").read_bytes()


def test_the_two_readers_of_a_doc_must_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ikou's own Word reader and LibreOffice read the same .doc; a pair that
    differs by one row (LibreOffice's side replaced by a .docx of two rows) is
    refused naming the file and table, never a cell; an agreeing pair reads."""
    from ikou.errors import ReadersDisagreeError
    from ikou.pipeline.stages.extract import word97
    from ikou.pipeline.stages.extract.package import Limits
    from tests.conftest import corpus_file

    data = corpus_file("doc/poi__simple-table2.doc").read_bytes()  # 3 × 3
    store = object()  # convert_doc is replaced: nothing is written
    monkeypatch.setattr(word97, "soffice", lambda: "soffice")
    monkeypatch.setattr(word97, "convert_doc", lambda d, f, s: _docx_bytes(2, tmp_path))
    with pytest.raises(
        ReadersDisagreeError, match=r"t\.doc, table 1: .* 3 rows .* 2 rows"
    ) as caught:
        word97.read_doc(data, "t.doc", None, Limits(), store)  # type: ignore[arg-type]
    assert "Cell" not in str(caught.value) and caught.value.slug == "source.readers_disagree"
    monkeypatch.setattr(word97, "convert_doc", lambda d, f, s: _docx_bytes(3, tmp_path))
    grids, how = word97.read_doc(data, "t.doc", None, Limits(), store)  # type: ignore[arg-type]
    assert how == "doc97+libreoffice" and grids[0][1][2] == ["Row 3/Cell 1", "Row 3/Cell 2",
                                                             "Row 3/Cell 3"]  # fmt: skip

    monkeypatch.setattr(word97, "soffice", lambda: None)  # one reader: said so, still read
    grids, how = word97.read_doc(data, "t.doc", [1], Limits(), store)  # type: ignore[arg-type]
    assert how == "doc97" and len(grids[0][1]) == 3


def test_a_word95_doc_is_read_by_libreoffice_alone_or_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ikou.pipeline.stages.extract import word97
    from ikou.pipeline.stages.extract.package import Limits
    from tests.conftest import corpus_file

    data = corpus_file("doc/poi__Bug60942.doc").read_bytes()  # Word 6.0/95
    monkeypatch.setattr(word97, "soffice", lambda: None)
    with pytest.raises(UnreadableFileError, match=r"Word 6\.0/95"):
        word97.read_doc(data, "old.doc", None, Limits(), object())  # type: ignore[arg-type]
    monkeypatch.setattr(word97, "soffice", lambda: "soffice")
    monkeypatch.setattr(word97, "convert_doc", lambda d, f, s: _docx_bytes(2, tmp_path))
    grids, how = word97.read_doc(data, "old.doc", None, Limits(), object())  # type: ignore[arg-type]
    assert how == "libreoffice" and len(grids[0][1]) == 2
