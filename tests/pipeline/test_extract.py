"""Extraction: formats, header detection, positions, and one clear error per bad file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlwt
from openpyxl import Workbook

from ikou.errors import (
    EncodingError,
    EncryptedFileError,
    HeaderNotFoundError,
    SourceFileError,
    UnreadableFileError,
)
from ikou.pipeline.stages.extract.grid import column_letter, header_key, table_from_grid
from ikou.pipeline.stages.extract.readers import read_csv, read_xls, read_xlsx
from tests.conftest import corpus_file


def _xls(
    path: Path,
    rows: list[list[object]],
    *,
    dates_1904: bool = False,
    hidden: bool = False,
    title: bool = True,
) -> Path:
    book = xlwt.Workbook(encoding="utf-8")
    book.dates_1904 = dates_1904
    sheet = book.add_sheet("台帳")
    date_style = xlwt.easyxf(num_format_str="yyyy/mm/dd")
    offset = 0
    if title:
        sheet.write_merge(0, 0, 0, 3, "入居者台帳")
        sheet.write_merge(1, 1, 0, 1, "入居者")
        offset = 2
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            style = date_style if isinstance(value, dt.date) else xlwt.Style.default_style
            sheet.write(r + offset, c, value, style)
    other = book.add_sheet("隠し")
    other.write(0, 0, "x")
    if hidden:
        other.visibility = 1
    book.save(str(path))
    return path


def test_xls_dates_positions_and_merged_title(tmp_path: Path) -> None:
    for mode in (False, True):
        path = _xls(
            tmp_path / f"l{mode}.xls",
            [
                ["番号", "氏名", "入居日"],
                [1, "山田", dt.date(2010, 10, 7)],
                [2, "田中", "H22.10.7"],
            ],
            dates_1904=mode,
        )
        ((name, grid),) = read_xls(path.read_bytes(), path.name, ["台帳"])
        table = table_from_grid(
            grid, header_row="auto", wanted=["番号", "入居日"], file=path.name, sheet=name
        )
        assert table.header_row == 3 and table.rows == [4, 5]
        assert table.columns["入居日"] == [dt.date(2010, 10, 7), "H22.10.7"]
        assert table.columns["番号"] == [1.0, 2.0]


def test_hidden_sheets_only_when_named(tmp_path: Path) -> None:
    path = _xls(tmp_path / "h.xls", [["a"], [1]], hidden=True)
    assert [n for n, _ in read_xls(path.read_bytes(), "h.xls", None)] == ["台帳"]
    assert [n for n, _ in read_xls(path.read_bytes(), "h.xls", ["*"])] == ["台帳"]
    assert [n for n, _ in read_xls(path.read_bytes(), "h.xls", ["隠し"])] == ["隠し"]
    with pytest.raises(HeaderNotFoundError, match="no sheet 'その他'"):
        read_xls(path.read_bytes(), "h.xls", ["その他"])


def test_xlsx_through_calamine(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "台帳"
    sheet.append(["市営住宅 台帳"])
    sheet.append(["番号", "入居 日"])
    sheet.append([1, dt.datetime(2010, 10, 7)])
    sheet.append([None, None])
    path = tmp_path / "l.xlsx"
    book.save(path)
    ((name, grid),) = read_xlsx(path.read_bytes(), "l.xlsx", None)
    table = table_from_grid(grid, header_row=2, wanted=["入居日"], file="l.xlsx", sheet=name)
    assert table.rows == [3]
    assert table.columns["入居日"][0] in (dt.date(2010, 10, 7), dt.datetime(2010, 10, 7))


def test_two_row_header_takes_names_from_above_for_vertical_merges() -> None:
    grid = [["氏名", "家賃", None], [None, "月額", "共益費"], ["山田", 1, 2]]
    table = table_from_grid(
        grid, header_row=2, wanted=["氏名", "月額", "共益費"], file="f", sheet="s"
    )
    assert table.columns["氏名"] == ["山田"] and table.rows == [3]


def test_header_names_match_across_width_and_line_breaks() -> None:
    grid = [["入居\n年月日", "ＩＤ"], ["x", "y"]]
    table = table_from_grid(
        grid, header_row="auto", wanted=["入居年月日", "ID"], file="f", sheet=None
    )
    assert table.columns["ID"] == ["y"]
    assert header_key("入居　年月日 ") == "入居年月日"
    assert column_letter(0) == "A" and column_letter(27) == "AB"


def test_header_errors_name_file_sheet_and_column() -> None:
    with pytest.raises(HeaderNotFoundError, match=r"f, sheet 's'.*lacks: 電話"):
        table_from_grid(
            [["氏名"], ["x"]], header_row="auto", wanted=["氏名", "電話"], file="f", sheet="s"
        )
    with pytest.raises(HeaderNotFoundError, match="no column '電話' in header row 1"):
        table_from_grid([["氏名"], ["x"]], header_row=1, wanted=["電話"], file="f", sheet="s")
    with pytest.raises(HeaderNotFoundError, match=r"2 columns.*column A\), 氏名 \(column B\)"):
        table_from_grid(
            [["氏名", "氏名"], ["x", "y"]], header_row=1, wanted=["氏名"], file="f", sheet="s"
        )
    with pytest.raises(HeaderNotFoundError, match="is empty"):
        table_from_grid([[None, None]], header_row="auto", wanted=["氏名"], file="f", sheet="s")
    with pytest.raises(HeaderNotFoundError, match="only 2 rows"):
        table_from_grid([["a"], ["b"]], header_row=9, wanted=["a"], file="f", sheet="s")


def test_csv_encodings_keep_every_kanji() -> None:
    text = "氏名,番号\r\n髙橋 ①,1\r\n山﨑,2\r\n"
    for data in (
        text.encode("cp932"),
        text.encode("utf-8"),
        b"\xef\xbb\xbf" + text.encode("utf-8"),
    ):
        ((_, grid),) = read_csv(data, "f.csv", "auto", ",")
        assert grid[1][0] == "髙橋 ①" and grid[2][0] == "山﨑"


def test_csv_bad_encodings_are_one_sentence() -> None:
    with pytest.raises(EncodingError, match="neither UTF-8 nor CP932"):
        read_csv(b"\x81\x7f\xff\xfe\x00abc\x80", "f.csv", "auto", ",")
    with pytest.raises(EncodingError, match="at line 2; try encoding: auto"):
        read_csv("a\n髙\n".encode("cp932"), "f.csv", "utf-8", ",")


@pytest.mark.parametrize("reader", [read_xls, read_xlsx])
def test_truncated_workbooks_are_unreadable_not_crashes(tmp_path: Path, reader: object) -> None:
    path = _xls(tmp_path / "t.xls", [["a"], [1]])
    data = path.read_bytes()
    if reader is read_xlsx:
        book = Workbook()
        book.active.append(["a"])
        book.save(tmp_path / "t.xlsx")
        data = (tmp_path / "t.xlsx").read_bytes()
    with pytest.raises(UnreadableFileError, match="corrupt or truncated"):
        reader(data[: len(data) // 2], "t", None)  # type: ignore[operator]


def test_encrypted_ooxml_is_refused_with_one_sentence() -> None:
    from ikou.pipeline.stages.extract.readers import detect_format

    fake = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100 + "EncryptionInfo".encode("utf-16-le")
    )
    with pytest.raises(EncryptedFileError, match="password-protected"):
        detect_format(fake, "xlsx", "secret.xlsx")


@pytest.mark.parametrize(
    "name",
    [
        "msoffcrypto__rc4cryptoapi_password.xls",
        "msoffcrypto__example_password.xlsx",
        "msoffcrypto__xor_password_123456789012345.xls",
    ],
)
def test_corpus_encrypted_files_are_refused(name: str) -> None:
    from ikou.pipeline.stages.extract.readers import detect_format

    data = (corpus_file(f"encrypted/{name}")).read_bytes()
    with pytest.raises(EncryptedFileError):
        fmt = detect_format(data, "auto", name)
        (read_xls if fmt == "xls" else read_xlsx)(data, name, None)


def test_missing_source_files(tmp_path: Path) -> None:
    from ikou.pipeline.stages.extract import resolve_files

    with pytest.raises(SourceFileError, match="does not exist"):
        resolve_files(tmp_path, "ledger", "none.xls")
    with pytest.raises(SourceFileError, match="no file matches"):
        resolve_files(tmp_path, "ledger", "data/*.xls")


def test_xlsx_error_cells_are_error_cells_not_empty(tmp_path: Path) -> None:
    from ikou.audit.hashing import CellError

    book = Workbook()
    sheet = book.active
    sheet.append(["番号", "家賃"])
    sheet.append([1, "#DIV/0!"])  # openpyxl stores an error code string as an error cell
    sheet.append([2, 45000])
    path = tmp_path / "e.xlsx"
    book.save(path)
    ((_, grid),) = read_xlsx(path.read_bytes(), "e.xlsx", None)
    table = table_from_grid(grid, header_row=1, wanted=["家賃"], file="e.xlsx", sheet="Sheet")
    first = table.columns["家賃"][0]
    assert isinstance(first, CellError) and first == "#DIV/0!"
    assert table.columns["家賃"][1] == 45000
