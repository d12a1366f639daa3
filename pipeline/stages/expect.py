"""The expect stage: dataset-level expectations (great-expectations), a gate before the load."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa

from ikou.audit.platform import WarmChild, in_background
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.stages import StageReport
from ikou.pipeline.stages.validate import Validated, full_frame
from ikou.validation.expectations import (
    ExpectationResult,
    import_expectations,
    run_expectations,
)

__all__ = ["by_table", "run_expect", "start_expect", "warm_expect"]


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


def _packed(frame: pd.DataFrame) -> tuple[str, Any]:
    """A table for the warm child: Arrow IPC bytes and its pandas dtypes (through a
    pipe, never a file; 0.6 s for 195,000 rows where pickling takes 1.8 s), or the
    frame itself where Arrow cannot hold it exactly."""
    try:
        table = pa.Table.from_pandas(frame, preserve_index=True)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return "frame", frame
    return "arrow", (sink.getvalue().to_pybytes(), dict(frame.dtypes))


def _unpacked(packed: tuple[str, Any]) -> pd.DataFrame:
    kind, value = packed
    if kind == "frame":
        return value  # type: ignore[no-any-return]
    data, dtypes = value
    frame = pa.ipc.open_stream(data).read_all().to_pandas()
    for column, dtype in dtypes.items():  # text comes back Arrow-backed: as it was
        if frame[column].dtype != dtype:
            frame[column] = frame[column].astype(dtype)
    return frame


def _expect_packed(
    tables: dict[str, tuple[tuple[str, Any], Any]], bounds: dict[str, int]
) -> tuple[list[ExpectationResult], StageReport]:
    return _expect({n: (_unpacked(f), c) for n, (f, c) in tables.items()}, bounds)


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
    import and validation overlap the run's own work.

    The tables go to ``warm`` (a child that began importing great-expectations
    when the command started, see :func:`warm_expect`) as Arrow through a
    pipe; without one, to a child forked now. The returned function waits for
    the results; the run commits its load only after they pass (the gate), so
    nothing is loaded when one fails.
    """
    if warm is None or not warm.open:
        return in_background(functools.partial(run_expect, plan, validated))
    tables, bounds = _inputs(plan, validated)
    packed = {name: (_packed(frame), contract) for name, (frame, contract) in tables.items()}
    return warm.run(functools.partial(_expect_packed, packed, bounds))


def by_table(results: list[ExpectationResult]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        out.setdefault(result.table, []).append(result.as_dict())
    return out
