"""Error cells of an Excel binary workbook (``.xlsb``), which python-calamine reads as "".

An ``.xlsb`` keeps each sheet as a stream of BIFF12 records ([MS-XLSB]
2.1.4): a record type and a size, each a little-endian 7-bit varint, then
the payload. A row starts with ``BrtRowHdr`` (type 0, row index first); an
error value is ``BrtCellError`` (type 3) or, for a formula whose cached
result is an error, ``BrtFmlaError`` (type 11) — both carry the column
first and the error code at byte 8. The sheets' names come from
``BrtBundleSh`` records (type 156) of ``xl/workbook.bin`` and their parts
from its relationships. Walking the records costs ~1 µs each in Python,
which is why it runs only for ``.xlsb`` (read in the guarded process anyway).
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile

__all__ = ["xlsb_error_cells"]

_ROW, _CELL_ERROR, _FORMULA_ERROR, _BUNDLE_SHEET = 0, 3, 11, 156
_CODES = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
    0x2B: "#GETTING_DATA",
}
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def _records(data: bytes) -> list[tuple[int, int, int]]:
    """(type, payload start, payload end) of every record; stops at a truncated one."""
    out = []
    at, end = 0, len(data)
    while at < end:
        kind = data[at]
        at += 1
        if kind & 0x80:
            if at >= end:
                break
            kind = (kind & 0x7F) | ((data[at] & 0x7F) << 7)
            at += 1
        size = shift = 0
        for _ in range(4):
            if at >= end:
                return out
            byte = data[at]
            at += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if at + size > end:
            break
        out.append((kind, at, at + size))
        at += size
    return out


def _wide_string(data: bytes, at: int) -> tuple[str, int]:
    (count,) = struct.unpack_from("<I", data, at)
    if count == 0xFFFFFFFF:  # a nullable string that is null
        return "", at + 4
    text = data[at + 4 : at + 4 + 2 * count].decode("utf-16-le", errors="replace")
    return text, at + 4 + 2 * count


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part, from ``xl/workbook.bin`` and its relationships."""
    from defusedxml import ElementTree

    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.bin.rels"))
    targets = {}
    for item in rels.iter(_RELS):
        target = item.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[item.get("Id")] = posixpath.normpath(path)
    book = archive.read("xl/workbook.bin")
    parts = {}
    for kind, start, _ in _records(book):
        if kind == _BUNDLE_SHEET:
            relation, at = _wide_string(book, start + 8)
            name, _ = _wide_string(book, at)
            if relation in targets:
                parts[name] = targets[relation]
    return parts


def xlsb_error_cells(data: bytes) -> dict[str, list[tuple[int, int, str]]]:
    """Sheet name → (0-based row, 0-based column, error text) of every error cell.

    Raises what zipfile, struct or defusedxml raise on a damaged package; the
    caller refuses the file then, since its error cells cannot be told.
    """
    found: dict[str, list[tuple[int, int, str]]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name, part in _sheet_parts(archive).items():
            sheet = archive.read(part)
            row = 0
            cells = []
            for kind, start, end in _records(sheet):
                if kind == _ROW and end - start >= 4:
                    (row,) = struct.unpack_from("<I", sheet, start)
                elif kind in (_CELL_ERROR, _FORMULA_ERROR) and end - start >= 9:
                    (col,) = struct.unpack_from("<I", sheet, start)
                    cells.append((row, col, _CODES.get(sheet[start + 8], "#ERROR")))
            if cells:
                found[name] = cells
    return found
