"""From a sheet's grid of cells to a raw table: header detection and row numbering.

Every reader (xls, xlsx, csv) produces a *grid* — the sheet's rows from row 1,
each a list of Python values with ``None`` for an empty cell, and for .xls and
.xlsx the sheet's merged ranges — and hands it here. This module finds the
header (one row, or up to three with group cells over the names), names each
column by its path from the top (``学級数/計``), finds the column each mapped
name means (its path, its last header cell when no other column shares it,
or its letter), and keeps each data row's 1-based row number, so the rest of
ikou can always say *where* a row came from. The profiler names columns with
the same :func:`header_paths`, so a twin fits the plan written for the file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ikou.errors import HeaderNotFoundError, position
from ikou.mappings.spec import column_ref
from ikou.pipeline.stages.extract.extent import table_extent

__all__ = [
    "AUTO_HEADER_ROWS",
    "Merge",
    "SheetGrid",
    "SheetTable",
    "column_letter",
    "header_key",
    "header_origins",
    "header_paths",
    "header_rows_of",
    "merges_of",
    "sheet_grid",
    "table_from_grid",
]

AUTO_HEADER_ROWS = 50  # how far down `header_row: auto` looks
_SPACE = re.compile(r"\s+")


def header_key(name: Any) -> str:
    """The form two header names are compared in: NFKC, no whitespace at all.

    A header cell written ``入居\\n年月日`` or ``入居年月日　`` matches the mapping's
    ``入居年月日``; full-width and half-width letters and digits match too.
    """
    if name is None:
        return ""
    if isinstance(name, float) and name.is_integer():
        name = int(name)
    return _SPACE.sub("", unicodedata.normalize("NFKC", str(name)))


def column_letter(index: int) -> str:
    """0 → ``A``, 25 → ``Z``, 26 → ``AA``: how Excel names a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass(frozen=True)
class SheetTable:
    """The data rows of one sheet, by column name, with their 1-based row numbers."""

    frame: pd.DataFrame
    rows: list[int]
    header_row: int
    header_rows: tuple[int, ...] = ()  # every row of the header, 1-based (the last is header_row)
    marks: tuple[str | None, ...] = ()
    """Per row, ``None`` in the table, else ``footnote`` or ``after_table``
    (:func:`.extent.table_extent`); empty when every row is the table's."""

    @property
    def columns(self) -> dict[str, list[Any]]:
        """Each column's values as a list (for tests and small tables)."""
        return {name: self.frame[name].tolist() for name in self.frame.columns}


