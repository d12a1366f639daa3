"""The map stage's engine: a raw table + a table mapping → a target-shaped table.

Order of work for one target table:

1. **skip** — each source row is tested against the mapping's skip rules in
   order; the first rule that matches skips the row and is counted by name.
2. **map** — each target column takes its source column(s) and runs its
   transforms; a transform's reason becomes ``<column>.<transform>.<reason>``.
3. **type** — the result must be of the contract's type
   (``<column>.type.mismatch`` otherwise); nothing is coerced silently.

Every problem is collected (a row can have several); deciding what is
rejected is the validation stage's job. Positions are raw-table indexes, which
the pipeline turns into file, sheet and row.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import pandas as pd

from ikou.mappings.patterns import pattern_test
from ikou.mappings.spec import OUTSIDE_GRID, ColumnMapping, SkipRule, TableMapping, Until
from ikou.mappings.summary import label_text, total_label
from ikou.mappings.transforms import (
    Noted,
    Reject,
    apply_distinct,
    as_text,
    distinct_apply,
    slug_part,
    typed_factorize,
)

__all__ = ["TEXT", "MappedTable", "coerce", "column_chain", "map_table", "typed_series"]

_INT64 = 2**63
TEXT = pd.StringDtype("python")
"""The string dtype for target columns: Python storage behaves the same whether
or not pyarrow is installed, and every operation on these columns is Python-level."""
_BLANK_CHARS = " \t\r\n\u3000\u00a0"
AFTER_TABLE = "after_table"  # the skip name of rows past a table's end (extract's marks, until:)


@dataclass(frozen=True)
class MappedTable:
    """A target table before validation.

    ``frame`` holds the typed target columns for every row that was not
    skipped (null where a column failed); ``problems`` is one line per failed
    cell and ``notes`` one per cell accepted with a note (a date outside its
    era under ``lenient_era``, an unsplit name): raw row index, target column,
    finding slug. ``cleared`` holds the failed cells of ``on_error: null``
    columns, which are null in ``frame`` and do not reject their row.
    """

    table: str
    source: str
    frame: pd.DataFrame
    skipped: pd.Series
    problems: pd.DataFrame
    notes: pd.DataFrame
    source_rows: int
    cleared: pd.DataFrame


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip(_BLANK_CHARS))


def _blank_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows whose every cell is empty or only spaces.

    A row is settled by its first non-null cell in almost every case (it is
    not blank unless that cell is only spaces), so only the rare rows whose
    first non-null cell is spaces are looked at cell by cell.
    """
    if frame.empty:
        return pd.Series(False, index=frame.index)
    cells = frame.to_numpy(dtype=object)
    present = ~pd.isna(cells)
    first = present.argmax(axis=1)
    leading = cells[np.arange(len(cells)), first]
    blank = ~present.any(axis=1)
    for row in np.flatnonzero(~blank):
        if _blank(leading[row]):
            blank[row] = all(_blank(v) for v in cells[row])
    return pd.Series(blank, index=frame.index)


def _match_rows(series: pd.Series, pattern: str) -> pd.Series:
    """Rows whose cell, as NFKC text, contains a match of ``pattern``.

    RE2 runs it (linear in the cell's length), so no skip rule can hang the
    run on a long cell, whatever the pattern.
    """
    found = pattern_test(pattern, whole=False)

    def test(value: Any) -> bool:
        try:
            text = unicodedata.normalize("NFKC", as_text(value))
        except Reject:
            return False
        return found(text)

    result = distinct_apply(series, test).values
    return result.fillna(False).astype(bool)


def _label_cells(frame: pd.DataFrame) -> pd.Series:
    """Each row's label (:func:`~ikou.mappings.summary.row_label`), in sheet
    order and not from ``=sheet``/``=A1`` columns: where a ledger writes 小計."""
    label = pd.Series(None, index=frame.index, dtype=object)
    todo = np.ones(len(frame), dtype=bool)
    for name in frame.columns:
        if str(name).startswith("=") or not todo.any():
            continue
        values = frame[name].to_numpy(dtype=object)
        text = np.fromiter((label_text(v) for v in values[todo]), bool, int(todo.sum()))
        rows = np.flatnonzero(todo)[text]
        label.iloc[rows] = values[rows]
        todo[rows] = False
    return label


def _total_rows(frame: pd.DataFrame, rule: SkipRule) -> pd.Series:
    cells = frame[rule.column] if rule.column is not None else _label_cells(frame)
    labels = rule.labels
    found = distinct_apply(cells, lambda v: total_label(v, labels)).values
    return found.fillna(False).astype(bool)


