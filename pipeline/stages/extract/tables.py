"""Every table of a sheet, one under another: what ``ikou profile`` lists.

A sheet may stack several tables (see :mod:`.extent`). :func:`tables_in`
finds the first header ikou can believe (:func:`.header.read_header`), the
table's end under it (:func:`.extent.table_extent`), then looks for the next
header in what lies after, and so on — so a profile can say "three tables on
this sheet: header rows 6–7, records 8–29; header row 33, records 34–50; …"
and the plan can name the one it wants (``header_row``, ``title``). Only
positions are returned, never a cell's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ikou.pipeline.stages.extract.extent import table_extent
from ikou.pipeline.stages.extract.grid import merges_of, sheet_grid
from ikou.pipeline.stages.extract.header import read_header

__all__ = ["MAX_TABLES", "FoundTable", "tables_in"]

MAX_TABLES = 50  # a sheet of one block per survey question has about twenty


@dataclass(frozen=True)
class FoundTable:
    """One table of a sheet, by 1-based rows: its header rows, its first and
    last record (``0`` when it has none) and its footnote rows."""

    header_rows: tuple[int, ...]
    first: int
    last: int
    records: int
    footnotes: int

    def as_dict(self) -> dict[str, Any]:
        """The profile's entry for it."""
        return {
            "header_rows": list(self.header_rows),
            "rows": [self.first, self.last],
            "records": self.records,
            "footnotes": self.footnotes,
        }


def _blank(row: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _part(grid: Sequence[Sequence[Any]], start: int, stop: int) -> Any:
    """Rows ``start``–``stop`` of ``grid`` as a grid of their own, merges shifted."""
    if start == 0 and stop == len(grid):
        return grid
    merged = [
        (r1 - start, c1, r2 - start, c2)
        for r1, c1, r2, c2 in merges_of(grid)
        if r1 >= start and r2 < stop
    ]
    return sheet_grid([list(row) for row in grid[start:stop]], merged)


def tables_in(grid: Sequence[Sequence[Any]], first_header: Any = None) -> list[FoundTable]:
    """The tables stacked in ``grid``, top first (see the module docstring).
    ``first_header`` (a :class:`.header.Header` already read for the whole
    sheet) saves reading it again."""
    found: list[FoundTable] = []

    def between(start: int, stop: int, header: Any = None) -> None:
        if start >= stop or len(found) >= MAX_TABLES:
            return
        header = header if header is not None else read_header(_part(grid, start, stop))
        if header.row is None:
            return
        between(start, start + header.rows[0])  # a table above the one found
        top = start + header.row + 1  # the first row under the header, 0-based
        body = [list(row) for row in grid[top:stop]]
        while body and _blank(body[-1]):
            body.pop()
        extent = table_extent(body, grid[top - 1])
        records = [i for i in range(extent.rows) if not _blank(body[i])]
        notes = range(extent.rows, extent.rows + extent.footnotes)
        found.append(
            FoundTable(
                header_rows=tuple(start + r + 1 for r in header.rows),
                first=top + records[0] + 1 if records else 0,
                last=top + records[-1] + 1 if records else 0,
                records=len(records),
                footnotes=sum(not _blank(body[i]) for i in notes),
            )
        )
        if extent.after:
            between(top + extent.rows + extent.footnotes, stop)

    between(0, len(grid), first_header)
    return found
