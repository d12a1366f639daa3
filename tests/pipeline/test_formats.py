""".ods, .xlsm, .xlsb and Excel 2003 XML sources; caps on unpacked size and cells; the guard."""

from __future__ import annotations

import datetime as dt
import io
import os
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from ikou.audit.hashing import CellError
from ikou.audit.platform import GUARD_AVAILABLE, GuardTripped, guarded
from ikou.errors import (
    EncryptedFileError,
    HeaderNotFoundError,
    SourceTooLargeError,
    UnreadableFileError,
)
from ikou.pipeline.examples.formats import Sheet, write_ods, write_spreadsheetml
from ikou.pipeline.examples.housing import ledger_sheet, make_ledger
from ikou.pipeline.run import rehearse
from ikou.pipeline.stages.extract.package import Limits, scan_package
from ikou.pipeline.stages.extract.readers import (
    detect_format,
    read_docx,
    read_xls,
    read_xlsx,
    read_xml,
)
from tests.conftest import corpus_file, run_ikou

ROWS = [
    ["名簿 <題>", None, None],
    [None, None, None],
    ["番号", "家賃", "入居日"],
    [1, "1,000", CellError("#DIV/0!")],
    [2, 2000.5, dt.date(2020, 1, 2)],
    [None, True, dt.datetime(2020, 1, 2, 3, 4)],
    [3, None, "a&b"],
]
SHEETS = [Sheet("名簿", ROWS, merges=[(0, 0, 2)]), Sheet("隠し", [["x"]], hidden=True)]
EXPECTED = [
    ["名簿 <題>", None, None],
    [None, None, None],
    ["番号", "家賃", "入居日"],
    [1.0, "1,000", "#DIV/0!"],
    [2.0, 2000.5, dt.date(2020, 1, 2)],
    [None, True, dt.datetime(2020, 1, 2, 3, 4)],
    [3.0, None, "a&b"],
]


def _plain(grid: list[list[object]]) -> list[list[object]]:
    return [[None if v == "" else v for v in row] for row in grid]


@pytest.mark.parametrize("kind", ["ods", "xml"])
def test_ods_and_excel_xml_read_values_errors_positions_and_hidden_sheets(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / f"t.{kind}"
    (write_ods if kind == "ods" else write_spreadsheetml)(SHEETS, path)
    data = path.read_bytes()
    assert detect_format(data, "auto", path.name) == kind

    def read(sheets: list[str] | None) -> list[tuple[str, list[list[object]]]]:
        if kind == "ods":
            return read_xlsx(data, path.name, sheets, kind="ods")
        return read_xml(data, path.name, sheets)

    ((name, grid),) = read(None)  # the hidden sheet only when named
    assert name == "名簿"
    assert _plain(grid) == EXPECTED
    assert isinstance(grid[3][2], CellError)  # an error cell, never "" nor text
    assert read(["隠し"]) == [("隠し", [["x"]])]
    with pytest.raises(HeaderNotFoundError):
        read(["その他"])


def test_excel_xml_follows_row_and_cell_indexes_spans_and_merges(tmp_path: Path) -> None:
    path = tmp_path / "i.xml"
    path.write_text(
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="S"><Table>'
        '<Row ss:Span="1"><Cell ss:MergeAcross="1"><Data ss:Type="String">t</Data></Cell>'
        '<Cell><Data ss:Type="Number">9</Data></Cell></Row>'
        '<Row><Cell ss:Index="2"><ss:Data ss:Type="String" xmlns="http://www.w3.org/TR/REC-html40">'
        "<B>太</B>字</ss:Data></Cell></Row>"
        '<Row ss:Index="5"><Cell><Data ss:Type="Boolean">0</Data></Cell></Row>'
        "</Table></Worksheet></Workbook>",
        encoding="utf-8",
    )
    ((_, grid),) = read_xml(path.read_bytes(), "i.xml", None)
    assert grid == [
        ["t", None, 9.0],
        [None, None, None],  # ss:Span="1": the first row covers row 2 as well
        [None, "太字", None],
        [None, None, None],
        [False, None, None],
    ]


def test_excel_xml_refuses_entities_and_damage_with_one_sentence(tmp_path: Path) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet><Table><Row>'
        b'<Cell><Data ss:Type="String">&b;</Data></Cell></Row></Table></Worksheet></Workbook>'
    )
    with pytest.raises(UnreadableFileError, match="entities"):
        read_xml(bomb, "bomb.xml", None)
    broken = (
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="S"><Table>'
        '<Row ss:Index="4"><Cell ss:Index="2"><Data ss:Type="Number">四万五千</Data></Cell></Row>'
        "</Table></Worksheet></Workbook>"
    ).encode()
    with pytest.raises(UnreadableFileError, match=r"sheet 'S', row 4, column 2 is a Number") as bad:
        read_xml(broken, "n.xml", None)
    assert "四万五千" not in str(bad.value) and bad.value.where.row == 4
    good = tmp_path / "g.xml"
    write_spreadsheetml(SHEETS, good)
    with pytest.raises(UnreadableFileError, match="not well-formed XML near line") as caught:
        read_xml(good.read_bytes()[:-300], "g.xml", None)
    assert caught.value.where.file == "g.xml"


