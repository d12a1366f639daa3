"""Writers for the spreadsheet formats no Python library writes: ``.ods`` and Excel 2003 XML,
and a Word table's markup at once where python-docx's API is too slow for it.

They exist so that tests and examples can make these files from synthetic
data by code. Each writes what its office program writes for the same
content — LibreOffice's markup for an ``.ods`` (an error cell is a formula
cell with ``calcext:value-type="error"``), Excel 2003's for an XML
Spreadsheet (``ss:Index`` to skip empty rows and cells, ``ss:MergeAcross``
for merged titles), python-docx's own for a Word table — and nothing more.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

__all__ = ["Sheet", "word_table_xml", "write_ods", "write_spreadsheetml"]


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


_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TAB_OR_BREAK = re.compile(r"(\t|\r|\n)")


def _word_paragraph(text: str) -> str:
    """A cell's paragraph as python-docx's ``cell.text = text`` writes it: one run,
    a tab as ``<w:tab/>``, each CR or LF as ``<w:br/>``, ``xml:space`` kept where
    a piece starts or ends with white space; ``<w:p/>`` for no text."""
    if not text:
        return "<w:p/>"
    parts = []
    for piece in _TAB_OR_BREAK.split(text):
        if piece == "\t":
            parts.append("<w:tab/>")
        elif piece in ("\r", "\n"):
            parts.append("<w:br/>")
        elif piece:
            keep = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            parts.append(f"<w:t{keep}>{escape(piece)}</w:t>")
    return "<w:p><w:r>" + "".join(parts) + "</w:r></w:p>"


def word_table_xml(
    rows: Sequence[Sequence[str]],
    column_twips: int,
    *,
    merged_down: Sequence[tuple[int, int, int]] = (),
) -> str:
    """The ``<w:tbl>`` element of a Word table, as text, built in one pass.

    The markup is what python-docx's ``add_table``, ``cell.text = …`` and
    ``cell.merge`` produce for the same cells, so a document holding it reads
    back the same; but python-docx finds a cell by walking the table, which
    makes filling a table of n rows cost n² (20,000 rows took most of an hour).
    ``merged_down`` are ``(column, first row, last row)``, 0-based: the first
    row's cell keeps its text and the cells below continue it (``w:vMerge``),
    empty, as Word stores a cell merged down.
    """
    width = max((len(row) for row in rows), default=0)
    cell_width = f'<w:tcW w:type="dxa" w:w="{column_twips}"/>'
    starts: dict[tuple[int, int], bool] = {}  # (row, column) → True on the first row
    for column, first, last in merged_down:
        if last > first:
            starts[first, column] = True
            for r in range(first + 1, last + 1):
                starts[r, column] = False
    out = [
        f'<w:tbl xmlns:w="{_W_NS}"><w:tblPr><w:tblW w:type="auto" w:w="0"/>'
        '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
        'w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>',
        f'<w:gridCol w:w="{column_twips}"/>' * width,
        "</w:tblGrid>",
    ]
    plain = f"<w:tc><w:tcPr>{cell_width}</w:tcPr>"
    for r, row in enumerate(rows):
        out.append("<w:tr>")
        for c, text in enumerate(row):
            first = starts.get((r, c))
            if first is None:
                out.append(plain + _word_paragraph(text) + "</w:tc>")
            elif first:
                out.append(
                    f'<w:tc><w:tcPr>{cell_width}<w:vMerge w:val="restart"/></w:tcPr>'
                    + _word_paragraph(text)
                    + "</w:tc>"
                )
            else:
                out.append(f"<w:tc><w:tcPr>{cell_width}<w:vMerge/></w:tcPr><w:p/></w:tc>")
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)
