"""Reconciliation: does the target hold exactly what was validated?

Pure comparison, no database access: the pipeline reads the target back and
hands this module both sides' rows — each row's primary key and its cells in
canonical encoding (:class:`Cells`) — the counts,
and the control totals from both sides. Rows are paired by key and compared
column by column over whole arrays (tags, lengths, payload bytes), never row
by row in Python. Every difference is a finding with a
stable slug; positions are source positions, never values.

Findings:

* ``reconcile.unbalanced`` — source rows ≠ skipped + rejected + loaded;
* ``reconcile.key_repeated`` — a key appears more than once in the target;
* ``reconcile.row_missing`` — a validated row is not in the target;
* ``reconcile.row_unexpected`` — the target holds a row nobody loaded;
* ``reconcile.row_changed`` — same key, a cell differs;
* ``reconcile.control_differs`` — a control total differs between the sides;
* ``reconcile.total_differs`` — a total row of the ledger (合計, 小計) that
  neither the loaded rows nor the rejected rows account for (see
  :mod:`ikou.validation.totals`), unless the mapping marks it informative;
* ``reconcile.control_overflow`` — the target database could not compute a
  control total (its integer arithmetic overflowed): the sides cannot be
  compared, so the run does not reconcile.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ikou.validation.totals import TotalCheck

__all__ = ["OVERFLOW", "Cells", "ControlResult", "Rows", "TableReconciliation", "reconcile_table"]

OVERFLOW = "overflow"
"""A control total the target database could not compute (its SUM overflowed)."""


@dataclass(frozen=True)
class ControlResult:
    """One control total on both sides."""

    name: str
    source: Any
    target: Any

    @property
    def ok(self) -> bool:
        """True when both sides agree exactly."""
        return bool(self.source == self.target)


class Cells(Protocol):
    """Rows of cells in canonical encoding (:class:`ikou.audit.hashing.EncodedTable`)."""

    def differ(self, rows: np.ndarray, other: Any, others: np.ndarray) -> np.ndarray:
        """Whether row ``rows[i]`` here and row ``others[i]`` of ``other`` differ."""
        ...


@dataclass(frozen=True)
class Rows:
    """One side's rows: each row's primary key in reference form (in memory only: it
    is the value) and the same rows' cells, canonically encoded, in the same order.
    The expected side's keys are indexed by source row, so findings name positions."""

    keys: pd.Series
    cells: Cells


@dataclass(frozen=True)
class TableReconciliation:
    """The balance of one table, with findings (slug → source row indexes)."""

    table: str
    source_rows: int
    skipped: int
    rejected: int
    loaded: int
    controls: tuple[ControlResult, ...]
    totals: tuple[TotalCheck, ...] = ()
    findings: dict[str, list[int]] = field(default_factory=dict)
    finding_counts: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """The funnel closes and nothing differs."""
        return not self.finding_counts


def reconcile_table(
    table: str,
    *,
    source_rows: int,
    skipped: int,
    rejected: int,
    expected: Rows,
    actual: Rows,
    controls: list[ControlResult],
    totals: tuple[TotalCheck, ...] = (),
) -> TableReconciliation:
    """Compare ``expected`` (validated rows) with ``actual`` (read back); count
    the ledger's ``totals`` that fail."""
    findings: dict[str, list[int]] = {}
    counts: Counter[str] = Counter()
    loaded = len(actual.keys)
    if source_rows != skipped + rejected + loaded:
        counts["reconcile.unbalanced"] += 1
        findings["reconcile.unbalanced"] = []
    repeated = actual.keys[actual.keys.duplicated(keep=False)]
    if not repeated.empty:
        counts["reconcile.key_repeated"] += int(repeated.nunique())
        findings["reconcile.key_repeated"] = []
    keys = actual.keys.to_numpy(dtype=object)
    last = ~actual.keys.duplicated(keep="last").to_numpy()  # a repeated key: its last row
    target = pd.Index(keys[last])
    found = target.get_indexer(expected.keys.to_numpy(dtype=object))
    paired = np.where(found < 0, -1, np.flatnonzero(last)[found])
    rows = expected.keys.index.to_numpy()
    missing = paired < 0
    if missing.any():
        findings["reconcile.row_missing"] = [int(r) for r in rows[missing]]
    found = np.flatnonzero(~missing)
    changed = expected.cells.differ(found, actual.cells, paired[found])
    if changed.any():
        findings["reconcile.row_changed"] = [int(r) for r in rows[found[changed]]]
    unexpected = len(target) - len(np.unique(found[found >= 0]))  # keys nobody loaded
    if unexpected:
        counts["reconcile.row_unexpected"] += unexpected
        findings["reconcile.row_unexpected"] = []
    for slug in ("reconcile.row_missing", "reconcile.row_changed"):
        if slug in findings:
            counts[slug] += len(findings[slug])
    overflowed = [c for c in controls if c.target == OVERFLOW]
    if overflowed:
        counts["reconcile.control_overflow"] += len(overflowed)
        findings["reconcile.control_overflow"] = []
    differing = [c for c in controls if not c.ok and c.target != OVERFLOW]
    if differing:
        counts["reconcile.control_differs"] += len(differing)
        findings["reconcile.control_differs"] = []
    failing = [t for t in totals if not t.ok]
    if failing:
        counts["reconcile.total_differs"] += len(failing)
        findings["reconcile.total_differs"] = []
    return TableReconciliation(
        table=table,
        source_rows=source_rows,
        skipped=skipped,
        rejected=rejected,
        loaded=loaded,
        controls=tuple(controls),
        totals=tuple(totals),
        findings=findings,
        finding_counts=dict(counts),
    )
