"""The reconcile stage: the target read back and proved to hold exactly what was validated.

Under the plan's ``target.if_exists: append`` the target also holds rows of
earlier runs; then the read-back and every control cover exactly the rows
whose keys this run loaded (a temporary table of them, joined), so the
funnel and the totals are this run's and an earlier row is never counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pandas as pd

from ikou.audit.hashing import encode_arrow
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.stages import StageReport
from ikou.pipeline.stages.load import (
    category,
    read_back_arrow,
    run_keys,
    target_aggregates,
)
from ikou.pipeline.stages.validate import Validated, full_frame
from ikou.validation.reconcile import ControlResult, Rows, TableReconciliation, reconcile_table

__all__ = ["run_cross_controls", "run_reconcile"]


def _source_controls(plan: LoadedPlan, name: str, frame: pd.DataFrame) -> dict[str, Any]:
    """The mapping's controls over the accepted rows, in exact arithmetic
    (Python integers and Decimals: a total never wraps around or rounds)."""
    out: dict[str, Any] = {"count": len(frame)}
    contract = plan.contract.tables[name]
    for control in plan.mapping.tables[name].controls:
        if control.kind == "sum" and control.column is not None:
            values = frame[control.column].dropna()
            if contract.columns[control.column].type == "integer":
                out[control.label] = sum((int(v) for v in values), 0)
            else:
                out[control.label] = sum((Decimal(v) for v in values), Decimal(0))
        elif control.kind == "count_by" and control.column is not None:
            counts = frame[control.column].astype(object).where(frame[control.column].notna(), None)
            kind = contract.columns[control.column].type
            tally: dict[str, int] = {}
            for value in counts:
                label = category(value, kind)
                tally[label] = tally.get(label, 0) + 1
            out[control.label] = tally
    return out


def _this_run(plan: LoadedPlan, validated: Validated, engine: Any, name: str) -> Any:
    """The table of this run's keys of ``name`` when the plan appends, else ``None``."""
    if plan.plan.target.if_exists != "append":
        return None
    return run_keys(engine, name, plan.contract.tables[name], validated.tables[name].accepted)


def run_reconcile(
    plan: LoadedPlan, validated: Validated, engine: Any
) -> tuple[dict[str, TableReconciliation], StageReport]:
    """Read every table back and prove it holds exactly what was validated (this
    run's rows only, when the plan appends: ``engine`` is then the load's connection)."""
    results: dict[str, TableReconciliation] = {}
    digests = []
    for name, table in validated.tables.items():
        contract = plan.contract.tables[name]
        kinds = contract.kinds()
        keys = _this_run(plan, validated, engine, name)
        rows = read_back_arrow(engine, contract, name, keys=keys)
        encoded = encode_arrow(rows, kinds)
        actual = Rows(pd.Series(encoded.keys(list(contract.primary_key)), dtype=object), encoded)
        controls_spec = plan.mapping.tables[name].controls
        sums = [c.column for c in controls_spec if c.kind == "sum" and c.column]
        by = [c.column for c in controls_spec if c.kind == "count_by" and c.column]
        target = target_aggregates(engine, name, contract, sums, by, keys=keys)
        for column in sums:  # exact decimals: summed from the rows read back
            if contract.columns[column].type == "decimal":
                values = rows.column(column).drop_null().to_pylist()
                target[f"sum({column})"] = sum((Decimal(v) for v in values), Decimal(0))
        source = _source_controls(plan, name, full_frame(table, kinds))
        labels = ["count", *[c.label for c in controls_spec if c.kind != "count"]]
        controls = [ControlResult(label, source[label], target[label]) for label in labels]
        results[name] = reconcile_table(
            name,
            source_rows=table.source_rows,
            skipped=len(table.skipped),
            rejected=len(table.rejected_rows),
            expected=validated.expected[name],
            actual=actual,
            controls=controls,
            totals=tuple(validated.totals.get(name, ())),
        )
        digests.append(f"{name}:{encoded.digest()}")
    output = hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()
    counts = {
        "loaded": sum(r.loaded for r in results.values()),
        "differences": sum(sum(r.finding_counts.values()) for r in results.values()),
    }
    return results, StageReport("reconcile", counts, output)


def run_cross_controls(
    plan: LoadedPlan,
    validated: Validated,
    engine: Any,
    elsewhere: Callable[[str, str | None], Any] | None = None,
) -> list[dict[str, Any]]:
    """Every cross-table control: each side from the accepted rows and from the
    target's own ``COUNT``/``SUM``; it holds when all four agree. ``elsewhere``
    gives the target side of a table that is not in the database (an import
    file's rows read back), ``None`` for one that is."""
    out = []
    for control in plan.mapping.cross_controls:
        sides: dict[str, tuple[int, int]] = {}
        for label, quantity in (("left", control.left), ("right", control.right)):
            table, column = control.parse(quantity)
            accepted = validated.tables[table].accepted
            source = (
                len(accepted)
                if column is None
                else sum((int(v) for v in accepted[column].dropna()), 0)
            )
            found = None if elsewhere is None else elsewhere(table, column)
            if found is None:
                contract = plan.contract.tables[table]
                keys = _this_run(plan, validated, engine, table)
                sums = [column] if column else []
                target = target_aggregates(engine, table, contract, sums, [], keys=keys)
                found = int(target["count"]) if column is None else target[f"sum({column})"]
            sides[label] = (source, found)
        (ls, lt), (rs, rt) = sides["left"], sides["right"]
        out.append(
            {
                "name": control.name,
                "left": control.left,
                "right": control.right,
                "source": [ls, rs],
                "target": [lt, rt],
                "ok": ls == rs == lt == rt,
            }
        )
    return out