def _blank(row: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _where(file: str, sheet: str | None) -> str:
    return position(file, sheet)


Merge = tuple[int, int, int, int]
"""A merged range: first row, first column, last row, last column (0-based, inclusive)."""


class SheetGrid(list[list[Any]]):
    """A sheet's rows as a reader returns them, with the sheet's merged ranges
    (``merged``, where the format records them: .xls, .xlsx) and whether the
    sheet is hidden."""

    merged: tuple[Merge, ...] = ()
    hidden: bool = False


def sheet_grid(
    rows: list[list[Any]], merged: Sequence[Merge] = (), hidden: bool = False
) -> SheetGrid:
    """``rows`` as a :class:`SheetGrid` carrying ``merged`` and ``hidden``."""
    grid = SheetGrid(rows)
    grid.merged = tuple(merged)
    grid.hidden = hidden
    return grid


def merges_of(grid: Sequence[Sequence[Any]]) -> tuple[Merge, ...]:
    """The merged ranges a reader found in ``grid`` (none for a plain list)."""
    return getattr(grid, "merged", ())


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell(grid: Sequence[Sequence[Any]], row: int, column: int) -> Any:
    line = grid[row] if 0 <= row < len(grid) else ()
    return line[column] if column < len(line) else None


def header_origins(
    grid: Sequence[Sequence[Any]],
    rows: Sequence[int],
    width: int,
    merged: Sequence[Merge] = (),
    *,
    from_above: bool = False,
) -> dict[tuple[int, int], tuple[int, int]]:
    """For each (row, column) of the 0-based header ``rows``, the cell whose
    name stands there: itself, the first cell of a merged range covering it,
    or the group cell it belongs to (see :func:`header_paths`)."""
    top, bottom = rows[0], rows[-1]
    origin: dict[tuple[int, int], tuple[int, int]] = {}
    anchors: set[tuple[int, int]] = set()
    for r1, c1, r2, c2 in merged:
        if r2 < top or r1 > bottom or c1 >= width:
            continue
        if r1 < top and not from_above:
            continue  # a cell above the header is not one of its names
        anchors.add((r1, c1))
        for r in range(max(r1, top), min(r2, bottom) + 1):
            for c in range(c1, min(c2, width - 1) + 1):
                origin[(r, c)] = (r1, c1)

    def covered(r: int, c: int) -> bool:
        return (r, c) in origin or not _empty(_cell(grid, r, c))

    for i, r in enumerate(rows):
        for c in range(width):
            if (r, c) in origin:
                continue
            if not _empty(_cell(grid, r, c)):
                origin[(r, c)] = (r, c)
                continue
            left = origin.get((r, c - 1))
            if i == len(rows) - 1 or left is None or left[0] != r or left in anchors:
                continue
            below = rows[i + 1]
            same_group = i == 0 or origin.get((rows[i - 1], c)) == origin.get(
                (rows[i - 1], left[1])
            )
            if same_group and covered(below, c) and covered(below, left[1]):
                origin[(r, c)] = left
    return origin


def header_paths(
    grid: Sequence[Sequence[Any]],
    rows: Sequence[int],
    width: int,
    merged: Sequence[Merge] = (),
    *,
    from_above: bool = False,
) -> list[tuple[str, ...]]:
    """Each column's name as its path of header cells from the top (as
    :func:`header_key` writes them), over the 0-based header ``rows``.

    A merged cell names every column and row it covers. A blank cell of an
    upper row, right of a group cell that is not merged and has names under
    it, belongs to that group while names stand under it too and the row
    above does not change group (a CSV has no merges). A cell repeated down
    the rows (a name merged over them) is named once. With ``from_above``, a
    one-row header's blank cell takes the cell directly above the header.
    """
    origin = header_origins(grid, rows, width, merged, from_above=from_above)
    paths = []
    for c in range(width):
        path: list[str] = []
        for r in rows:
            at = origin.get((r, c))
            key = header_key(_cell(grid, *at)) if at is not None else ""
            if key and (not path or path[-1] != key):
                path.append(key)
        if not path and from_above and len(rows) == 1:
            key = header_key(_cell(grid, rows[0] - 1, c))
            path = [key] if key else []
        paths.append(tuple(path))
    return paths


def _rows_named(rows: Sequence[int]) -> str:
    """``header row 4`` or ``header rows 3–4`` (1-based)."""
    if len(rows) == 1:
        return f"header row {rows[0] + 1}"
    return f"header rows {rows[0] + 1}–{rows[-1] + 1}"


@dataclass(frozen=True)
class _Found:
    """Which column each mapped name means, or why it means none."""

    columns: dict[str, int]
    missing: list[str]
    ambiguous: dict[str, list[int]]

    @property
    def problems(self) -> tuple[int, int]:
        """Names meaning no column, then names meaning several (fewer is closer)."""
        return len(self.missing), len(self.ambiguous)


def _resolve(wanted: Sequence[str], paths: Sequence[tuple[str, ...]]) -> _Found:
    """A mapped name means the column whose full path it is, else the one
    column whose last header cell it is; ``{column: N}`` means column N."""
    by_path: dict[str, list[int]] = {}
    by_last: dict[str, list[int]] = {}
    for column, path in enumerate(paths):
        if path:
            by_path.setdefault("/".join(path), []).append(column)
            by_last.setdefault(path[-1], []).append(column)
    found = _Found({}, [], {})
    for name in wanted:
        letter = column_ref(name)
        if letter is not None:
            if letter < len(paths):
                found.columns[name] = letter
            else:
                found.missing.append(name)
            continue
        key = header_key(name)
        candidates = by_path.get(key) or by_last.get(key) or []
        if len(candidates) == 1:
            found.columns[name] = candidates[0]
        elif candidates:
            found.ambiguous[name] = candidates
        else:
            found.missing.append(name)
    return found


def _ambiguous(
    name: str,
    columns: list[int],
    paths: Sequence[tuple[str, ...]],
    rows: Sequence[int],
    file: str,
    sheet: str | None,
) -> HeaderNotFoundError:
    named = [("/".join(paths[c]), column_letter(c)) for c in columns]
    listed = ", ".join(f"{path} (column {letter})" for path, letter in named)
    path, letter = named[0]
    how = f"its letter (from: {{column: {letter}}})"
    if len({p for p, _ in named}) == len(named):
        how = f"its full path (from: {path}) or by {how}"
    return HeaderNotFoundError(
        f"{_where(file, sheet)} has {len(columns)} columns that {name!r} may mean in "
        f"{_rows_named(rows)}: {listed}; name the one meant by {how} in the mapping.",
        file=file,
        sheet=sheet,
        row=rows[-1] + 1,
        column=name,
    )


def _widths(grid: Sequence[Sequence[Any]], upto: int) -> list[int]:
    """For each of the first ``upto`` rows, the widest row from there down."""
    widest, out = 0, [0] * len(grid)
    for index in range(len(grid) - 1, -1, -1):
        widest = max(widest, len(grid[index]))
        out[index] = widest
    return out[:upto]


def _find_header(
    grid: Sequence[Sequence[Any]],
    wanted: Sequence[str],
    merged: Sequence[Merge],
    file: str,
    sheet: str | None,
    start: int = 0,
) -> tuple[list[int], list[tuple[str, ...]], _Found]:
    """The first header (lowest last row, then fewest rows, up to three) in
    which every mapped name means one column, among the
    :data:`AUTO_HEADER_ROWS` rows from ``start``."""
    widths = _widths(grid, start + AUTO_HEADER_ROWS)
    best: tuple[_Found, list[int], list[tuple[str, ...]]] | None = None
    for bottom in range(start, len(widths)):
        for depth in (1, 2, 3):
            rows = list(range(bottom - depth + 1, bottom + 1))
            if rows[0] < start or _blank(grid[rows[0]]):
                break
            paths = header_paths(grid, rows, widths[rows[0]], merged, from_above=depth == 1)
            found = _resolve(wanted, paths)
            if found.problems == (0, 0):
                return rows, paths, found
            closer = best is None or found.problems < best[0].problems
            deeper = (
                best is not None and found.problems == best[0].problems and bottom == best[1][-1]
            )
            if closer or deeper:  # the same names over more rows: their paths say more
                best = (found, rows, paths)
    if best is not None and not best[0].missing:
        found, rows, paths = best
        name, columns = next(iter(found.ambiguous.items()))
        raise _ambiguous(name, columns, paths, rows, file, sheet)
    shown = sorted(best[0].missing if best is not None else wanted)
    among = (
        f"the first {AUTO_HEADER_ROWS}"
        if not start
        else f"the {AUTO_HEADER_ROWS} from row {start + 1}"
    )
    raise HeaderNotFoundError(
        f"no row among {among} of {_where(file, sheet)}, alone or with "
        f"one or two rows above it, holds all the mapped source columns (closest lacks: "
        f"{', '.join(shown)}); check the names in the mapping or set header_row: in the plan.",
        file=file,
        sheet=sheet,
    )


def _title_row(grid: Sequence[Sequence[Any]], title: str, file: str, sheet: str | None) -> int:
    """The first row with a cell containing ``title`` (compared as header names are)."""
    wanted = header_key(title)
    for index, row in enumerate(grid):
        if any(isinstance(v, str) and wanted in header_key(v) for v in row):
            return index
    raise HeaderNotFoundError(
        f"no cell of {_where(file, sheet)} holds the title {title!r} named by the plan's "
        "title:; check the title's words or the sheet.",
        file=file,
        sheet=sheet,
    )


def header_rows_of(header_row: int | str | Sequence[int]) -> list[int] | None:
    """A plan's ``header_row`` as 0-based rows, ``None`` for ``auto``."""
    if header_row == "auto":
        return None
    if isinstance(header_row, int):
        return [header_row - 1]
    return [int(r) - 1 for r in header_row]  # type: ignore[union-attr]


def _explicit_header(
    grid: Sequence[Sequence[Any]],
    rows: list[int],
    wanted: Sequence[str],
    merged: Sequence[Merge],
    file: str,
    sheet: str | None,
) -> tuple[list[int], list[tuple[str, ...]], _Found]:
    if rows[-1] >= len(grid):
        asked = rows[0] + 1 if len(rows) == 1 else [r + 1 for r in rows]
        raise HeaderNotFoundError(
            f"{_where(file, sheet)} has only {len(grid)} rows, so header_row: {asked} "
            "does not exist; set header_row: to the row holding the column names.",
            file=file,
            sheet=sheet,
            row=rows[-1] + 1,
        )
    width = max((len(row) for row in grid[rows[0] :]), default=0)
    paths = header_paths(grid, rows, width, merged, from_above=len(rows) == 1)
    found = _resolve(wanted, paths)
    for name in found.missing:
        raise HeaderNotFoundError(
            f"{_where(file, sheet)} has no column {name!r} in {_rows_named(rows)}; "
            "check the mapping's column name or the plan's header_row.",
            file=file,
            sheet=sheet,
            row=rows[-1] + 1,
            column=name,
        )
    for name, columns in found.ambiguous.items():
        raise _ambiguous(name, columns, paths, rows, file, sheet)
    return rows, paths, found


def _labels(paths: Sequence[tuple[str, ...]], found: _Found) -> list[str]:
    """Each column's label in the raw table: the mapping's spelling of it, else
    its path, else its letter in brackets; a repeated label gets its letter."""
    spelling: dict[int, str] = {}
    for name, column in found.columns.items():
        spelling.setdefault(column, name)
    labels: list[str] = []
    for column, path in enumerate(paths):
        label = spelling.get(column) or "/".join(path) or f"({column_letter(column)})"
        if label in labels:
            label = f"{label}({column_letter(column)})"
        labels.append(label)
    return labels


def table_from_grid(
    grid: Sequence[Sequence[Any]],
    *,
    header_row: int | str | Sequence[int],
    wanted: Sequence[str],
    file: str,
    sheet: str | None,
    merged: Sequence[Merge] | None = None,
    title: str | None = None,
) -> SheetTable:
    """Cut the data rows out of ``grid`` under its header.

    The header is one row, or up to three consecutive rows (``header_row:
    [3, 4]``) whose columns are named by their paths (:func:`header_paths`);
    ``auto`` finds the first that names every mapped column. Rows above the
    header are ignored, and an empty cell of a one-row header takes the
    name written directly above it. With ``title``, the header is looked for
    under the first row holding a cell that contains it (one of several
    tables stacked in the sheet). Data rows run from under the header's
    last row to the last non-blank row; those after the table's end (its
    footnotes, another table below it) are kept but marked
    (:func:`.extent.table_extent`), so they are counted and never loaded. An
    empty string cell (how calamine and CSV spell an empty cell) becomes ``None``.
    """
    if not grid or all(_blank(row) for row in grid):
        raise HeaderNotFoundError(
            f"{_where(file, sheet)} is empty; check the sheet name or the file.",
            file=file,
            sheet=sheet,
        )
    merged = merges_of(grid) if merged is None else tuple(merged)
    explicit = header_rows_of(header_row)
    if explicit is None:
        start = 0 if title is None else _title_row(grid, title, file, sheet) + 1
        rows, paths, found = _find_header(grid, wanted, merged, file, sheet, start)
    else:
        rows, paths, found = _explicit_header(grid, explicit, wanted, merged, file, sheet)
    index = rows[-1]
    width = len(paths)

    body = list(grid[index + 1 :])
    while body and _blank(body[-1]):
        body.pop()
    if any(len(row) != width for row in body):
        body = [list(row)[:width] + [None] * (width - len(row)) for row in body]
    cells = np.array(body, dtype=object) if body else np.empty((0, width), dtype=object)
    cells = cells.reshape(len(body), width)
    if cells.size:
        cells[cells == ""] = None  # an empty cell is null, whoever wrote the file
    # one 2-D block: column access is a view, and nothing is copied again
    frame = pd.DataFrame(cells, columns=_labels(paths, found), dtype=object, copy=False)
    for name, column in found.columns.items():
        if name not in frame.columns:  # a second name for a column already labelled
            frame[name] = frame.iloc[:, column]
    rows_out = list(range(index + 2, index + 2 + len(body)))
    extent = table_extent(cells, grid[index])
    return SheetTable(
        frame=frame,
        rows=rows_out,
        header_row=index + 1,
        header_rows=tuple(r + 1 for r in rows),
        marks=() if extent.rows == len(body) else tuple(extent.marks()),
    )
