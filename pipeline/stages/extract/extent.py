"""Where a table ends: its last record, the notes under it, and what follows.

Real sheets hold more than one table. Under the records of the first come
blank rows, then a lone title (``表２ 区別人口``), a unit line, a new header
and the records of a second table; or notes (``※``, ``注1``, ``a)``, a
source line, a web address); or a small summary block (``内訳``, ``○ 12``).
None of that is a record of the first table, and none of it may be loaded
under its columns as a row of nulls.

:func:`table_extent` reads the rows under a header and says how many belong
to the table, how many after them are its **footnotes** and from where the
rest lies **after the table**. The extract stage marks those rows, and the
map stage counts them as skipped under ``footnote`` and ``after_table`` with
their positions, so every row is still accounted for and none is loaded.

The table ends at blank rows when what follows does not continue it: among
the next few rows none is a *full* row (filled in at least half as many
cells as a typical record — the upper quartile of the last few hundred
records: titles, units, notes and summary lines are not),
or the first full row is a *header* (text where the records so far hold
numbers, and no number but a year). A lone section row (``都心地域``)
followed by records continues the table. Footnotes are the text-only, short
rows at the table's end whose first starts like a note
(:func:`ikou.mappings.summary.footnote_text`), with the blank rows before
them. A table whose rows never pause is never cut.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ikou.mappings.summary import footnote_text, total_label

__all__ = ["AFTER_TABLE", "FOOTNOTE", "Extent", "table_extent"]

AFTER_TABLE = "after_table"
FOOTNOTE = "footnote"
LOOK_AHEAD = 4  # non-blank rows read after a pause to decide whether the table goes on

_NUMBER = re.compile(r"^[+\-−▲△]?[\d,]*\.?\d+%?$")
_DASHES = {"-", "－", "‐", "―", "—", "…", "x", "X", "*", "***", "・"}


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _numberlike(value: Any) -> bool:
    """A number, a date, or the text a statistical table writes for one
    (``32,500 ``, ``－``, ``△12``)."""
    if isinstance(value, bool):
        return False
    if not isinstance(value, str):
        return True  # int, float, date, time
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
    return text in _DASHES or bool(_NUMBER.match(text))


def _year(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and float(value).is_integer()
        and 1900 <= value <= 2100
    )


@dataclass(frozen=True)
class Extent:
    """How the rows under a header divide: ``rows`` belong to the table, the
    next ``footnotes`` are its notes, the rest (``after``) lie after it."""

    rows: int
    footnotes: int
    after: int

    def marks(self) -> list[str | None]:
        """Each row's mark: ``None`` in the table, then ``footnote``, then ``after_table``."""
        return [None] * self.rows + [FOOTNOTE] * self.footnotes + [AFTER_TABLE] * self.after


WINDOW = 200  # records before a pause that say what the table looks like


class _Shape:
    """What the records before a row look like: how many cells the middle one
    fills, and which columns hold numbers — read from the last
    :data:`WINDOW` records, so deciding costs the same at row 10 or 200,000."""

    def __init__(
        self,
        cells: np.ndarray,
        counts: np.ndarray,
        records: np.ndarray,
        upto: int,
        known: dict[tuple[int, int], bool],
    ):
        self.cells = cells
        at = int(np.searchsorted(records, upto))
        self.rows = records[max(0, at - WINDOW) : at]
        # the upper quartile: a record's count even when notes close the window
        typical = np.percentile(counts[self.rows], 75, method="higher") if len(self.rows) else 1
        self.typical = int(typical)
        # which columns hold numbers changes slowly: judged once per WINDOW records
        self.bucket = at // WINDOW
        self.known = known

    def full(self, filled: list[tuple[int, Any]]) -> bool:
        # a table of one or two cells a row cannot tell a title from a record
        need = math.ceil(self.typical / 2) if self.typical >= 3 else 1
        return len(filled) >= need

    def numeric(self, column: int) -> bool:
        key = (self.bucket, column)
        if key not in self.known:
            values = [v for v in self.cells[self.rows, column] if not _empty(v)]
            numbers = sum(_numberlike(v) for v in values)
            self.known[key] = len(values) >= 2 and numbers >= 0.8 * len(values)
        return self.known[key]

    def header(self, filled: list[tuple[int, Any]]) -> bool:
        """Text where the records hold numbers, and no number but a year."""
        if any(_numberlike(v) and not _year(v) for _, v in filled):
            return False
        return any(not _numberlike(v) and self.numeric(c) for c, v in filled)

    def note(self, filled: list[tuple[int, Any]]) -> bool:
        """A short row of text only, not a total: what a note's lines look like."""
        return (
            bool(filled)
            and all(isinstance(v, str) for _, v in filled)
            and not self.full(filled)
            and not total_label(filled[0][1])
        )


