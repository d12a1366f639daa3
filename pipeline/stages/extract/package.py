"""Zip-based Office packages (.xlsx/.xlsm, .xlsb, .ods, .docx), looked at before reading.

One streamed pass over every part of the package, before any reader sees it:

* the decompressed bytes are counted against a limit, so a zip bomb is
  refused after ``unpacked_bytes`` rather than filling memory (the count is
  of bytes actually inflated, not of the sizes the archive claims);
* for each ``.xlsx`` worksheet, an upper bound on the cells a dense reader
  allocates: python-calamine builds a sheet as one rectangle from its first
  to its last value, so a stray value in ``XFD1048576`` makes it ask for
  512 GB and abort the process. Rows come from ``<row r="…">`` (formatted
  empty rows count too), the widest column from the cells with a value whose
  reference has two or three letters. A workbook whose bound exceeds
  ``cells`` is read in a guarded child process, where calamine's own extent
  is checked and an abort cannot end the run;
* whether any worksheet holds an error cell (``#REF!``, ``#DIV/0!``…), which
  python-calamine reads as an empty string: ``t="e"`` in ``.xlsx`` sheet XML,
  ``calcext:value-type="error"`` in an ``.ods`` ``content.xml``.

Costs about 1.1 s on a 200,000-row × 26-column ``.xlsx`` (177 MB of sheet
XML), against ~20 s for the rehearsal that reads it.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

from ikou.errors import SourceTooLargeError, UnreadableFileError, position

__all__ = ["ZIP_DAMAGE", "Limits", "PackageScan", "package_kind", "scan_package", "too_many_cells"]

_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_ROW = re.compile(rb'<row\b[^>]*?\sr="([0-9]{1,10})"')
# a cell with a value beyond column Z (only cell references have letters; a
# self-closing <c r="ZZ9" s="1"/> is an empty formatted cell, which calamine skips)
_WIDE_REF = re.compile(rb' r="([A-Z]{2,3})[0-9]+"[^>/]*>')
_XLSX_ERROR = (b't="e"', b"t='e'")
_ODS_ERROR = b'calcext:value-type="error"'
_CHUNK = 1 << 20
# what zipfile raises on a damaged archive: a bad CRC, a truncated deflate
# stream, an offset before the start ("negative seek value"), a short header
ZIP_DAMAGE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    KeyError,
    struct.error,
)
_TAIL = 64


@dataclass(frozen=True)
class Limits:
    """How much of one source file ikou will read (the plan's ``limits:``)."""

    cells: int = 25_000_000
    unpacked_bytes: int = 2 << 30
    seconds: float = 600.0
    memory_bytes: int = 4 << 30


@dataclass
class PackageScan:
    """What one pass over a package found (no cell values, only shapes and flags)."""

    kind: str
    unpacked: int = 0
    encrypted: bool = False  # OpenDocument package encryption (manifest encryption-data)
    error_parts: set[str] = field(default_factory=set)
    extents: dict[str, tuple[int, int]] = field(default_factory=dict)  # part → rows, columns


def package_kind(data: bytes) -> str | None:
    """``docx``, ``xlsb``, ``ods`` or ``xlsx`` for a zip package; ``None`` if not a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.bin" in names:
                return "xlsb"
            if "content.xml" in names:
                mime = archive.read("mimetype")[:100] if "mimetype" in names else _ODS_MIME
                if mime.startswith(_ODS_MIME):
                    return "ods"
            return "xlsx"
    except ZIP_DAMAGE:
        return None


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters:
        number = number * 26 + (byte - 64)
    return number


def _scan_part(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, scan: PackageScan, file: str, limit: int
) -> None:
    name = info.filename
    sheet_xml = scan.kind == "xlsx" and name.startswith("xl/worksheets/") and name.endswith(".xml")
    ods_content = scan.kind == "ods" and name == "content.xml"
    marks = _XLSX_ERROR if sheet_xml else (_ODS_ERROR,) if ods_content else ()
    manifest = name == "META-INF/manifest.xml"
    first_row = last_row = rows_seen = 0
    widest = cells = 0
    tail = b""
    with archive.open(info) as part:
        while chunk := part.read(_CHUNK):
            scan.unpacked += len(chunk)
            if scan.unpacked > limit:
                raise SourceTooLargeError(
                    f"{file} unpacks to more than {limit >> 20:,} MB — a zip bomb, or a "
                    "workbook far larger than a ledger; check the file, or raise "
                    "limits: unpacked_mb: in the plan's source.",
                    file=file,
                )
            if manifest and b"encryption-data" in chunk:
                scan.encrypted = True
            if not marks:
                continue
            window = tail + chunk
            if name not in scan.error_parts and any(m in window for m in marks):
                scan.error_parts.add(name)
            if sheet_xml:
                numbers = [int(r) for r in _ROW.findall(window)]
                if numbers:
                    first_row = min(numbers) if not first_row else min(first_row, *numbers)
                    last_row = max(last_row, *numbers)
                else:  # rows without numbers are placed one after another
                    rows_seen += chunk.count(b"<row")
                cells = cells or int(b"<c " in window or b"<c>" in window)
                wide = _WIDE_REF.findall(window)
                if wide:
                    widest = max(widest, max(_column_number(w) for w in set(wide)))
            tail = window[-_TAIL:]
    if sheet_xml:
        rows = (last_row - first_row + 1 + rows_seen) if last_row else rows_seen
        columns = (widest or 26) if cells else 0
        scan.extents[name] = (rows, columns)


def scan_package(data: bytes, file: str, kind: str, limits: Limits) -> PackageScan:
    """Stream every part of the package at ``data``; refuse a bomb or a damaged part."""
    scan = PackageScan(kind)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_DAMAGE:
        return scan  # the reader refuses it with its own sentence
    try:
        with archive:
            for info in archive.infolist():
                if not info.is_dir():
                    _scan_part(archive, info, scan, file, limits.unpacked_bytes)
    except ZIP_DAMAGE:
        # a damaged part (bad CRC, truncated deflate stream, encrypted member): a
        # reader might read past it, ikou does not
        raise UnreadableFileError(
            f"{file} has a damaged part (corrupt or truncated); open it in its program, save "
            "a fresh copy and point the plan at that.",
            file=file,
        ) from None
    return scan


def too_many_cells(
    file: str, sheet: str, rows: int, columns: int, limits: Limits
) -> SourceTooLargeError | None:
    """The error for a sheet spanning more than ``limits.cells`` cells, or ``None``."""
    if rows * columns <= limits.cells:
        return None
    return SourceTooLargeError(
        f"{position(file, sheet)}, spans {rows:,} rows × {columns:,} columns "
        f"({rows * columns:,} cells), more than ikou reads from one sheet ({limits.cells:,}); "
        "press Ctrl+End in the sheet to find its last cell, delete the rows and columns beyond "
        "the table and save a copy — or raise limits: cells: in the plan's source.",
        file=file,
        sheet=sheet,
    )
