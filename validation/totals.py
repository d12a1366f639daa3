"""The ledger's own totals (合計, 小計) against what was loaded and rejected.

A ledger kept by hand carries its own control figures: a 小計 row after each
estate, a 合計 row at the end. The mapping skips them as rows (a skip rule
that recognises the label, or the last row of each sheet) and declares them
as totals (:class:`~ikou.mappings.spec.LedgerTotal`). For each total row and
each column it totals this module gives four aggregates:

* the **ledger's figure** — the total row's own cell, read through the
  column's transforms (``None`` when it cannot be read);
* the **loaded sum** — the accepted rows of its block, which reconciliation
  proves the target holds;
* the **rejected sum** — what could be read of the block's rejected rows
  (a rent typed as 相談中 cannot be, and a ledger's SUM skipped it too);
* the **unexplained difference** — ledger − loaded − rejected.

The total *holds* when ledger = loaded, is *explained* when the difference is
exactly the rejected rows' sum, and is *unexplained* otherwise (or
*unreadable*); an unexplained total fails the run unless it is informative.
Only sums leave this module, never a row's value: where a side is a single
row, the line's figures are withheld (``None``, the row counts and status
kept), so that no one cell can be read or worked out from the report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from ikou.mappings.spec import LedgerTotal

__all__ = ["TotalCheck", "check_totals"]

Number = int | Decimal


@dataclass(frozen=True)
class TotalCheck:
    """One total row of the ledger, for one column it totals."""

    name: str
    column: str
    file: str
    sheet: str
    row: int
    ledger: Number | None
    loaded: Number
    rejected: Number
    rows_loaded: int
    rows_rejected: int  # rejected rows with a readable value in the column
    informative: bool

    @property
    def difference(self) -> Number | None:
        """What neither the loaded nor the rejected rows account for."""
        if self.ledger is None:
            return None
        return self.ledger - self.loaded - self.rejected

    @property
    def status(self) -> str:
        """``holds``, ``explained`` (by the rejected rows), ``unexplained`` or ``unreadable``."""
        if self.ledger is None:
            return "unreadable"
        if self.ledger == self.loaded:
            return "holds"
        return "explained" if self.difference == 0 else "unexplained"

    @property
    def ok(self) -> bool:
        """Whether the run may pass: held, explained, or only informative."""
        return self.informative or self.status in ("holds", "explained")

    def as_dict(self) -> dict[str, Any]:
        """The report's line. When the loaded or the rejected side is a single
        row, its sum is that row's value — and ledger − the other side would
        give it too — so every figure of the line is withheld (``None``), the
        row counts and the status stay."""
        private = 1 in (self.rows_loaded, self.rows_rejected)

        def shown(value: Number | None) -> Number | None:
            return None if private else value

        return {
            "name": self.name,
            "column": self.column,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "ledger": shown(self.ledger),
            "loaded": shown(self.loaded),
            "rejected": shown(self.rejected),
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "difference": 0 if self.difference == 0 else shown(self.difference),
            "status": self.status,
            "informative": self.informative,
            "ok": self.ok,
        }


def _sum(values: np.ndarray, kind: str) -> Number:
    present = values[~pd.isna(values)]
    if kind == "integer":
        return sum((int(v) for v in present), 0)
    return sum((Decimal(v) for v in present), Decimal(0))


def check_totals(
    totals: tuple[LedgerTotal, ...],
    *,
    raw: pd.DataFrame,
    positions: pd.DataFrame,
    skipped: pd.Series,
    mapped: pd.DataFrame,
    accepted: pd.DataFrame,
    kinds: dict[str, str],
    sources: dict[str, str],
    figure: Callable[[str, Any], Any],
) -> list[TotalCheck]:
    """Every declared total row, per column, in sheet order.

    ``raw`` and ``positions`` are the source's rows; ``skipped`` maps a raw
    row to the skip rule (or positional total) that skipped it; ``mapped`` is
    the map stage's frame (every row not skipped, typed; null where a cell
    failed) and ``accepted`` the rows loaded, as validation left them. ``sources``
    gives each target column's source column and ``figure(column, cell)`` its
    transform chain (raising for a cell it cannot read).
    """
    out: list[TotalCheck] = []
    n = len(positions)  # rows by position (raw indexes are looked up once, not per block)
    files = pd.factorize(positions["file"])[0]
    sheet_codes = pd.factorize(positions["sheet"])[0]
    sheets = files * (int(sheet_codes.max(initial=0)) + 1) + sheet_codes  # one per (file, sheet)
    at_mapped = positions.index.get_indexer(mapped.index)
    at_accepted = positions.index.get_indexer(accepted.index)
    is_mapped = np.zeros(n, dtype=bool)
    is_mapped[at_mapped] = True
    is_accepted = np.zeros(n, dtype=bool)
    is_accepted[at_accepted] = True
    totalled = {column for total in totals for column in total.columns}
    loaded_cells = {c: _column(accepted, at_accepted, c, n) for c in totalled}
    mapped_cells = {c: _column(mapped, at_mapped, c, n) for c in totalled}
    for total in totals:
        group = sheets if total.covers == "sheet" else files  # a block runs on across sheets
        parts, starts = np.unique(group, return_index=True)
        first = dict(zip(parts.tolist(), starts.tolist(), strict=True))
        rule = total.rows if total.rows != "last" else total.name
        found = positions.index.get_indexer(skipped.index[skipped.to_numpy() == rule])
        previous: dict[int, int] = {}
        for at in sorted(found.tolist()):
            part = int(group[at])
            low = previous.get(part, first[part] - 1) if total.covers == "block" else None
            low = first[part] - 1 if low is None else low
            previous[part] = at
            span = slice(low + 1, at)
            mine = group[span] == part
            loaded = np.flatnonzero(mine & is_accepted[span]) + low + 1
            refused = np.flatnonzero(mine & is_mapped[span] & ~is_accepted[span]) + low + 1
            for column in total.columns:
                loaded_values = loaded_cells[column][loaded]
                refused_values = mapped_cells[column][refused]
                readable = refused_values[~pd.isna(refused_values)]
                try:
                    ledger = figure(column, raw[sources[column]].iloc[at])
                    ledger = None if ledger is None else _number(ledger, kinds[column])
                except Exception:  # a figure the column's transforms cannot read
                    ledger = None
                out.append(
                    TotalCheck(
                        name=total.name,
                        column=column,
                        file=str(positions["file"].iloc[at]),
                        sheet=str(positions["sheet"].iloc[at]),
                        row=int(positions["row"].iloc[at]),
                        ledger=ledger,
                        loaded=_sum(loaded_values, kinds[column]),
                        rejected=_sum(readable, kinds[column]),
                        rows_loaded=len(loaded),
                        rows_rejected=len(readable),
                        informative=total.informative,
                    )
                )
    return out


def _column(frame: pd.DataFrame, at: np.ndarray, column: str, n: int) -> np.ndarray:
    """``frame[column]`` spread over all ``n`` rows by position (null elsewhere)."""
    out = np.full(n, None, dtype=object)
    out[at] = frame[column].to_numpy(dtype=object)
    return out


def _number(value: Any, kind: str) -> Number:
    if kind == "integer":
        return int(value)
    return Decimal(value)
