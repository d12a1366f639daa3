""":func:`profile_files`: the **structure-only** profile of legacy files.

Files are opened by the readers a rehearsal uses
(:func:`ikou.pipeline.stages.extract.open_source`: the same grids, a
write-protected workbook opened in memory). Sheets, visibility, header rows
(only ones ikou can believe, see :mod:`ikou.pipeline.stages.extract.header`;
else columns are named by letter; a header over several rows keeps each
row's cells, so a twin repeats it), each column named by its path as a
rehearsal names it (``学級数/計``), what sits above the header (merged
ranges, which cells hold text — not the text), total, footnote and blank
rows and where they sit (by their form, see :mod:`.specials`), every table
stacked in the sheet by its rows (:func:`.extract.tables.tables_in`; the
first is profiled in detail, the rows past its end only counted), and per
column its kind and *format*: the share of each notation — dates to the day,
the month or the year, fiscal years (平成27年度, H27年度, 2015年度), 現在 after
a date, bare years under a header that says so (:data:`YEAR_HEADER`) — of
full-width digits, of text in number columns, of blank markers, null rate,
lengths, ranges and years rounded, distinct counts. No cell value goes into
it, except the distinct values of columns the user names as non-personal
(``keep_values``), and the few structural words ledgers use for totals
(小計, 合計, ＊合計＊ …).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from ikou.errors import SourceFileError, UnreadableFileError
from ikou.mappings.summary import TOTAL_WORDS
from ikou.pipeline.stages.extract.extent import table_extent
from ikou.pipeline.stages.extract.grid import header_key, merges_of
from ikou.pipeline.stages.extract.header import BLANK_MARKERS, as_of, cell_form, read_header
from ikou.pipeline.stages.extract.tables import tables_in
from ikou.pipeline.twin.specials import footnote_rows, same_label, total_cell

__all__ = ["PROFILE_VERSION", "TOTAL_LABELS", "as_number", "profile_files", "squeezed"]

PROFILE_VERSION = 1

TOTAL_LABELS = TOTAL_WORDS  # the structural words a profile keeps (小計, 合計 …)
# A column of whole numbers from 1900 to 2100 is a column of years only under a
# header that says so: 年, 年度 or 年次 not after a digit (１年 is a grade), or a
# word for when something began (開設, 竣工, 供用開始 …). Without one it stays a
# number column: counts of 1,900-2,100 (households per district) look the same.
YEAR_HEADER = re.compile(
    r"(?<!\d)年(?:度|次)?$|(?:西暦|開設|設立|創立|創設|竣工|建築|建設|開始|創業|開園|開校|開館|開業)$"
)
YEARS = (1900, 2100)
PROFILED = ("xls", "xlsx", "csv")  # the formats ikou synth writes twins in


def _sheets(path: Path) -> tuple[str, list[tuple[str, Any]]]:
    """Format, and every sheet (hidden ones too) as ikou's guarded readers read
    it for a rehearsal: its grid, merged ranges and visibility. A write-protected
    workbook opens with Excel's built-in password, in memory; a real password
    is refused (the profile asks for none)."""
    from ikou.pipeline.plan import SourceSpec
    from ikou.pipeline.stages.extract import EXTENSIONS, open_source

    declared = EXTENSIONS.get(path.suffix.lower(), "csv")
    if declared in PROFILED:
        spec = SourceSpec(rehearsal=path.name, format=declared)
        opened = open_source(path, path.name, spec, every_sheet=True)
        if opened.format in PROFILED:
            return opened.format, opened.grids
        declared = opened.format
    raise UnreadableFileError(
        f"{path.name} is a {declared} file; ikou profile reads .xls, .xlsx and CSV files — "
        "profile a copy saved as .xlsx.",
        file=path.name,
    )


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shape(text: str) -> str | None:
    """A value's shape if it is a code of digits, letters and punctuation (``9-999``)."""
    folded = unicodedata.normalize("NFKC", text)
    if not folded or len(folded) > 12 or not all(c.isascii() for c in folded):
        return None
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", folded))


def _semantic(name: str, forms: Counter[str]) -> str:
    total = sum(forms.values()) or 1
    share = {k: v / total for k, v in forms.items()}
    dated = sum(v for k, v in share.items() if k.startswith(("era_", "greg_")) or k == "date_cell")
    if dated >= 0.5:
        return "date"
    if sum(v for k, v in share.items() if k.startswith("fiscal_")) >= 0.5:
        return "fiscal_year"
    if share.get("phone_hyphen", 0) + share.get("phone_paren", 0) >= 0.3 or "電話" in name:
        return "phone"
    if share.get("katakana", 0) + share.get("halfwidth_kana", 0) + share.get("hiragana", 0) >= 0.5:
        return "kana"
    if any(word in name for word in ("氏名", "名前", "世帯主")):
        return "name"
    if "住所" in name:
        return "address"
    numeric = sum(share.get(k, 0) for k in ("number", "digits", "comma_number", "yen_suffix"))
    if numeric >= 0.5:
        if any(word in name for word in ("番号", "ID", "ＩＤ", "コード")):
            return "id"
        return "amount" if any(w in name for w in ("家賃", "金額", "料", "額")) else "number"
    return "text"


