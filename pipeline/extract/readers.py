"""Readers: bytes of one legacy file → the grids of its selected sheets.

* ``.xls`` (BIFF) with xlrd: the workbook's date mode is honoured and
  date-formatted cells become ``date``/``datetime``; error cells become
  :class:`audit.hashing.CellError`, never text.
* ``.xlsx`` with python-calamine (never openpyxl for bulk reading: it is ~10×
  slower on a 200,000-row ledger). calamine reads error cells as empty
  strings, so the sheet XML is scanned for error cells first and, only where
  there are some, openpyxl marks them.
* CSV with BOM / UTF-8 / CP932 detection. Shift_JIS is always decoded as
  ``cp932``: ``shift_jis`` cannot decode 髙 or ①, and ``shift_jisx0213``
  silently turns 髙 and 﨑 into other kanji.

Files are read into memory once and parsed from memory, so a later decryption
step can hand a reader plaintext that never touched the disk.
"""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
import io
import zipfile
import zlib
from collections.abc import Sequence
from typing import Any

from audit.hashing import CellError
from mappings.errors import (
    EncodingError,
    EncryptedFileError,
    HeaderNotFoundError,
    UnreadableFileError,
)
from pipeline.extract.decrypt import is_encrypted_document

__all__ = [
    "Grid",
    "detect_format",
    "read_csv",
    "read_docx",
    "read_xls",
    "read_xlsx",
    "select_sheets",
]

Grid = list[list[Any]]
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_WORD = "WordDocument".encode("utf-16-le")


def detect_format(data: bytes, declared: str, file: str) -> str:
    """The format to read ``data`` as, from its magic bytes where it has any.

    A workbook saved with the wrong extension is read for what it is; an
    encrypted Office file is refused here with one clear sentence.
    """
    if data.startswith(_CFB):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise EncryptedFileError(f"{file} is password-protected.", file=file)
        if _WORD in data:
            if is_encrypted_document(data):
                raise EncryptedFileError(f"{file} is password-protected.", file=file)
            return "doc"
        return "xls"
    if data.startswith(_ZIP):
        return "docx" if _is_word(data) else "xlsx"
    if declared in ("xls", "xlsx"):
        kind = "an .xls" if declared == "xls" else "an .xlsx"
        raise UnreadableFileError(
            f"{file} is not {kind} workbook (it may be truncated, or HTML/XML saved under an "
            "Excel name); open it in Excel and save it again as .xlsx.",
            file=file,
        )
    return declared


def select_sheets(
    available: Sequence[tuple[str, bool]], wanted: Sequence[str] | None, file: str
) -> list[str]:
    """Pick sheets by name or glob; hidden sheets only when named exactly.

    An error names the pattern that matched nothing but does not list the
    file's sheet names: offices name sheets after people too, and this
    message goes into the report and the audit trail.
    """
    visible = [name for name, hidden in available if not hidden]
    if wanted is None:
        if not visible:
            raise HeaderNotFoundError(
                f"{file} has no visible sheet; name one under sheets:.", file=file
            )
        return visible
    chosen: list[str] = []
    names = [name for name, _ in available]
    for pattern in wanted:
        if pattern in names:
            matches = [pattern]
        else:
            matches = [n for n in visible if fnmatch.fnmatchcase(n, pattern)]
        if not matches:
            raise HeaderNotFoundError(
                f"{file} has no sheet {pattern!r} ({len(visible)} visible and "
                f"{len(names) - len(visible)} hidden sheet(s)); open the file to check the "
                "name, then correct sheets: in the plan.",
                file=file,
                sheet=pattern,
            )
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def _unreadable(file: str, kind: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{file} cannot be read as {kind} (corrupt or truncated); open it in Excel, "
        "save a fresh copy and point the plan at that.",
        file=file,
    )