def test_ods_error_cells_in_repeated_and_offset_positions(tmp_path: Path) -> None:
    sheet = Sheet("S", [[None, None], [None, "見出し"], [None, CellError("#N/A")]])
    path = write_ods([sheet], tmp_path / "o.ods")
    ((_, grid),) = read_xlsx(path.read_bytes(), "o.ods", None, kind="ods")
    assert grid[2][1] == "#N/A" and isinstance(grid[2][1], CellError)
    assert not isinstance(grid[1][1], CellError)


def test_xlsm_values_are_read_and_macros_never_run() -> None:
    data = corpus_file("xlsx/calamine__vba.xlsm").read_bytes()
    assert detect_format(data, "xlsm", "vba.xlsm") == "xlsx"
    assert read_xlsx(data, "vba.xlsm", None)  # calamine has no VBA engine: values only


def test_xlsb_is_read_in_the_guarded_reader() -> None:
    data = corpus_file("xlsx/calamine__date_1904.xlsb").read_bytes()
    assert detect_format(data, "auto", "d.xlsb") == "xlsb"
    ((_, grid),) = read_xlsx(data, "d.xlsb", None, kind="xlsb")
    assert grid[0] == [dt.date(2021, 1, 1), 15.0]


def test_xlsb_error_cells_are_error_cells_not_blanks() -> None:
    """The corpus workbook with B1's number record replaced by a #DIV/0! error record."""
    template = zipfile.ZipFile(corpus_file("xlsx/calamine__date_1904.xlsb"))
    sheet = template.read("xl/worksheets/sheet1.bin")
    number = bytes([2, 12]) + bytes.fromhex("010000000200000000002e40")  # BrtCellRk, B1
    error = bytes([3, 9]) + bytes.fromhex("010000000200000007")  # BrtCellError, B1, #DIV/0!
    assert sheet.count(number) == 1
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in template.infolist():
            body = template.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.bin":
                body = body.replace(number, error)
            target.writestr(info.filename, body)
    ((_, grid),) = read_xlsx(out.getvalue(), "e.xlsb", None, kind="xlsb")
    assert grid[0][1] == "#DIV/0!" and isinstance(grid[0][1], CellError)
    assert grid[1][1] == 16.0


def test_encrypted_ods_is_refused_as_encrypted() -> None:
    data = corpus_file("encrypted/calamine__pass_protected.ods").read_bytes()
    with pytest.raises(EncryptedFileError, match="OpenDocument encryption"):
        read_xlsx(data, "p.ods", None, kind="ods")


def _bomb(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * size + b"/>")
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_after_the_unpacked_limit() -> None:
    data = _bomb(50 << 20)
    assert len(data) < 100_000  # 50 MB inflates from ~50 kB
    with pytest.raises(SourceTooLargeError, match="unpacks to more than 10 MB") as caught:
        read_xlsx(data, "b.xlsx", None, Limits(unpacked_bytes=10 << 20))
    assert caught.value.slug == "source.too_large"
    with pytest.raises(SourceTooLargeError):
        read_docx(data, "b.docx", None, Limits(unpacked_bytes=10 << 20))


def _far_cell_xlsx(path: Path, far: str = "XFD1048576") -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "S"
    sheet["A1"] = "番号"
    sheet["A2"] = 1
    sheet[far] = "x"
    book.save(path)
    return path