def _round(value: float) -> float:
    """Two significant digits: a range's shape, not a value."""
    if value == 0:
        return 0
    digits = 1 - math.floor(math.log10(abs(value)))
    return float(round(value, digits))


def _precision(forms: Counter[str]) -> str:
    """The coarsest precision a date column's notations are written in."""
    if any(form.endswith("_year") for form in forms):
        return "year"
    return "month" if any(form.endswith("_month") for form in forms) else "day"


def _a_year(value: Any) -> bool:
    """A whole number from 1900 to 2100, as a number cell or four digits."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}", unicodedata.normalize("NFKC", value)):
        return False
    number = as_number(value)
    return number is not None and number.is_integer() and YEARS[0] <= number <= YEARS[1]


def _year_column(name: str, present: list[Any]) -> str | None:
    """``fiscal_year`` or ``date`` when a column holds bare years (1961) under
    a header that says so (see :data:`YEAR_HEADER`), else ``None``."""
    header = re.sub(r"[\s()\[\]【】]", "", unicodedata.normalize("NFKC", name.rsplit("/", 1)[-1]))
    if not YEAR_HEADER.search(header):
        return None
    values = [v for v in present if not (isinstance(v, str) and v.strip() in BLANK_MARKERS)]
    if not values or not all(_a_year(v) for v in values):
        return None
    return "fiscal_year" if header.endswith("年度") else "date"


def _column_profile(name: str, values: list[Any], keep: bool) -> dict[str, Any]:
    present = [v for v in values if not _blank(v)]
    forms: Counter[str] = Counter()
    full = 0
    texts = 0
    lengths: list[int] = []
    shapes: Counter[str] = Counter()
    spaces: Counter[str] = Counter()
    numbers: list[float] = []
    suffixes: Counter[str] = Counter()
    for value in present:
        form, wide = cell_form(value)
        forms[form] += 1
        if isinstance(value, str):
            texts += 1
            full += wide
            lengths.append(len(value.strip()))
            shape = _shape(value.strip())
            if shape is not None:
                shapes[shape] += 1
            if "\u3000" in value.strip():
                spaces["ideographic"] += 1
            elif " " in value.strip():
                spaces["ascii"] += 1
        number = as_number(value)
        if number is not None:
            numbers.append(number)
        word = as_of(value)
        if word is not None:
            suffixes[word] += 1
    semantic = "choice" if keep else _semantic(name.rsplit("/", 1)[-1], forms)
    precision = _precision(forms)
    years_of = _year_column(name, present) if semantic in ("id", "amount", "number") else None
    if years_of is not None:
        semantic, precision = years_of, "year"
    out: dict[str, Any] = {
        "name": name,
        "semantic": semantic,
        "null_share": round(1 - len(present) / len(values), 3) if values else 0.0,
        "distinct": len({(type(v), v) for v in present}),
        "forms": {k: round(v / len(present), 3) for k, v in sorted(forms.items())}
        if present
        else {},
        "fullwidth_share": round(full / texts, 3) if texts else 0.0,
    }
    if lengths:
        out["length"] = {"min": min(lengths), "max": max(lengths)}
    if spaces:
        out["space_share"] = {k: round(v / len(present), 3) for k, v in sorted(spaces.items())}
    if semantic in ("id", "amount", "number") and numbers:
        whole = [int(n) for n in numbers if float(n).is_integer()]
        step = next(
            (s for s in (1000, 500, 100, 50, 10) if whole and all(n % s == 0 for n in whole)), 1
        )
        out["range"] = {"min": _round(min(numbers)), "max": _round(max(numbers)), "step": step}
    if semantic == "date" and precision != "day":
        out["precision"] = precision
    years = [y for v in present if (y := _year_of(v, semantic, precision)) is not None]
    if years:
        out["years"] = {"min": min(years) // 5 * 5, "max": -(-max(years) // 5) * 5}
    if semantic in ("date", "fiscal_year") and suffixes:
        out["as_of"] = {k: round(v / len(present), 3) for k, v in sorted(suffixes.items())}
    if shapes and semantic == "text" and sum(shapes.values()) >= 0.8 * len(present):
        total = sum(shapes.values())
        out["semantic"] = "code"
        out["shapes"] = {k: round(v / total, 3) for k, v in shapes.most_common(5)}
    if keep:
        counts = Counter(v for v in present if isinstance(v, str | int | float))
        out["values"] = {str(k): v for k, v in counts.most_common()}
    return out


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).replace(",", "").removesuffix("円").strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return float(text)
    return None


def _year_of(value: Any, semantic: str, precision: str) -> int | None:
    """The year of a cell in a date or fiscal-year column, read by ikou's own
    transforms as a plan would read it (``date`` at the column's precision,
    ``fiscal_year``); ``None`` in any other column, or when it does not read."""
    from ikou.mappings.dates import parse_date, parse_fiscal_year
    from ikou.mappings.registry import Reject

    try:
        if semantic == "fiscal_year":
            parsed: Any = parse_fiscal_year(value, lenient_era=True)
        elif semantic == "date":
            parsed = parse_date(value, lenient_era=True, precision=precision)
        else:
            return None
    except Reject:
        return None
    read = parsed.value if hasattr(parsed, "value") else parsed
    if isinstance(read, dt.date):
        return read.year
    return read if isinstance(read, int) and not isinstance(read, bool) else None


def squeezed(text: str) -> str:
    return text.strip().replace(" ", "").replace("\u3000", "")


def _kept(name: str, kept: set[str], names: list[str]) -> bool:
    """Whether ``keep_values`` names the column ``name``: by its path, or by its
    last header cell when no other column of the sheet ends in it."""
    if not name or header_key(name) in kept:
        return bool(name)
    last = header_key(name.rsplit("/", 1)[-1])
    return last in kept and sum(n.rsplit("/", 1)[-1] == name.rsplit("/", 1)[-1] for n in names) == 1


def _sheet_profile(
    name: str, grid: Any, keep: set[str], header: int | list[int] | None
) -> dict[str, Any]:
    found = read_header(grid, header)
    head = -1 if found.row is None else found.row
    top = head if not found.rows else found.rows[0]
    names = list(found.names)
    width = len(names)
    below = [list(r) for r in grid[head + 1 :]]
    while below and all(_blank(v) for v in below[-1]):
        below.pop()
    tables, after = [], 0
    if found.row is not None:  # the first table in detail; the others by position
        tables = [t.as_dict() for t in tables_in(grid, found)]
        extent = table_extent(below, grid[head])
        after = extent.after
        below = below[: extent.rows + extent.footnotes]
    specials, data = [], []
    notes = footnote_rows(below)
    for offset, row in enumerate(below, start=1):
        cells = list(row) + [None] * (width - len(row))
        if all(_blank(v) for v in cells):
            specials.append({"at": offset, "kind": "blank"})
            continue
        if offset - 1 in notes:
            specials.append({"at": offset, "kind": "footnote", **notes[offset - 1]})
            continue
        total = total_cell(cells)
        if total is not None:
            column, label = total
            filled = {
                str(c + 1): (
                    "label"
                    if same_label(v, label)
                    else "number"
                    if as_number(v) is not None
                    else "text"
                )
                for c, v in enumerate(cells)
                if not _blank(v) and c != column
            }
            specials.append(
                {"at": offset, "kind": "total", "column": column + 1, **label, "filled": filled}
            )
            continue
        data.append(cells)
    above = []
    for index, row in enumerate(grid[: max(top, 0)]):
        filled_cells = [c + 1 for c, v in enumerate(row) if not _blank(v)]
        if filled_cells:
            above.append({"row": index + 1, "cells": filled_cells})
    kept = {header_key(k) for k in keep}
    columns = [
        _column_profile(name, [r[c] for r in data], _kept(name, kept, names))
        for c, name in enumerate(names)
    ]
    if len(found.rows) > 1:  # the cells of each header row, for a twin to write them
        for column, spec in enumerate(columns):
            spec["header"] = [cells[column] for cells in found.cells]
    merged = [[r1 + 1, c1 + 1, r2 + 1, c2 + 1] for r1, c1, r2, c2 in merges_of(grid)]
    out: dict[str, Any] = {
        "name": name,
        "hidden": bool(getattr(grid, "hidden", False)),
        "header_row": None if found.row is None else head + 1,
    }
    if len(found.rows) > 1:
        out["header_rows"] = [r + 1 for r in found.rows]
    out |= {
        "above": above,
        "merged": sorted(m for m in merged if m[2] <= head + 1),
        "rows": len(below),
        "data_rows": len(data),
        "specials": specials,
        "columns": columns,
    }
    if tables:
        out["tables"] = tables
    if after:
        out["rows_after_table"] = after
    if found.note:
        out["header_note"] = found.note
    if found.withheld:
        out["named_by_letter"] = [names[c] for c in found.withheld]
    return out


def profile_files(
    paths: list[Path],
    *,
    keep_values: tuple[str, ...] = (),
    header_row: int | list[int] | None = None,
) -> dict[str, Any]:
    """The structure-only profile of ``paths`` (see the module's docstring);
    ``header_row`` (1-based, a list for a header over several rows) instead
    of the rows the detector believes."""
    files = []
    for path in paths:
        if not path.is_file():
            raise SourceFileError(f"{path} does not exist.", file=str(path))
        fmt, sheets = _sheets(path)
        files.append(
            {
                "name": path.name,
                "format": fmt,
                "sheets": [
                    _sheet_profile(name, grid, set(keep_values), header_row)
                    for name, grid in sheets
                    if grid
                ],
            }
        )
    return {"ikou_profile": PROFILE_VERSION, "keep_values": list(keep_values), "files": files}
