"""Writers for the spreadsheet formats no Python library writes: ``.ods`` and Excel 2003 XML.

They exist so that tests and examples can make these files from synthetic
data by code. Each writes what its office program writes for the same
content — LibreOffice's markup for an ``.ods`` (an error cell is a formula
cell with ``calcext:value-type="error"``), Excel 2003's for an XML
Spreadsheet (``ss:Index`` to skip empty rows and cells, ``ss:MergeAcross``
for merged titles) — and nothing more.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

__all__ = ["Sheet", "write_ods", "write_spreadsheetml"]


@dataclass(frozen=True)
class Sheet:
    """One sheet to write: rows of values from A1, merged titles, visibility.

    Values are ``None``, text, numbers, booleans, dates, datetimes, or an
    :class:`audit.hashing.CellError` (written as a failed formula).
    ``merges`` are ``(row, first column, last column)``, 0-based, across one row.
    """

    name: str
    rows: Sequence[Sequence[Any]]
    hidden: bool = False
    merges: Sequence[tuple[int, int, int]] = field(default_factory=tuple)


def _is_error(value: Any) -> bool:
    return getattr(value, "error_cell", False) is True


def _ss_cell(value: Any) -> tuple[str, str, str]:
    """(Data type, text, extra attributes) of one Excel 2003 XML cell."""
    if _is_error(value):
        return "Error", str(value), ' ss:Formula="=1/0"'  # a failed formula, cached
    if isinstance(value, bool):
        return "Boolean", "1" if value else "0", ""
    if isinstance(value, int | float):
        return "Number", repr(float(value)) if isinstance(value, float) else str(value), ""
    if isinstance(value, dt.datetime):
        return "DateTime", value.strftime("%Y-%m-%dT%H:%M:%S.000"), ' ss:StyleID="dt"'
    if isinstance(value, dt.date):
        return "DateTime", value.strftime("%Y-%m-%dT00:00:00.000"), ' ss:StyleID="d"'
    return "String", str(value), ""


def write_spreadsheetml(sheets: Sequence[Sheet], path: Path) -> Path:
    """Write an Excel 2003 XML Spreadsheet (the "XML Spreadsheet 2003" of Save As)."""
    out = [
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"\n'
        ' xmlns:o="urn:schemas-microsoft-com:office:office"\n'
        ' xmlns:x="urn:schemas-microsoft-com:office:excel"\n'
        ' xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"\n'
        ' xmlns:html="http://www.w3.org/TR/REC-html40">\n'
        ' <Styles>\n  <Style ss:ID="d"><NumberFormat ss:Format="yyyy/mm/dd"/></Style>\n'
        '  <Style ss:ID="dt"><NumberFormat ss:Format="yyyy/mm/dd hh:mm"/></Style>\n </Styles>\n'
    ]
    for sheet in sheets:
        merged = {(r, c): last - c for r, c, last in sheet.merges}
        out.append(f" <Worksheet ss:Name={quoteattr(sheet.name)}>\n  <Table>\n")
        previous_row = 0
        for r, row in enumerate(sheet.rows, start=1):
            if all(v is None for v in row):
                continue
            index = "" if r == previous_row + 1 else f' ss:Index="{r}"'
            out.append(f"   <Row{index}>\n")
            previous_col = 0
            for c, value in enumerate(row, start=1):
                if value is None or c <= previous_col:
                    continue
                kind, text, extra = _ss_cell(value)
                span = merged.get((r - 1, c - 1), 0)
                at = "" if c == previous_col + 1 else f' ss:Index="{c}"'
                across = f' ss:MergeAcross="{span}"' if span else ""
                out.append(
                    f"    <Cell{at}{across}{extra}><Data ss:Type={quoteattr(kind)}>"
                    f"{escape(text)}</Data></Cell>\n"
                )
                previous_col = c + span
            out.append("   </Row>\n")
            previous_row = r
        out.append("  </Table>\n")
        if sheet.hidden:
            out.append(
                '  <WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel">\n'
                "   <Visible>SheetHidden</Visible>\n  </WorksheetOptions>\n"
            )
        out.append(" </Worksheet>\n")
    out.append("</Workbook>\n")
    path.write_text("".join(out), encoding="utf-8")
    return path


_ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2">\n'
    ' <manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>\n'
    ' <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>\n'
    "</manifest:manifest>\n"
)


def _ods_cell(value: Any, span: int) -> str:
    spanned = f' table:number-columns-spanned="{span + 1}"' if span else ""
    if value is None:
        return f"<table:table-cell{spanned}/>"
    if _is_error(value):
        attrs = (
            'table:formula="of:=1/0" office:value-type="string" office:string-value="" '
            'calcext:value-type="error"'
        )
        text = str(value)
    elif isinstance(value, bool):
        word = "true" if value else "false"
        attrs = f'office:value-type="boolean" office:boolean-value="{word}"'
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, int | float):
        attrs = f'office:value-type="float" office:value="{value}"'
        text = str(value)
    elif isinstance(value, dt.datetime):
        attrs = f'office:value-type="date" office:date-value="{value.isoformat()}"'
        text = value.strftime("%Y/%m/%d %H:%M")
    elif isinstance(value, dt.date):
        attrs = f'office:value-type="date" office:date-value="{value.isoformat()}"'
        text = value.strftime("%Y/%m/%d")
    else:
        attrs, text = 'office:value-type="string"', str(value)
    return f"<table:table-cell {attrs}{spanned}><text:p>{escape(text)}</text:p></table:table-cell>"


def write_ods(sheets: Sequence[Sheet], path: Path) -> Path:
    """Write an OpenDocument spreadsheet as LibreOffice Calc does (content only)."""
    body = []
    for sheet in sheets:
        style = ' table:style-name="hidden"' if sheet.hidden else ""
        body.append(f"<table:table table:name={quoteattr(sheet.name)}{style}>")
        width = max((len(row) for row in sheet.rows), default=1)
        body.append(f'<table:table-column table:number-columns-repeated="{width}"/>')
        merged = {(r, c): last - c for r, c, last in sheet.merges}
        for r, row in enumerate(sheet.rows):
            cells, skip = [], 0
            for c, value in enumerate(row):
                if skip:
                    cells.append("<table:covered-table-cell/>")
                    skip -= 1
                    continue
                skip = merged.get((r, c), 0)
                cells.append(_ods_cell(value, skip))
            body.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
        body.append("</table:table>")
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_ODS_NS} '
        'office:version="1.2"><office:automatic-styles>'
        '<style:style style:name="hidden" style:family="table">'
        '<style:table-properties table:display="false"/></style:style>'
        "</office:automatic-styles><office:body><office:spreadsheet>"
        + "".join(body)
        + "</office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("META-INF/manifest.xml", _MANIFEST, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path