def _until_rows(frame: pd.DataFrame, until: Until, positions: pd.DataFrame | None) -> pd.Series:
    """The first row of each sheet matching ``until``, and every row after it."""
    if until.column is not None:
        hit = _match_rows(frame[until.column], until.matches)
    else:
        hit = pd.Series(False, index=frame.index)
        for name in frame.columns:
            if not str(name).startswith("="):
                hit |= _match_rows(frame[name], until.matches)
    if positions is None:
        return hit.cummax()
    groups = [positions["file"].to_numpy(), positions["sheet"].to_numpy()]
    return hit.astype(int).groupby(groups, sort=False).cummax().astype(bool)


def _apply_skips(
    frame: pd.DataFrame,
    rules: tuple[SkipRule, ...],
    last: tuple[str, ...] = (),
    positions: pd.DataFrame | None = None,
    marks: pd.Series | None = None,
    until: Until | None = None,
) -> pd.Series:
    """Name of the first skip rule matching each row (None where none does).

    ``marks`` are the extract stage's (``footnote``, ``after_table``: rows
    past the table's end) and come first, then ``until`` (``after_table``),
    then the rules in order. ``last`` names totals found by position: the
    last row of each sheet that nothing skipped is skipped under that name
    (``positions`` tell sheets apart).
    """  # fmt: skip
    skipped = pd.Series(None, index=frame.index, dtype=object)
    if marks is not None:
        skipped = skipped.mask(marks.notna().to_numpy(), marks.to_numpy(dtype=object))
    if until is not None:
        hit = _until_rows(frame, until, positions)
        skipped = skipped.mask(hit & skipped.isna(), AFTER_TABLE)
    for rule in rules:
        if rule.blank:
            hit = _blank_rows(frame)
        elif rule.totals:
            hit = _total_rows(frame, rule)
        else:
            assert rule.column is not None and rule.matches is not None
            hit = _match_rows(frame[rule.column], rule.matches)
        skipped = skipped.mask(hit & skipped.isna(), rule.name)
    for name in last:
        if positions is None:
            raise ValueError("totals found by position need the rows' positions")
        open_rows = positions.loc[skipped.isna().to_numpy(), ["file", "sheet"]]
        ends = (
            open_rows.index.to_series()
            .groupby([open_rows["file"].to_numpy(), open_rows["sheet"].to_numpy()], sort=False)
            .max()
        )
        skipped.loc[ends.to_numpy()] = name
    return skipped


def _with_outside_grid(
    raw: pd.DataFrame, spec: TableMapping, positions: pd.DataFrame | None
) -> pd.DataFrame:
    """``raw`` with ``=sheet`` and ``=file`` columns where the mapping reads them:
    the sheet's (or Word table's) name and the file's name, without its folder."""
    named = {n for c in spec.columns.values() for n in c.source} | {
        r.column for r in spec.skip if r.column is not None
    }
    wanted = [n for n in OUTSIDE_GRID if n in named]
    if not wanted:
        return raw
    if positions is None:
        raise ValueError("=sheet and =file need the rows' positions")
    where = {
        "=sheet": positions["sheet"].astype(object),
        "=file": positions["file"].astype(object).map(lambda f: PurePosixPath(str(f)).name),
    }
    return raw.assign(**{name: where[name].to_numpy(dtype=object) for name in wanted})


def _source_values(frame: pd.DataFrame, spec: ColumnMapping) -> pd.Series:
    if len(spec.source) == 1:
        return frame[spec.source[0]]

    def joined(values: tuple[Any, ...]) -> Any:
        parts = []
        for value in values:
            if value is None or (isinstance(value, float) and value != value):
                continue
            try:
                parts.append(as_text(value))
            except Reject:
                parts.append(str(value))
        return spec.join.join(parts) if parts else None

    rows = zip(*(frame[name].tolist() for name in spec.source), strict=True)
    return pd.Series([joined(r) for r in rows], index=frame.index, dtype=object)


def coerce(value: Any, kind: str) -> Any:
    """One value to the contract type ``kind``, or :class:`Reject` ``mismatch``."""
    if kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return as_text(value)
    elif kind == "integer":
        if isinstance(value, bool):
            raise Reject("mismatch")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        if isinstance(value, int):
            if not -_INT64 <= value < _INT64:
                raise Reject("out_of_range")
            return value
    elif kind == "decimal":
        if isinstance(value, Decimal):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
        if isinstance(value, float) and value == value and abs(value) != float("inf"):
            return Decimal(repr(value))
    elif kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
    elif kind == "boolean":
        if isinstance(value, bool):
            return value
    raise Reject("mismatch")


def typed_series(values: pd.Series, kind: str) -> pd.Series:
    """Give already-coerced values the pandas dtype ikou uses for ``kind``."""
    if kind == "string":
        return values.astype(TEXT)
    if kind == "integer":
        return values.astype("Int64")
    if kind == "boolean":
        return values.astype("boolean")
    return values.astype(object).where(values.notna(), None)


