"""The expect stage: dataset-level expectations (great-expectations), a gate before the load."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from ikou.audit.platform import in_background
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.stages import StageReport
from ikou.pipeline.stages.validate import Validated, full_frame
from ikou.validation.expectations import ExpectationResult, run_expectations

__all__ = ["by_table", "run_expect", "start_expect"]


def run_expect(
    plan: LoadedPlan, validated: Validated
) -> tuple[list[ExpectationResult], StageReport]:
    """The dataset-level expectations of every table (great-expectations, ephemeral)."""
    tables = {
        name: (full_frame(table, plan.contract.tables[name].kinds()), plan.contract.tables[name])
        for name, table in validated.tables.items()
    }
    bounds = {
        name: spec.rows for name, spec in plan.mapping.tables.items() if spec.rows is not None
    }
    results = run_expectations(tables, bounds)
    body = json.dumps([r.as_dict() | {"table": r.table} for r in results], sort_keys=True)
    counts = {
        "expectations": len(results),
        "failed": sum(not r.success for r in results),
    }
    return results, StageReport("expect", counts, hashlib.sha256(body.encode()).hexdigest())


def start_expect(
    plan: LoadedPlan, validated: Validated
) -> Callable[[], tuple[list[ExpectationResult], StageReport]]:
    """:func:`run_expect` on the other core, started now: great-expectations'
    import (seconds) and validation overlap the load and the reconciliation.

    The returned function waits for the results; the run commits its load only
    after they pass (the gate), so nothing is loaded when one fails.
    """
    return in_background(functools.partial(run_expect, plan, validated))


def by_table(results: list[ExpectationResult]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        out.setdefault(result.table, []).append(result.as_dict())
    return out
