"""From a sheet's grid of cells to a raw table: header detection and row numbering.

Every reader (xls, xlsx, csv) produces a *grid* — the sheet's rows from row 1,
each a list of Python values with ``None`` for an empty cell — and hands it
here. This module finds the header row, names the columns, and keeps each data
row's 1-based row number, so the rest of ikou can always say *where* a row
came from.
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

__all__ = ["AUTO_HEADER_ROWS", "SheetTable", "column_letter", "header_key", "table_from_grid"]

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

    @property
    def columns(self) -> dict[str, list[Any]]:
        """Each column's values as a list (for tests and small tables)."""
        return {name: self.frame[name].tolist() for name in self.frame.columns}


def _blank(row: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _where(file: str, sheet: str | None) -> str:
    return position(file, sheet)


def _find_header(
    grid: Sequence[Sequence[Any]], wanted: Sequence[str], file: str, sheet: str | None
) -> int:
    wanted_keys = {header_key(w) for w in wanted}
    best_missing: set[str] | None = None
    for index, row in enumerate(grid[:AUTO_HEADER_ROWS]):
        keys = {header_key(v) for v in row}
        missing = wanted_keys - keys
        if not missing:
            return index
        if best_missing is None or len(missing) < len(best_missing):
            best_missing = missing
    shown = sorted(best_missing or wanted_keys)
    raise HeaderNotFoundError(
        f"no row among the first {AUTO_HEADER_ROWS} of {_where(file, sheet)} holds all the "
        f"mapped source columns (closest row lacks: {', '.join(shown)}); check the names in "
        "the mapping or set header_row: in the plan.",
        file=file,
        sheet=sheet,
    )


def table_from_grid(
    grid: Sequence[Sequence[Any]],
    *,
    header_row: int | str,
    wanted: Sequence[str],
    file: str,
    sheet: str | None,
) -> SheetTable:
    """Cut the data rows out of ``grid`` under the header row.

    Rows above the header (titles, merged group headers) are ignored. An empty
    header cell takes the name written directly above it, so a two-row header
    whose first row holds vertically merged names works when ``header_row``
    points at its last row. Data rows run to the last non-blank row. An empty
    string cell (how calamine and CSV spell an empty cell) becomes ``None``.
    """
    if not grid or all(_blank(row) for row in grid):
        raise HeaderNotFoundError(
            f"{_where(file, sheet)} is empty; check the sheet name or the file.",
            file=file,
            sheet=sheet,
        )
    if header_row == "auto":
        index = _find_header(grid, wanted, file, sheet)
    else:
        index = int(header_row) - 1
        if index >= len(grid):
            raise HeaderNotFoundError(
                f"{_where(file, sheet)} has only {len(grid)} rows, so header_row: {header_row} "
                "does not exist; set header_row: to the row holding the column names.",
                file=file,
                sheet=sheet,
                row=int(header_row),
            )
    header = list(grid[index])
    above = list(grid[index - 1]) if index > 0 else []
    width = max((len(row) for row in grid[index:]), default=0)
    names: list[str] = []
    for col in range(width):
        cell = header[col] if col < len(header) else None
        if header_key(cell) == "" and col < len(above):
            cell = above[col]
        names.append(header_key(cell))

    wanted_keys = [header_key(w) for w in wanted]
    positions: dict[str, list[int]] = {}
    for col, key in enumerate(names):
        if key:
            positions.setdefault(key, []).append(col)
    for name, key in zip(wanted, wanted_keys, strict=True):
        found = positions.get(key, [])
        if not found:
            raise HeaderNotFoundError(
                f"{_where(file, sheet)} has no column {name!r} in header row {index + 1}; "
                "check the mapping's column name or the plan's header_row.",
                file=file,
                sheet=sheet,
                row=index + 1,
                column=name,
            )
        if len(found) > 1:
            letters = " and ".join(column_letter(c) for c in found)
            raise HeaderNotFoundError(
                f"{_where(file, sheet)} has column {name!r} twice in header row {index + 1} "
                f"(columns {letters}); rename one of them in a copy of the file or in the mapping.",
                file=file,
                sheet=sheet,
                row=index + 1,
                column=name,
            )

    body = list(grid[index + 1 :])
    while body and _blank(body[-1]):
        body.pop()
    if any(len(row) != width for row in body):
        body = [list(row)[:width] + [None] * (width - len(row)) for row in body]
    cells = np.array(body, dtype=object) if body else np.empty((0, width), dtype=object)
    cells = cells.reshape(len(body), width)
    if cells.size:
        cells[cells == ""] = None  # an empty cell is null, whoever wrote the file
    spelling = {key: name for name, key in zip(wanted, wanted_keys, strict=True)}
    labels: list[str] = []
    for col, key in enumerate(names):
        label = spelling.get(key, key) or f"({column_letter(col)})"
        if label in labels:
            label = f"{label}({column_letter(col)})"
        labels.append(label)
    # one 2-D block: column access is a view, and nothing is copied again
    frame = pd.DataFrame(cells, columns=labels, dtype=object, copy=False)
    rows = list(range(index + 2, index + 2 + len(body)))
    return SheetTable(frame=frame, rows=rows, header_row=index + 1)