def column_chain(spec: ColumnMapping, kind: str) -> Callable[[Any], Any]:
    """One function for a column's whole transform chain and its type check.

    The chain is a pure function of the source value, so it runs once per
    distinct source value. A rejection's reason becomes its slug part
    (``date.invalid``, ``wareki.out_of_era``; ``type.mismatch`` for the type
    check, and ``cell.error`` for a spreadsheet error cell, which no transform
    sees); a null from any step ends the chain with null. Notes from every
    step come back together as one :class:`Noted` tuple.
    """
    steps = [(step.name, step.bound.func) for step in spec.transforms]

    def run(value: Any) -> Any:
        if getattr(value, "error_cell", False):  # #REF!, #DIV/0!… is no value at all
            raise Reject("cell.error")
        notes: list[str] = []
        for name, func in steps:
            try:
                value = func(value)
            except Reject as rejection:
                raise Reject(slug_part(name, rejection.reason)) from None
            if isinstance(value, Noted):
                notes.append(slug_part(name, value.reason))
                value = value.value
            if value is None:
                break
        if value is not None:
            try:
                value = coerce(value, kind)
            except Reject as rejection:
                raise Reject(f"type.{rejection.reason}") from None
        return Noted(value, tuple(notes)) if notes else value

    return run


def _findings(name: str, slugs: pd.Series) -> pd.DataFrame | None:
    """One line per cell finding (``slugs``: one slug, or a tuple of them, per row)."""
    slugs = slugs.dropna()
    if slugs.empty:
        return None
    slugs = slugs.explode()
    return pd.DataFrame(
        {"row": slugs.index, "column": name, "slug": f"{name}." + slugs.astype(str)}
    )


def _empty_findings() -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series([], dtype="int64"), "column": [], "slug": []})


def map_table(
    raw: pd.DataFrame,
    *,
    table: str,
    source: str,
    spec: TableMapping,
    kinds: dict[str, str],
    progress: Callable[[str], None] | None = None,
    distinct: dict[str, tuple[np.ndarray, list[Any]]] | None = None,
    positions: pd.DataFrame | None = None,
    marks: pd.Series | None = None,
) -> MappedTable:
    """Skip, transform and type one target table from a raw frame.

    ``distinct`` (source column → :func:`typed_factorize` of it, as the extract
    stage made them) saves factorizing the same column again. ``positions``
    (``file``, ``sheet``, ``row`` per raw row) feed the ``=sheet`` and
    ``=file`` names a mapping may read from. ``marks`` (the extract stage's
    ``footnote`` / ``after_table`` per raw row, or ``None``) skip rows past
    the table's end before any rule.
    """
    raw = _with_outside_grid(raw, spec, positions)
    skipped_all = _apply_skips(raw, spec.skip, spec.last_row_totals(), positions, marks, spec.until)
    keep = skipped_all.isna().to_numpy()
    kept = raw.loc[keep]
    factorized: dict[str, tuple[np.ndarray, list[Any]]] = {}
    problems: list[pd.DataFrame] = []
    cleared: list[pd.DataFrame] = []
    notes: list[pd.DataFrame] = []
    columns: dict[str, pd.Series] = {}
    for name, column_spec in spec.columns.items():
        if progress is not None:
            progress(name)
        if len(column_spec.source) == 1:  # factorize each source column once
            source_column = column_spec.source[0]
            if source_column not in factorized:
                factorized[source_column] = (distinct or {}).get(source_column) or (
                    typed_factorize(raw[source_column].to_numpy(dtype=object))
                )
            codes, uniques = factorized[source_column]
            codes = codes[keep]
        else:
            codes, uniques = typed_factorize(_source_values(kept, column_spec).to_numpy(object))
        typed = apply_distinct(codes, uniques, column_chain(column_spec, kinds[name]), kept.index)
        columns[name] = typed_series(typed.values, kinds[name])
        failed = cleared if column_spec.on_error == "null" else problems
        for found, slugs in ((failed, typed.reasons), (notes, typed.notes)):
            lines = _findings(name, slugs)
            if lines is not None:
                found.append(lines)
    return MappedTable(
        table=table,
        source=source,
        frame=pd.DataFrame(columns, index=kept.index),
        skipped=skipped_all.dropna(),
        problems=pd.concat(problems, ignore_index=True) if problems else _empty_findings(),
        notes=pd.concat(notes, ignore_index=True) if notes else _empty_findings(),
        source_rows=len(raw),
        cleared=pd.concat(cleared, ignore_index=True) if cleared else _empty_findings(),
    )