@pytest.mark.skipif(not GUARD_AVAILABLE, reason="the guard is Linux-only")
def test_a_stray_value_in_the_last_cell_is_refused_not_a_crash(tmp_path: Path) -> None:
    """calamine asks for 512 GB and aborts the process on this file when read inline."""
    data = _far_cell_xlsx(tmp_path / "far.xlsx").read_bytes()
    scan = scan_package(data, "far.xlsx", "xlsx", Limits())
    assert scan.extents == {"xl/worksheets/sheet1.xml": (1048576, 16384)}
    with pytest.raises(SourceTooLargeError, match=r"1,048,576 rows × 16,384 columns.*stopped"):
        read_xlsx(data, "far.xlsx", None, Limits(memory_bytes=1 << 30))


def test_a_sheet_beyond_the_cell_limit_names_its_extent(tmp_path: Path) -> None:
    data = _far_cell_xlsx(tmp_path / "wide.xlsx", far="AZ400").read_bytes()
    with pytest.raises(SourceTooLargeError, match=r"spans 400 rows × 52 columns") as caught:
        read_xlsx(data, "wide.xlsx", None, Limits(cells=10_000))
    assert caught.value.where.sheet == "S"
    assert read_xlsx(data, "wide.xlsx", None, Limits(cells=30_000))
    book = tmp_path / "c.xls"
    import xlwt

    workbook = xlwt.Workbook()
    workbook.add_sheet("S").write(999, 99, 1)
    workbook.save(str(book))
    with pytest.raises(SourceTooLargeError, match="1,000 rows × 100 columns"):
        read_xls(book.read_bytes(), "c.xls", None, Limits(cells=50_000))


def test_formatted_empty_cells_to_the_last_row_are_not_data() -> None:
    """Gnumeric writes a styled empty cell in every row down to 1,048,576."""
    data = corpus_file("xlsx/calamine__issue_174.xlsx").read_bytes()
    ((_, grid),) = read_xlsx(data, "g.xlsx", None)
    assert len(grid) == 2


@pytest.mark.skipif(not GUARD_AVAILABLE, reason="the guard is Linux-only")
def test_the_guard_returns_reraises_and_trips() -> None:
    assert guarded(lambda: [[1, "a"]], seconds=10, memory_bytes=1 << 30) == [[1, "a"]]

    def typed() -> None:
        raise UnreadableFileError("x.xlsx is bad.", file="x.xlsx")

    with pytest.raises(UnreadableFileError) as caught:
        guarded(typed, seconds=10, memory_bytes=1 << 30)
    assert caught.value.where.file == "x.xlsx"
    with pytest.raises(GuardTripped) as tripped:
        guarded(os.abort, seconds=10, memory_bytes=1 << 30)
    assert tripped.value.reason == "crash"
    with pytest.raises(GuardTripped) as tripped:
        guarded(lambda: bytearray(2 << 30), seconds=10, memory_bytes=1 << 30)
    assert tripped.value.reason == "memory"
    started = time.monotonic()
    with pytest.raises(GuardTripped) as tripped:
        guarded(lambda: time.sleep(30), seconds=0.5, memory_bytes=1 << 30)
    assert tripped.value.reason == "time" and time.monotonic() - started < 10


@pytest.mark.parametrize("kind", ["ods", "xml"])
def test_the_housing_ledger_rehearses_the_same_from_ods_and_excel_xml(
    housing_plan: Path, kind: str
) -> None:
    from ikou.pipeline.examples.housing import write_xls

    folder = housing_plan.parent
    ledger = make_ledger(40, 11)
    write_xls(ledger, folder / "data" / "ledger.xls")
    name = f"ledger.{kind}"
    (write_ods if kind == "ods" else write_spreadsheetml)(
        [ledger_sheet(ledger)], folder / "data" / name
    )
    results = {}
    for source in ("ledger.xls", name):
        text = housing_plan.read_text(encoding="utf-8").replace(
            "data/ledger*.xls", f"data/{source}"
        )
        plan = folder / f"plan-{source}.yaml"
        plan.write_text(text, encoding="utf-8")
        report = rehearse(plan).report.data
        assert report["status"] == "reconciled", source
        table = report["tables"]["tenants"]
        rejects = [(r["row"], r["reasons"]) for r in table["rejects"]]
        results[source] = (table["loaded"], rejects, table["controls"])
    assert results[name] == results["ledger.xls"]


