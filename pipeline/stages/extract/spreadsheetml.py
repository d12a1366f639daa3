"""Excel 2003 XML Spreadsheet (``urn:schemas-microsoft-com:office:spreadsheet``).

Excel 2002/2003 saved workbooks as one XML file ("XML Spreadsheet 2003"),
often under an ``.xls`` or ``.xml`` name; offices still have them from
web-system exports. The file is parsed with defusedxml — no DTD entity is
expanded and nothing external is fetched, so a "billion laughs" file is
refused, not inflated — streamed, one row at a time.

Positions follow Excel: ``ss:Index`` on a row or cell jumps to that 1-based
position, ``ss:Span`` on a row covers that many more rows, and
``ss:MergeAcross`` makes the next cell start after the merged ones (the value
stays in the first cell, as in the other readers). Formula cells carry their
cached value; ``Error`` data becomes a :class:`audit.hashing.CellError`.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from ikou.audit.hashing import CellError
from ikou.errors import UnreadableFileError, position
from ikou.pipeline.stages.extract.package import Limits, too_many_cells

__all__ = ["NAMESPACE", "is_spreadsheetml", "parse_spreadsheetml"]

NAMESPACE = "urn:schemas-microsoft-com:office:spreadsheet"
_EXCEL = "urn:schemas-microsoft-com:office:excel"
_SS = "{" + NAMESPACE + "}"
_HIDDEN = {"SheetHidden", "SheetVeryHidden"}


def is_spreadsheetml(data: bytes) -> bool:
    """Whether ``data`` is an XML file in the Excel 2003 spreadsheet namespace."""
    head = data[:65536]
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith(b"<") and NAMESPACE.encode("ascii") in head


def _attr(element: Any, name: str) -> str | None:
    value = element.get(_SS + name)
    return value if value is not None else element.get(name)


def _damaged(file: str, sheet: str, row: int, what: str) -> UnreadableFileError:
    return UnreadableFileError(
        f"{position(file, sheet, row)}, {what}; open the file in Excel, check it and "
        "save it again as .xlsx.",
        file=file,
        sheet=sheet,
        row=row,
    )


def _index(element: Any, name: str, file: str, sheet: str, row: int) -> int | None:
    raw = _attr(element, name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < (1 if name == "Index" else 0):
        raise _damaged(file, sheet, row, f"has a malformed ss:{name}")
    return value


def _value(data: Any, file: str, sheet: str, row: int, column: int) -> Any:
    kind = _attr(data, "Type") or "String"
    text = "".join(data.itertext())
    if kind == "String":
        return text if text != "" else None
    if kind == "Number":
        try:
            return float(text)
        except ValueError:
            raise _damaged(
                file, sheet, row, f"column {column} is a Number cell that is not a number"
            ) from None
    if kind == "DateTime":
        try:
            stamp = dt.datetime.fromisoformat(text.strip()[:26])
        except ValueError:
            raise _damaged(
                file, sheet, row, f"column {column} is a DateTime cell that is not a date"
            ) from None
        return stamp.date() if stamp.time() == dt.time(0, 0) else stamp
    if kind == "Boolean":
        return text.strip() not in ("0", "", "false", "FALSE")
    if kind == "Error":
        return CellError(text.strip() or "#ERROR")
    return text if text != "" else None


def parse_spreadsheetml(
    data: bytes, file: str, limits: Limits
) -> list[tuple[str, bool, list[list[Any]]]]:
    """Every worksheet of an Excel 2003 XML Spreadsheet: name, hidden, grid."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    found: list[tuple[str, bool, list[list[Any]]]] = []
    cells: dict[int, dict[int, Any]] = {}
    name, hidden = "", False
    row = col = width = 0
    table: Any = None
    try:
        for event, element in iterparse(io.BytesIO(data), events=("start", "end")):
            tag = element.tag
            if event == "start":
                if tag == _SS + "Worksheet":
                    name = _attr(element, "Name") or f"Sheet{len(found) + 1}"
                    hidden, cells, row, width = False, {}, 0, 0
                elif tag == _SS + "Table":
                    table = element
                elif tag == _SS + "Row":
                    row = _index(element, "Index", file, name, row + 1) or row + 1
                    col = 0
                continue
            if tag == _SS + "Cell":
                col = _index(element, "Index", file, name, row) or col + 1
                content = element.find(_SS + "Data")
                if content is not None:
                    cells.setdefault(row, {})[col] = _value(content, file, name, row, col)
                width = max(width, col)
                col += _index(element, "MergeAcross", file, name, row) or 0
                if error := too_many_cells(file, name, row, width, limits):
                    raise error
            elif tag == _SS + "Row":
                row += _index(element, "Span", file, name, row) or 0
                if table is not None:
                    table.clear()  # the rows read so far: a long sheet stays small in memory
            elif tag == "{" + _EXCEL + "}Visible":
                hidden = (element.text or "").strip() in _HIDDEN
            elif tag == _SS + "Worksheet":
                grid = [
                    [cells.get(r, {}).get(c) for c in range(1, width + 1)]
                    for r in range(1, max(cells, default=0) + 1)
                ]
                found.append((name, hidden, grid))
                element.clear()
    except DefusedXmlException:
        raise UnreadableFileError(
            f"{file} declares XML entities or a DTD, which ikou does not expand (a workbook "
            "never needs them); open it in Excel and save it as .xlsx.",
            file=file,
        ) from None
    except ParseError as exc:
        line = exc.position[0] if exc.position else 0
        raise UnreadableFileError(
            f"{file} is not well-formed XML near line {line} (truncated or damaged); open it in "
            "Excel and save it as .xlsx.",
            file=file,
            row=line or None,
        ) from None
    if not found:
        raise UnreadableFileError(
            f"{file} is an Excel XML file without worksheets; check the export.", file=file
        )
    return found
