"""The seal of a production run: a keyed manifest of the loaded rows, read back
inside the load's transaction and chained before the commit, so ``ikou
reconcile`` can tell years later whether the target still holds what was
loaded, and a run killed after its commit can be finished from it.
"""

from __future__ import annotations

from typing import Any

from ikou.audit.fingerprints import workspace_key
from ikou.audit.hashing import row_keys
from ikou.audit.manifest import manifest_table, write_manifest
from ikou.pipeline.run import (
    Session,
    Validated,
)
from ikou.pipeline.stages.extract import RawTable
from ikou.pipeline.stages.load import read_back, run_keys
from ikou.validation.reconcile import TableReconciliation

__all__ = ["seal_manifest"]


def seal_manifest(
    session: Session,
    raws: dict[str, RawTable],
    validated: Validated,
    connection: Any,
    reconciled: dict[str, TableReconciliation],
) -> dict[str, Any]:
    """The keyed manifest of the loaded rows, read back inside the load's
    transaction, written and chained *before* the commit: a run killed after
    its commit is finished from it (:func:`finish_dead_run`). Under
    ``if_exists: append`` it seals this run's rows alone, and says so."""
    plan = session.plan
    found = workspace_key(plan.workspace, create=True)
    assert found is not None
    key_id, key = found
    appended = plan.plan.target.if_exists == "append"
    tables = {}
    for name, table in validated.tables.items():
        contract = plan.contract.tables[name]
        keys = run_keys(connection, name, contract, table.accepted) if appended else None
        frame = read_back(connection, contract, name, keys=keys)  # this run's rows alone
        expected = validated.expected[name]
        positions = raws[table.source].positions.loc[expected.keys.index]  # one lookup, not per row
        where = {
            row_key: (str(file), str(sheet), int(row))
            for row_key, file, sheet, row in zip(
                expected.keys,
                positions["file"],
                positions["sheet"],
                positions["row"],
                strict=True,
            )
        }
        primary = list(contract.primary_key)
        keys = row_keys(frame, {k: contract.kinds()[k] for k in primary})
        at = [where.get(k, ("", "", 0)) for k in keys]
        tables[name] = manifest_table(frame, contract.kinds(), primary, key, at)
    path = plan.workspace / "manifests" / f"{session.run_id}.json"
    body = {
        "run_id": session.run_id,
        "plan_sha256": plan.sha256,
        "key_id": key_id,
        "if_exists": plan.plan.target.if_exists,  # append: the tables hold other batches too
        "tables": tables,
    }
    digest = write_manifest(path, body)
    rows = sum(len(t["rows"]) for t in tables.values())
    session.recorder.note(
        "manifest",
        "written",
        plan_sha256=plan.sha256,
        manifest=path.name,
        sha256=digest,
        counts={"rows": rows},
        tables={
            name: {
                "source_rows": r.source_rows,
                "skipped": r.skipped,
                "rejected": r.rejected,
                "loaded": r.loaded,
            }
            for name, r in reconciled.items()
        },
    )
    return {"seal": {"manifest": path.name, "manifest_sha256": digest, "rows": rows}}