def test_declared_formats_refuse_what_they_are_not(tmp_path: Path) -> None:
    for declared in ("ods", "xml", "xlsb", "doc", "docx"):
        with pytest.raises(UnreadableFileError):
            detect_format(b"just text, no workbook", declared, f"f.{declared}")


def test_cli_exit_2_and_one_sentence_for_a_bomb(housing_plan: Path) -> None:
    folder = housing_plan.parent
    (folder / "data" / "ledger.xls").unlink()
    (folder / "data" / "ledger.xlsx").write_bytes(_bomb(3 << 20))
    text = housing_plan.read_text(encoding="utf-8")
    text = text.replace("data/ledger*.xls", "data/ledger.xlsx").replace(
        "sheets: [入居者台帳]", "sheets: [入居者台帳]\n    limits: {unpacked_mb: 1}"
    )
    housing_plan.write_text(text, encoding="utf-8")
    done = run_ikou("rehearse", str(housing_plan))
    assert done.returncode == 2, done.stderr
    assert "unpacks to more than 1 MB" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_workbook_embedding_a_word_document_is_still_a_workbook() -> None:
    """Only the container's top-level streams decide; an embedded object does not."""
    data = corpus_file("xls/poi__excel_with_embeded.xls").read_bytes()
    assert "WordDocument".encode("utf-16-le") in data
    assert detect_format(data, "xls", "e.xls") == "xls"
    assert [name for name, _ in read_xls(data, "e.xls", None)] == ["Sheet1", "Sheet2", "Sheet3"]


def test_excel_4_bare_biff_streams_are_read_with_xlrd() -> None:
    data = corpus_file("xls/xlrd__biff4_no_format_no_window2.xls").read_bytes()
    assert detect_format(data, "xls", "b4.xls") == "xls"
    ((_, grid),) = read_xls(data, "b4.xls", None)
    assert grid[0] == ["ID", "TOTAL", "MAIN", "SUB"]


@pytest.mark.parametrize("kind", ["ods", "xml"])
def test_an_error_cell_rejects_its_row_by_position(housing_plan: Path, kind: str) -> None:
    folder = housing_plan.parent
    ledger = make_ledger(30, 4)
    index = next(i for i, row in enumerate(ledger.rows) if isinstance(row[0], str) and i > 3)
    ledger.rows[index][8] = CellError("#REF!")  # the rent cell: a formula that broke
    name = f"ledger.{kind}"
    (write_ods if kind == "ods" else write_spreadsheetml)(
        [ledger_sheet(ledger)], folder / "data" / name
    )
    plan = folder / f"plan-{kind}.yaml"
    plan.write_text(
        housing_plan.read_text(encoding="utf-8").replace("data/ledger*.xls", f"data/{name}"),
        encoding="utf-8",
    )
    rejects = rehearse(plan).report.data["tables"]["tenants"]["rejects"]
    row = index + 5  # title, credit line, group headers, header, then the ledger's rows
    assert {
        "file": f"data/{name}",
        "sheet": "入居者台帳",
        "row": row,
        "reasons": ["rent.cell.error"],
    } in rejects


@pytest.mark.skipif(not GUARD_AVAILABLE, reason="the guard is Linux-only")
def test_the_guarded_worker_survives_its_jobs_crashing() -> None:
    from ikou.audit.platform import GuardedWorker

    def handler(job: object) -> object:
        if job == "abort":
            os.abort()
        if job == "sleep":
            time.sleep(30)
        if job == "raise":
            raise UnreadableFileError("bad.xlsx is bad.", file="bad.xlsx")
        return job

    outcomes = []
    with GuardedWorker(handler, seconds=1, memory_bytes=1 << 30) as worker:
        for job in [1, "abort", 2, "sleep", 3, "raise", 4]:
            try:
                outcomes.append(worker.run(job))
            except GuardTripped as exc:
                outcomes.append(exc.reason)
            except UnreadableFileError as exc:
                outcomes.append(exc.where.file)
    assert outcomes == [1, "crash", 2, "time", 3, "bad.xlsx", 4]
