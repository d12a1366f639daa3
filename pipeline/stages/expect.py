"""The expect stage: dataset-level expectations (great-expectations), a gate before the load."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from ikou.audit.platform import WarmChild, in_background
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.stages import StageReport
from ikou.pipeline.stages.validate import Validated, full_frame
from ikou.validation.expectations import (
    ExpectationResult,
    import_expectations,
    run_expectations,
)

__all__ = ["WARM_ROWS", "by_table", "run_expect", "start_expect", "warm_expect"]


WARM_ROWS = 20_000
"""Up to this many accepted rows, the tables go to a child that imported
great-expectations at the start of the run (pickling them is cheap); past it,
a child forked after validation sees them as they are (pickling 200,000 rows
would cost more than the import it saves)."""


def _inputs(plan: LoadedPlan, validated: Validated) -> tuple[dict[str, Any], dict[str, int]]:
    tables = {
        name: (full_frame(table, plan.contract.tables[name].kinds()), plan.contract.tables[name])
        for name, table in validated.tables.items()
    }
    bounds = {
        name: spec.rows for name, spec in plan.mapping.tables.items() if spec.rows is not None
    }
    return tables, bounds


def run_expect(
    plan: LoadedPlan, validated: Validated
) -> tuple[list[ExpectationResult], StageReport]:
    """The dataset-level expectations of every table (great-expectations, ephemeral)."""
    return _expect(*_inputs(plan, validated))


def _expect(
    tables: dict[str, Any], bounds: dict[str, int]
) -> tuple[list[ExpectationResult], StageReport]:
    results = run_expectations(tables, bounds)
    body = json.dumps([r.as_dict() | {"table": r.table} for r in results], sort_keys=True)
    counts = {
        "expectations": len(results),
        "failed": sum(not r.success for r in results),
    }
    return results, StageReport("expect", counts, hashlib.sha256(body.encode()).hexdigest())


def warm_expect() -> WarmChild:
    """A child that imports great-expectations now, on the other core, while the
    run extracts, maps and validates: a small run need not wait for the import
    (seconds) after its validation. Hand it to :func:`start_expect`."""
    return WarmChild(import_expectations)


def start_expect(
    plan: LoadedPlan, validated: Validated, warm: WarmChild | None = None
) -> Callable[[], tuple[list[ExpectationResult], StageReport]]:
    """:func:`run_expect` on the other core, started now: great-expectations'
    import and validation overlap the load and the reconciliation.

    Small tables go to ``warm`` (already importing, see :func:`warm_expect`);
    large ones to a child forked now, and ``warm`` is stopped. The returned
    function waits for the results; the run commits its load only after they
    pass (the gate), so nothing is loaded when one fails.
    """
    rows = sum(len(table.accepted) for table in validated.tables.values())
    if warm is not None and warm.open and rows <= WARM_ROWS:
        return warm.run(functools.partial(_expect, *_inputs(plan, validated)))
    if warm is not None:
        warm.close()
    return in_background(functools.partial(run_expect, plan, validated))


def by_table(results: list[ExpectationResult]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        out.setdefault(result.table, []).append(result.as_dict())
    return out
