"""Ending a run that died: what the next command on the workspace does for it.

:func:`pipeline.session.recover` finds the dead runs and shreds what they
left; this module decides how each ends. Most were interrupted before
anything was committed: their SQLite target is opened so SQLite rolls back
the unfinished load. A production run that died after writing its manifest
may have committed: the target is read back and compared with that manifest
(see :func:`finish_dead_run`), so the run ends sealed or rolled back —
never stuck between the two.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ikou.audit.chain import key_folder
from ikou.audit.fingerprints import workspace_key
from ikou.audit.manifest import Difference, compare, read_manifest, sealed_rows
from ikou.errors import ConfigError
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.report import build_failed_report, record_report
from ikou.pipeline.session import StageRecorder
from ikou.pipeline.stages.load import (
    open_target,
    read_back,
    run_keys,
    target_metadata,
    transaction,
)

__all__ = ["finish_dead_run"]


def finish_dead_run(
    plan: LoadedPlan, recorder: StageRecorder, events: list[dict[str, Any]]
) -> tuple[str, bool, dict[str, Any]] | None:
    """End a run that died: its outcome, whether a target load was rolled back,
    and facts for its ending; chains its ``result`` (and a report, if any).

    A run's SQLite rehearsal target is opened so SQLite rolls back the load it
    never committed. A production run that died after writing its manifest
    may have committed: its target is read back and compared with the
    manifest under the workspace's key — all there and unchanged: the commit
    happened, a report says so and the run is sealed as reconciled; nothing
    there: it never committed; anything else: the rows are deleted in one
    transaction (rolled back), so the same plan can migrate again. A run that
    appended is judged and deleted by its own keys only: the rows of the
    batches before it are never touched. ``None`` when that needs the dead
    run's own plan and ``plan`` is another.
    """
    started = next(
        (e for e in events if e.get("stage") == "run" and e.get("outcome") == "started"), {}
    )
    target_file = started.get("target_file")
    rolled_back = bool(target_file) and _roll_back_sqlite(Path(str(target_file)))
    manifest = next((e for e in events if e.get("stage") == "manifest"), None)
    if started.get("mode", recorder.mode) != "production" or manifest is None:
        recorder.note("result", "interrupted", target_rolled_back=rolled_back)
        return "interrupted", rolled_back, {"target_rolled_back": rolled_back}
    if started.get("plan_sha256") != plan.sha256:
        return None
    url = plan.target_url("production")
    found = workspace_key(plan.workspace, create=False)
    if url is None or found is None:
        raise ConfigError(
            f"production run {recorder.run_id} stopped after its load was prepared; its target "
            f"URL and the key in {key_folder()} are needed to finish it."
        )
    body = read_manifest(
        plan.workspace / "manifests" / str(manifest["manifest"]), str(manifest["sha256"])
    )
    appended = body.get("if_exists") == "append"
    engine = open_target(url)
    try:
        differences: list[Difference] = []
        held = 0
        ours: dict[str, Any] = {}
        for name, table in body["tables"].items():
            contract = plan.contract.tables[name]
            kinds, primary = contract.kinds(), list(contract.primary_key)
            frame = read_back(engine, contract, name)
            if appended:  # the other batches' rows are not this run's to judge or delete
                frame = frame.iloc[sealed_rows(table, frame, primary, kinds, found[1])]
            ours[name] = frame.reset_index(drop=True)
            held += len(frame)
            differences += compare(name, table, frame, kinds, primary, found[1])
        if held and not differences:
            recorder.note("commit", "ok", recovered=True, counts={"loaded": held})
            return "reconciled", False, _recovery_report(plan, recorder, events, manifest, held)
        if held:
            _delete(plan, engine, ours, whole=not appended)
            recorder.note("result", "rolled_back", counts={"rows_deleted": held})
            return "rolled_back", True, {"rows_deleted": held}
    finally:
        engine.dispose()
    recorder.note("result", "interrupted", target_rolled_back=rolled_back)
    return "interrupted", rolled_back, {"target_rolled_back": rolled_back}


def _delete(plan: LoadedPlan, engine: Any, ours: dict[str, Any], *, whole: bool) -> None:
    """Delete the dead run's rows in one transaction, children before parents:
    every row of its tables, or — when it appended — only the rows of its keys."""
    metadata = target_metadata(plan.contract, list(ours))
    with transaction(engine) as connection:
        for table in reversed(metadata.sorted_tables):
            if whole:
                connection.execute(table.delete())
                continue
            contract = plan.contract.tables[table.name]
            keys = run_keys(connection, table.name, contract, ours[table.name])
            match = sa.and_(*(table.c[c.name] == c for c in keys.columns))
            connection.execute(table.delete().where(sa.exists().where(match)))


def _recovery_report(
    plan: LoadedPlan,
    recorder: StageRecorder,
    events: list[dict[str, Any]],
    manifest: dict[str, Any],
    held: int,
) -> dict[str, Any]:
    """The report of a production run whose commit was verified after it died:
    the counts its manifest event kept (its per-row findings died with it)."""
    tables = {
        name: {
            **counts,
            "source": "",
            "balanced": True,
            "skipped_by_rule": {},
            "rejects_by_reason": {},
            "rejects": [],
            "notes_by_reason": {},
            "notes": [],
            "cleared_by_reason": {},
            "cleared": [],
            "totals": [],
            "controls": [],
            "findings": {},
        }
        for name, counts in dict(manifest.get("tables", {})).items()
    }
    head = recorder.note("result", "reconciled", recovered=True, counts={"loaded": held})
    run_dir = plan.workspace / "runs" / recorder.run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    report = build_failed_report(
        run_id=recorder.run_id,
        mode="production",
        plan=plan,
        error=None,
        events=[],
        chain_head=head,
        run_dir=run_dir,
        custody={"artifacts": [], "scratch": {}},
        status="reconciled",
        extra={
            "tables": tables,
            "recovered": True,
            "people": plan.plan.people.model_dump() if plan.plan.people else None,
            "vendor": plan.plan.vendor.model_dump(mode="json") if plan.plan.vendor else None,
            "signon": next(
                (list(e.get("people", [])) for e in events if e.get("stage") == "sign-on"), []
            ),
            "preflight": next(
                (list(e.get("checks", [])) for e in events if e.get("stage") == "preflight"), []
            ),
            "seal": {
                "manifest": manifest["manifest"],
                "manifest_sha256": manifest["sha256"],
                "rows": held,
            },
        },
    )
    record_report(report, run_dir, recorder.note)
    return {"recovered": True, "counts": {"loaded": held}}


def _roll_back_sqlite(path: Path) -> bool:
    """Open a dead run's SQLite target so SQLite rolls back its hot journal
    (only a regular file, never through a link); whether there was one."""
    journal = path.with_name(path.name + "-journal")
    if not path.is_file() or path.is_symlink():
        return False
    hot = journal.is_file() and not journal.is_symlink() and journal.stat().st_size > 0
    connection = sqlite3.connect(path)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        connection.close()
    return hot
