"""Readers: bytes of one legacy file → the grids of its selected sheets.

* ``.xls`` (BIFF) with xlrd: the workbook's date mode is honoured and
  date-formatted cells become ``date``/``datetime``; error cells become
  :class:`audit.hashing.CellError`, never text.
* ``.xlsx``/``.xlsm``, ``.ods`` and ``.xlsb`` with python-calamine (never
  openpyxl for bulk reading: it is ~10× slower on a 200,000-row ledger), after
  a scan of the package (zip bombs, sheet extents, error cells — calamine
  reads error cells as empty strings, so they are marked from the XML).
* Excel 2003 XML Spreadsheet with defusedxml (:mod:`.spreadsheetml`).
* ``.docx`` tables with python-docx.
* CSV with BOM / UTF-8 / CP932 detection. Shift_JIS is always decoded as
  ``cp932``: ``shift_jis`` cannot decode 髙 or ①, and ``shift_jisx0213``
  silently turns 髙 and 﨑 into other kanji.

Files are read into memory once and parsed from memory, so a later decryption
step can hand a reader plaintext that never touched the disk.

Longer than 500 lines: the format detection and the three readers share
their limits and error wording, and are read side by side.
"""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
import io
from collections.abc import Iterable, Sequence
from typing import Any

from ikou.audit.hashing import CellError
from ikou.audit.platform import GuardTripped, guarded
from ikou.errors import (
    EncodingError,
    EncryptedFileError,
    HeaderNotFoundError,
    SourceTooLargeError,
    UnreadableFileError,
    position,
)
from ikou.pipeline.stages.extract.decrypt import is_encrypted_document
from ikou.pipeline.stages.extract.grid import Merge, sheet_grid
from ikou.pipeline.stages.extract.ods import ods_error_cells
from ikou.pipeline.stages.extract.package import (
    ZIP_DAMAGE,
    Limits,
    PackageScan,
    package_kind,
    scan_package,
    too_many_cells,
)
from ikou.pipeline.stages.extract.spreadsheetml import is_spreadsheetml, parse_spreadsheetml
from ikou.pipeline.stages.extract.xlsb import xlsb_error_cells

__all__ = [
    "EVERY_SHEET",
    "WORKBOOK_FORMATS",
    "Grid",
    "Limits",
    "detect_format",
    "read_csv",
    "read_docx",
    "read_xls",
    "read_xlsx",
    "read_xml",
    "select_sheets",
]

Grid = list[list[Any]]


class _EverySheet(tuple[str, ...]):
    """The type of :data:`EVERY_SHEET`."""


