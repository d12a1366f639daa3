"""Error cells of an OpenDocument spreadsheet (``.ods``), which python-calamine reads as "".

LibreOffice writes a formula that failed as a cell with
``calcext:value-type="error"``, an empty ``office:string-value`` and the
error's name as its text (``#DIV/0!``, ``#N/A``, ``Err:502``). calamine
returns the empty string value, so a failed formula would load as a blank.
When the package scan saw such a cell, ``content.xml`` is streamed with
defusedxml here and every error cell's position is returned, counting
repeated rows and columns and covered (merged) cells the way calamine does.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

__all__ = ["ods_error_cells"]

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
_CELLS = (_TABLE + "table-cell", _TABLE + "covered-table-cell")


def _repeat(element: Any, name: str) -> int:
    try:
        return max(1, int(element.get(_TABLE + name, "1")))
    except ValueError:
        return 1


def ods_error_cells(data: bytes) -> dict[str, list[tuple[int, int, str]]]:
    """Sheet name → (0-based row, 0-based column, error text) of every error cell.

    Raises what zipfile or defusedxml raise on a damaged ``content.xml``; the
    caller refuses the file then, since its error cells cannot be told.
    """
    from defusedxml.ElementTree import iterparse

    found: dict[str, list[tuple[int, int, str]]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("content.xml") as content:
        sheet, row, col, depth = "", 0, 0, 0
        in_row: list[tuple[int, str]] = []
        for event, element in iterparse(content, events=("start", "end")):
            tag = element.tag
            if tag == _TABLE + "table":
                depth += 1 if event == "start" else -1
                if event == "start" and depth == 1:
                    sheet, row = element.get(_TABLE + "name", ""), 0
                continue
            if depth != 1 or event == "start":
                if tag == _TABLE + "table-row" and event == "start" and depth == 1:
                    col, in_row = 0, []
                continue
            if tag in _CELLS:
                span = _repeat(element, "number-columns-repeated")
                if element.get(_CALCEXT + "value-type") == "error":
                    text = "".join(element.itertext()).strip() or "#ERROR"
                    in_row.extend((col + i, text) for i in range(span))
                col += span
            elif tag == _TABLE + "table-row":
                repeat = _repeat(element, "number-rows-repeated")
                if in_row:  # a repeated row repeats its error cells too
                    cells = found.setdefault(sheet, [])
                    cells.extend((row + r, c, text) for r in range(repeat) for c, text in in_row)
                row += repeat
                element.clear()
    return found
