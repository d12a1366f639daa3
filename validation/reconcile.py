"""Reconciliation: does the target hold exactly what was validated?

Pure comparison, no database access: the pipeline reads the target back and
hands this module row digests keyed by primary-key digests, the counts, and
the control totals from both sides. Every difference is a finding with a
stable slug; positions are source positions, never values.

Findings:

* ``reconcile.unbalanced`` — source rows ≠ skipped + rejected + loaded;
* ``reconcile.key_repeated`` — a key appears more than once in the target;
* ``reconcile.row_missing`` — a validated row is not in the target;
* ``reconcile.row_unexpected`` — the target holds a row nobody loaded;
* ``reconcile.row_changed`` — same key, different row digest;
* ``reconcile.control_differs`` — a control total differs between the sides;
* ``reconcile.control_overflow`` — the target database could not compute a
  control total (its integer arithmetic overflowed): the sides cannot be
  compared, so the run does not reconcile.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["OVERFLOW", "ControlResult", "TableReconciliation", "reconcile_table"]

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


@dataclass(frozen=True)
class TableReconciliation:
    """The balance of one table, with findings (slug → source row indexes)."""

    table: str
    source_rows: int
    skipped: int
    rejected: int
    loaded: int
    controls: tuple[ControlResult, ...]
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
    expected: pd.DataFrame,
    actual: pd.DataFrame,
    controls: list[ControlResult],
) -> TableReconciliation:
    """Compare ``expected`` (validated rows) with ``actual`` (read back).

    Both frames have columns ``key`` (digest of the primary key) and ``row``
    (digest of the whole row); ``expected`` is indexed by source row index so
    findings can name positions.
    """
    findings: dict[str, list[int]] = {}
    counts: Counter[str] = Counter()
    loaded = len(actual)
    if source_rows != skipped + rejected + loaded:
        counts["reconcile.unbalanced"] += 1
        findings["reconcile.unbalanced"] = []
    repeated = actual["key"][actual["key"].duplicated(keep=False)]
    if not repeated.empty:
        counts["reconcile.key_repeated"] += int(repeated.nunique())
        findings["reconcile.key_repeated"] = []
    target_by_key = dict(zip(actual["key"], actual["row"], strict=True))
    expected_keys = set(expected["key"])
    for index, key, digest in zip(expected.index, expected["key"], expected["row"], strict=True):
        found = target_by_key.get(key)
        if found is None:
            findings.setdefault("reconcile.row_missing", []).append(int(index))
        elif found != digest:
            findings.setdefault("reconcile.row_changed", []).append(int(index))
    unexpected = [k for k in target_by_key if k not in expected_keys]
    if unexpected:
        counts["reconcile.row_unexpected"] += len(unexpected)
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
    return TableReconciliation(
        table=table,
        source_rows=source_rows,
        skipped=skipped,
        rejected=rejected,
        loaded=loaded,
        controls=tuple(controls),
        findings=findings,
        finding_counts=dict(counts),
    )