EVERY_SHEET: tuple[str, ...] = _EverySheet()
"""``sheets`` that selects every sheet, hidden ones too (for ``ikou profile``,
which describes a workbook whole); a plan can never say it."""
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_WORD = "WordDocument".encode("utf-16-le")
_BARE_BIFF = (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")  # BOF records
WORKBOOK_FORMATS = ("xls", "xlsx", "xlsm", "xlsb", "ods", "xml")
_ARTICLE = {
    "xls": "an .xls",
    "xlsx": "an .xlsx",
    "xlsm": "an .xlsm",
    "xlsb": "an .xlsb",
    "ods": "an .ods",
    "xml": "an Excel XML",
}


def detect_format(data: bytes, declared: str, file: str) -> str:
    """The format to read ``data`` as, from its magic bytes where it has any.

    A workbook saved with the wrong extension is read for what it is; an
    encrypted Office file is refused here with one clear sentence.
    """
    if data.startswith(_CFB):
        streams = _ole_streams(data)
        if "encryptioninfo" in streams or (
            not streams and "EncryptionInfo".encode("utf-16-le") in data
        ):
            raise EncryptedFileError(f"{file} is password-protected.", file=file)
        # a workbook may embed a Word document: only a top-level stream decides
        word = "worddocument" in streams if streams else _WORD in data
        if word and not ({"workbook", "book"} & streams):
            if is_encrypted_document(data):
                raise EncryptedFileError(f"{file} is password-protected.", file=file)
            return "doc"
        return "xls"
    if declared == "xls" and _bare_biff(data):  # Excel 2.x–4.0 wrote no OLE container
        return "xls"
    if data.startswith(_ZIP):
        kind = package_kind(data)
        if declared == "docx" and kind != "docx":
            raise _unreadable(file, "a .docx document")
        if kind is None:
            raise _unreadable(file, f"{_ARTICLE.get(declared, 'an .xlsx')} file")
        return kind
    if is_spreadsheetml(data):
        return "xml"
    if declared in ("doc", "docx"):
        raise _unreadable(file, f"a .{declared} document")
    if declared in WORKBOOK_FORMATS:
        raise UnreadableFileError(
            f"{file} is not {_ARTICLE[declared]} file (it may be truncated, or HTML saved under "
            "an Excel name); open it in Excel and save it again as .xlsx.",
            file=file,
        )
    return declared


def _bare_biff(data: bytes) -> bool:
    """Whether ``data`` opens with a BIFF2–8 BOF record (type 0x0009/0x0209/0x0409/0x0809)."""
    return data[:2] in _BARE_BIFF and int.from_bytes(data[2:4], "little") in (4, 6, 8, 16)


def _ole_streams(data: bytes) -> set[str]:
    """The top-level stream names of an OLE compound file, lower-cased (empty if damaged)."""
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            return {
                entry[0].lower()
                for entry in ole.listdir(streams=True, storages=False)
                if len(entry) == 1
            }
    except Exception:  # a damaged container: the readers refuse it with their sentence
        return set()


def select_sheets(
    available: Sequence[tuple[str, bool]], wanted: Sequence[str] | None, file: str
) -> list[str]:
    """Pick sheets by name or glob; hidden sheets only when named exactly.

    An error names the pattern that matched nothing but does not list the
    file's sheet names: offices name sheets after people too, and this
    message goes into the report and the audit trail.
    """
    visible = [name for name, hidden in available if not hidden]
    if wanted is EVERY_SHEET:
        return [name for name, _ in available]
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


def _unreadable(file: str, kind: str, sheet: str | None = None) -> UnreadableFileError:
    where = position(file, sheet) + ("," if sheet else "")
    return UnreadableFileError(
        f"{where} cannot be read as {kind} (corrupt or truncated); open it in Excel, "
        "save a fresh copy and point the plan at that.",
        file=file,
        sheet=sheet,
    )


def read_xls(
    data: bytes, file: str, sheets: Sequence[str] | None, limits: Limits | None = None
) -> list[tuple[str, Grid]]:
    """Grids of the selected sheets of a BIFF ``.xls`` workbook."""
    import xlrd

    limits = limits or Limits()
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
        hidden = dict(available)
        for name in select_sheets(available, sheets, file):
            try:
                sheet = book.sheet_by_name(name)
                if error := too_many_cells(file, name, sheet.nrows, sheet.ncols, limits):
                    raise error
                merged = _xls_merges(book, names.index(name))
                grid = _xls_grid(sheet, book.datemode)
                out.append((name, sheet_grid(grid, merged, hidden[name])))
            except SourceTooLargeError:
                raise
            except Exception:
                raise _unreadable(file, "an .xls sheet", name) from None
        return out
    finally:
        book.release_resources()


def _xls_merges(book: Any, index: int) -> list[Merge]:
    """The merged ranges of sheet ``index``, from its MERGEDCELLS records.

    xlrd reads them only with ``formatting_info``, which also turns every
    formatted empty cell into a cell and so changes a sheet's extent; the
    records are read here from the workbook stream xlrd keeps in memory.
    A damaged or pre-BIFF8 stream has none to give.
    """
    import struct

    memory = getattr(book, "mem", None)
    positions = getattr(book, "_sh_abs_posn", None) or ()
    if getattr(book, "biff_version", 0) < 80 or memory is None or index >= len(positions):
        return []  # merged ranges are recorded from BIFF8 (Excel 97) on
    at = positions[index]
    found: list[Merge] = []
    while at + 4 <= len(memory):
        kind, length = struct.unpack_from("<HH", memory, at)
        body, at = at + 4, at + 4 + length
        if kind == 0x000A:  # EOF: the sheet's records end
            break
        if kind != 0x00E5 or length < 2 or at > len(memory):
            continue
        count = struct.unpack_from("<H", memory, body)[0]
        for offset in range(body + 2, min(body + 2 + 8 * count, at - 7), 8):
            r1, r2, c1, c2 = struct.unpack_from("<HHHH", memory, offset)
            if r1 <= r2 and c1 <= c2:
                found.append((r1, c1, r2, c2))
    return found


def _xls_grid(sheet: Any, datemode: int) -> Grid:
    import xlrd

    empty = (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK)
    # text, numbers and empty cells are what they are ("" for every empty one):
    # a row of only those needs no look at each cell's type
    plain = {xlrd.XL_CELL_TEXT, xlrd.XL_CELL_NUMBER, *empty}
    grid: Grid = []
    for r in range(sheet.nrows):
        types = sheet.row_types(r)
        values = sheet.row_values(r)
        if plain.issuperset(types):
            grid.append([None if v == "" else v for v in values] if "" in values else values)
            continue
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


def read_xlsx(
    data: bytes,
    file: str,
    sheets: Sequence[str] | None,
    limits: Limits | None = None,
    kind: str = "xlsx",
) -> list[tuple[str, Grid]]:
    """Grids of the selected sheets of an ``.xlsx``/``.xlsm``, ``.ods`` or ``.xlsb`` (calamine).

    The package is scanned first (:mod:`pipeline.extract.package`): a zip
    bomb or a sheet spanning more than ``limits.cells`` is refused before
    calamine allocates it. ``.xlsx`` is then read here, on the fast path;
    ``.ods`` and ``.xlsb``, whose extents are not scanned, and an ``.xlsx``
    whose scanned extent is too large to trust (empty formatted rows count in
    the scan, not in calamine) are read in a guarded child process
    (:func:`audit.platform.guarded`), so a file that makes calamine abort is
    refused instead of ending the run.
    """
    limits = limits or Limits()
    scan = scan_package(data, file, kind, limits)
    if scan.encrypted:
        raise _locked(file, kind)
    largest = max((r * c for r, c in scan.extents.values()), default=0)
    if kind == "xlsx" and largest <= limits.cells:
        return _calamine_read(data, file, sheets, limits, scan)
    try:
        return guarded(
            lambda: _calamine_read(data, file, sheets, limits, scan),
            seconds=limits.seconds,
            memory_bytes=limits.memory_bytes,
        )
    except GuardTripped as exc:
        what = {
            "time": f"ran for more than {limits.seconds:g} s",
            "memory": f"needed more than {limits.memory_bytes >> 20:,} MB",
        }.get(exc.reason, "crashed")
        if largest > limits.cells:  # the scan saw why: a value far outside the table
            rows, columns = max(scan.extents.values(), key=lambda rc: rc[0] * rc[1])
            raise SourceTooLargeError(
                f"{file} has a sheet spanning up to {rows:,} rows × {columns:,} columns, and "
                f"reading it stopped the .{kind} reader (it {what}); press Ctrl+End in each "
                "sheet to find its last cell, delete the rows and columns beyond the table "
                "and save a copy.",
                file=file,
            ) from None
        raise UnreadableFileError(
            f"{file} stopped the .{kind} reader (it {what}): the file is damaged, hostile, or "
            "spans far more cells than its table; open it in its program, delete what lies "
            "beyond the table and save a fresh copy.",
            file=file,
        ) from None


def _calamine_read(
    data: bytes, file: str, sheets: Sequence[str] | None, limits: Limits, scan: PackageScan
) -> list[tuple[str, Grid]]:
    import python_calamine as pc

    what = {"xlsx": "an .xlsx workbook", "ods": "an .ods spreadsheet", "xlsb": "an .xlsb workbook"}
    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError:
        raise _locked(file, scan.kind) from None
    except BaseException as exc:  # calamine's PanicException is not an Exception
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        raise _unreadable(file, what[scan.kind]) from None
    try:
        available = [
            (meta.name, meta.visible != pc.SheetVisibleEnum.Visible)
            for meta in book.sheets_metadata
            if meta.typ == pc.SheetTypeEnum.WorkSheet
        ]
        hidden = dict(available)
        out: list[tuple[str, Grid]] = []
        chosen = select_sheets(available, sheets, file)
        needs_marks = scan.kind == "xlsb" or (scan.kind == "ods" and scan.error_parts)
        marks = _error_marks(data, file, scan.kind) if needs_marks else {}
        for name in chosen:
            try:
                sheet = book.get_sheet_by_name(name)
                if error := too_many_cells(file, name, sheet.height, sheet.width, limits):
                    raise error
                rows = sheet.to_python(skip_empty_area=False)
                merged = [(r1, c1, r2, c2) for (r1, c1), (r2, c2) in sheet.merged_cell_ranges or ()]
            except SourceTooLargeError:
                raise
            except pc.PasswordError:
                raise _locked(file, scan.kind) from None
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
                    raise
                raise _unreadable(file, what[scan.kind], name) from None
            if scan.kind == "xlsx" and scan.error_parts:
                _put_errors(rows, _xlsx_error_cells(data, file, name))
            elif name in marks:
                _put_errors(rows, marks[name])
            # "" for empty cells: grid.py makes them None
            out.append((name, sheet_grid(rows, merged, hidden[name])))
        return out
    finally:
        book.close()


def _error_marks(data: bytes, file: str, kind: str) -> dict[str, list[tuple[int, int, str]]]:
    """Error cells of an ``.ods`` or ``.xlsb`` by sheet, which calamine reads as blanks."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException

    try:
        return ods_error_cells(data) if kind == "ods" else xlsb_error_cells(data)
    except (ParseError, DefusedXmlException, *ZIP_DAMAGE):
        part = "content.xml" if kind == "ods" else "sheet records"
        raise UnreadableFileError(
            f"{file} has a damaged {part} (its error cells cannot be told from blanks); open "
            "it in its program and save a fresh copy.",
            file=file,
        ) from None


def _locked(file: str, kind: str) -> EncryptedFileError:
    if kind == "ods":
        return EncryptedFileError(
            f"{file} is a password-protected .ods, and ikou cannot decrypt OpenDocument "
            "encryption; open it in LibreOffice with its password and save an unprotected copy "
            "in a secure place.",
            file=file,
        )
    return EncryptedFileError(f"{file} is password-protected.", file=file)


def _put_errors(rows: Grid, cells: Iterable[tuple[int, int, str]]) -> None:
    """Put a :class:`CellError` at each 0-based (row, column) — calamine left "" there."""
    for r, c, text in cells:
        while len(rows) <= r:
            rows.append([])
        while len(rows[r]) <= c:
            rows[r].append("")
        rows[r][c] = CellError(text)


def _xlsx_error_cells(data: bytes, file: str, sheet: str) -> list[tuple[int, int, str]]:
    """Where the sheet has error cells, read with openpyxl (only when the scan saw one)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return [
                (cell.row - 1, cell.column - 1, str(cell.value))
                for row in book[sheet].iter_rows()
                for cell in row
                if getattr(cell, "data_type", None) == "e"
            ]
        finally:
            book.close()
    except Exception:  # openpyxl is stricter than calamine: the error cells cannot be told
        raise _unreadable(file, "an .xlsx workbook") from None


def read_xml(
    data: bytes, file: str, sheets: Sequence[str] | None, limits: Limits | None = None
) -> list[tuple[str, Grid]]:
    """Grids of the selected sheets of an Excel 2003 XML Spreadsheet (defusedxml)."""
    found = parse_spreadsheetml(data, file, limits or Limits())
    grids = {name: grid for name, _, grid in found}
    return [
        (name, grids[name]) for name in select_sheets([(n, h) for n, h, _ in found], sheets, file)
    ]


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


def read_docx(
    data: bytes, file: str, tables: Sequence[int] | None, limits: Limits | None = None
) -> list[tuple[str, Grid]]:
    """Grids of a Word document's tables (python-docx), named ``table 1``, ``table 2`` …

    Merged cells are resolved — a value merged across columns or down rows
    repeats in each cell it covers — and the paragraphs of a cell are joined
    by line breaks. ``tables`` picks by 1-based index; by default every table
    comes back and ``header_row: auto`` keeps the ones that carry the header.
    """
    import docx

    limits = limits or Limits()
    scan_package(data, file, "docx", limits)  # a zip bomb is refused before python-docx
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
            table = found[number - 1]
            rows, columns = len(table.rows), len(table.columns)
            if error := too_many_cells(file, f"table {number}", rows, columns, limits):
                raise error
            grid = [[cell.text for cell in row.cells] for row in table.rows]
        except SourceTooLargeError:
            raise
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