def _grid(body: Sequence[Sequence[Any]] | np.ndarray) -> np.ndarray:
    if isinstance(body, np.ndarray):
        return body
    width = max((len(row) for row in body), default=0)
    cells = np.empty((len(body), width), dtype=object)
    for index, row in enumerate(body):
        cells[index, : len(row)] = list(row)
    return cells


def table_extent(body: Sequence[Sequence[Any]] | np.ndarray, header: Sequence[Any] = ()) -> Extent:
    """Divide ``body`` — the rows under a header as lists or a 2-D object
    array, trailing blank rows removed — into the table, its footnotes and
    what lies after it (see the module docstring). ``header`` is the header's
    last row: a copy of it after a pause (a printed ledger's repeated header)
    continues the table."""
    cells = _grid(body)
    total = len(cells)
    if not total:
        return Extent(0, 0, 0)
    present = ~pd.isna(cells)
    if cells.size:
        present &= cells != ""
    counts = present.sum(axis=1)
    records = np.flatnonzero(counts)

    def filled(index: int) -> list[tuple[int, Any]]:
        return [(int(c), cells[index, c]) for c in np.flatnonzero(present[index])]

    own = [k for k in (_key(v) for v in header) if k]
    known: dict[tuple[int, int], bool] = {}
    end = total
    pauses = records[1:][np.diff(records) > 1] if len(records) > 1 else records[:0]
    for pause in pauses:
        shape = _Shape(cells, counts, records, int(pause), known)
        at = int(np.searchsorted(records, pause))
        ahead = [filled(int(i)) for i in records[at : at + LOOK_AHEAD]]
        if [_key(v) for _, v in ahead[0]] == own:  # the header again, as printed ledgers repeat it
            continue
        full = next((row for row in ahead if shape.full(row)), None)
        if full is None or shape.header(full):
            end = int(records[at - 1]) + 1
            break
    shape = _Shape(cells, counts, records, end, known)
    rows = notes = end
    for index in range(end - 1, -1, -1):  # notes right under the records, upward
        if not counts[index]:
            continue
        row = filled(index)
        if not shape.note(row):
            break
        if footnote_text(row[0][1]):
            notes = index
    if notes < end:
        rows = notes
        while rows > 0 and not counts[rows - 1]:
            rows -= 1
    if rows == 0:  # nothing but notes: the rows are the table's after all
        return Extent(total, 0, 0)
    stop = end  # notes after a pause, downward, up to what is no note
    first = next((int(i) for i in records if i >= end), None)
    if first is not None and notes == end and footnote_text(filled(first)[0][1]):
        stop = first + 1
        for index in range(first + 1, total):
            if not counts[index]:
                continue
            row = filled(index)
            if not shape.note(row):
                break
            if not counts[index - 1] and not footnote_text(row[0][1]):
                break  # after a blank row, only a new note goes on with the notes
            stop = index + 1
    return Extent(rows, stop - rows, total - stop)


def _key(value: Any) -> str:
    if _empty(value):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