def read_xls(data: bytes, file: str, sheets: Sequence[str] | None) -> list[tuple[str, Grid]]:
    """Grids of the selected sheets of a BIFF ``.xls`` workbook."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise EncryptedFileError(f"{file} is password-protected.", file=file) from None
        raise _unreadable(file, "an .xls workbook") from None
    except Exception:  # xlrd raises AssertionError, struct.error… on damaged files
        raise _unreadable(file, "an .xls workbook") from None
    try:
        visibility = list(getattr(book, "_sheet_visibility", []))
        names = book.sheet_names()
        available = [
            (name, bool(visibility[i]) if i < len(visibility) else False)
            for i, name in enumerate(names)
        ]
        out: list[tuple[str, Grid]] = []
        for name in select_sheets(available, sheets, file):
            try:
                sheet = book.sheet_by_name(name)
                out.append((name, _xls_grid(sheet, book.datemode)))
            except Exception:
                raise _unreadable(f"{file}, sheet {name!r},", "an .xls sheet") from None
        return out
    finally:
        book.release_resources()


def _xls_grid(sheet: Any, datemode: int) -> Grid:
    import xlrd

    empty = (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK)
    grid: Grid = []
    for r in range(sheet.nrows):
        types = sheet.row_types(r)
        values = sheet.row_values(r)
        row: list[Any] = []
        for ctype, value in zip(types, values, strict=True):
            if ctype in empty:
                row.append(None)
            elif ctype == xlrd.XL_CELL_TEXT:
                row.append(value if value != "" else None)
            elif ctype == xlrd.XL_CELL_DATE:
                row.append(_xls_date(value, datemode))
            elif ctype == xlrd.XL_CELL_BOOLEAN:
                row.append(bool(value))
            elif ctype == xlrd.XL_CELL_ERROR:
                row.append(CellError(xlrd.error_text_from_code.get(value, "#ERROR")))
            else:
                row.append(value)
        grid.append(row)
    return grid


def _xls_date(value: float, datemode: int) -> Any:
    import xlrd

    try:
        stamp = xlrd.xldate_as_datetime(value, datemode)
    except Exception:  # ambiguous pre-1900-03-01 serials stay numbers
        return value
    if stamp.time() == dt.time(0, 0):
        return stamp.date()
    return stamp


def read_xlsx(data: bytes, file: str, sheets: Sequence[str] | None) -> list[tuple[str, Grid]]:
    """Grids of the selected sheets of an ``.xlsx``/``.xlsm`` workbook (calamine)."""
    import python_calamine as pc

    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError:
        raise EncryptedFileError(
            f"{file} is password-protected; remove the password in a copy.", file=file
        ) from None
    except BaseException as exc:  # calamine's PanicException is not an Exception
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        raise _unreadable(file, "an .xlsx workbook") from None
    try:
        available = [
            (meta.name, meta.visible != pc.SheetVisibleEnum.Visible)
            for meta in book.sheets_metadata
            if meta.typ == pc.SheetTypeEnum.WorkSheet
        ]
        out: list[tuple[str, Grid]] = []
        errors_present = _has_error_cells(data, file)
        for name in select_sheets(available, sheets, file):
            try:
                rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
                    raise
                raise _unreadable(f"{file}, sheet {name!r},", "an .xlsx sheet") from None
            if errors_present:
                _mark_error_cells(rows, data, file, name)
            out.append((name, rows))  # "" for empty cells: grid.py makes them None
        return out
    finally:
        book.close()


_ERROR_MARKS = (b't="e"', b"t='e'")


def _has_error_cells(data: bytes, file: str) -> bool:
    """Whether any worksheet of an .xlsx holds an error cell (``t="e"``).

    python-calamine returns an error cell (#REF!, #DIV/0!…) as an empty
    string, which would turn it into a silent null. This scan of the sheet
    XML (streamed, stops at the first hit) costs ~0.5 s on a 200,000-row
    sheet; only when it finds something does :func:`_mark_error_cells` pay for
    openpyxl. A damaged part (bad CRC, truncated deflate stream) refuses the
    file: calamine may have read past it, ikou does not.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return False
    try:
        with archive:
            for info in archive.infolist():
                name = info.filename
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                with archive.open(info) as part:
                    tail = b""
                    while chunk := part.read(1 << 20):
                        window = tail + chunk
                        if any(mark in window for mark in _ERROR_MARKS):
                            return True
                        tail = window[-8:]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
        raise _unreadable(file, "an .xlsx workbook") from None
    return False


def _mark_error_cells(rows: Grid, data: bytes, file: str, sheet: str) -> None:
    """Put :class:`CellError` where the sheet has error cells (read with openpyxl)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise _unreadable(file, "an .xlsx workbook") from None
    try:
        for row in book[sheet].iter_rows():
            for cell in row:
                if getattr(cell, "data_type", None) == "e":
                    r, c = cell.row - 1, cell.column - 1
                    while len(rows) <= r:
                        rows.append([])
                    while len(rows[r]) <= c:
                        rows[r].append("")
                    rows[r][c] = CellError(str(cell.value))
    finally:
        book.close()


def _decode(data: bytes, encoding: str, file: str) -> str:
    if encoding == "auto":
        if data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8-sig"
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"
        else:
            for candidate in ("utf-8", "cp932"):
                try:
                    return data.decode(candidate)
                except UnicodeDecodeError:
                    continue
            raise EncodingError(
                f"{file} is neither UTF-8 nor CP932 (Shift_JIS) text; find out how it was "
                "saved and set encoding: in the plan's source.",
                file=file,
            )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        other = "cp932" if encoding.startswith("utf") else "utf-8"
        raise EncodingError(
            f"{file} does not decode as {encoding} at line {line}; "
            f"try encoding: auto or encoding: {other}.",
            file=file,
            row=line,
        ) from None


def _is_word(data: bytes) -> bool:
    """Whether a zip package is a Word document (``word/document.xml``)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def read_docx(data: bytes, file: str, tables: Sequence[int] | None) -> list[tuple[str, Grid]]:
    """Grids of a Word document's tables (python-docx), named ``table 1``, ``table 2`` …

    Merged cells are resolved — a value merged across columns or down rows
    repeats in each cell it covers — and the paragraphs of a cell are joined
    by line breaks. ``tables`` picks by 1-based index; by default every table
    comes back and ``header_row: auto`` keeps the ones that carry the header.
    """
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        found = document.tables
    except Exception:  # python-docx raises KeyError, ValueError, lxml errors on damage
        raise _unreadable(file, "a .docx document") from None
    if not found:
        raise HeaderNotFoundError(f"{file} has no table; a Word source must hold one.", file=file)
    wanted = list(tables) if tables is not None else list(range(1, len(found) + 1))
    out: list[tuple[str, Grid]] = []
    for number in wanted:
        if not 1 <= number <= len(found):
            raise HeaderNotFoundError(
                f"{file} has {len(found)} table(s), not a table {number}; correct tables: "
                "in the plan.",
                file=file,
            )
        try:
            grid = [[cell.text for cell in row.cells] for row in found[number - 1].rows]
        except Exception:
            raise _unreadable(f"{file}, table {number},", "a Word table") from None
        out.append((f"table {number}", grid))
    return out


def read_csv(data: bytes, file: str, encoding: str, delimiter: str) -> list[tuple[str, Grid]]:
    """The one grid of a CSV file (sheet name ``""``)."""
    text = _decode(data, encoding, file)
    if "\x00" in text:
        raise EncodingError(
            f"{file} contains NUL characters, so it is not plain text in that encoding; "
            "set encoding: (utf-16?) or check the file.",
            file=file,
        )
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        grid: Grid = list(reader)  # "" for empty fields: grid.py makes them None
    except csv.Error as exc:
        raise UnreadableFileError(
            f"{file} is not well-formed CSV near line {reader.line_num} ({exc}); "
            "check its quoting or the plan's delimiter.",
            file=file,
            row=reader.line_num,
        ) from None
    return [("", grid)]
