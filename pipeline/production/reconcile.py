"""``ikou reconcile``: the target now against the manifest sealed by its migration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ikou import __version__
from ikou.audit.chain import key_folder
from ikou.audit.fingerprints import workspace_key
from ikou.audit.manifest import Difference, compare, read_manifest, sealed_rows
from ikou.errors import ConfigError, TamperedError
from ikou.pipeline.importleft import placed_states
from ikou.pipeline.plan import load_plan
from ikou.pipeline.production.preflight import find_seal
from ikou.pipeline.report import RunReport, record_report
from ikou.pipeline.run import (
    open_session,
)
from ikou.pipeline.session import utc_now
from ikou.pipeline.stages.load import open_target, read_back

__all__ = ["ReconcileResult", "reconcile_later"]


@dataclass
class ReconcileResult:
    """What ``ikou reconcile`` found."""

    differences: list[Difference]
    rows: int
    report_json: Path
    report_html: Path
    chain_head: str
    other_rows: int = 0  # of other batches, when the migration appended: not compared
    import_files: list[dict[str, Any]] = field(default_factory=list)  # placed_states


def reconcile_later(
    plan_path: str | Path,
    *,
    lang: str = "ja",
    with_sources: bool = False,
    password: Callable[[str], str | None] | None = None,
) -> ReconcileResult:
    """Compare the target now with the sealed manifest (hashes only, no sources):
    this plan's migration, or the workspace's last when this plan has none. A
    migration that appended is compared on its own keys; the other batches'
    rows are counted, not compared. Each import file the migration placed is
    hashed again (:func:`~ikou.pipeline.importleft.placed_states`).

    ``with_sources`` also reads the production sources again, maps and
    validates them, and compares that with the manifest too: end to end.
    """
    plan = load_plan(plan_path)
    session = open_session(plan, "reconcile")  # verifies the chain first
    recorder = session.recorder
    try:
        events = list(session.writer.events())
        sealed = find_seal(events, plan.sha256) or find_seal(events)  # this plan's, else the last
        if sealed is None:
            raise ConfigError(
                f"{plan.workspace} holds no sealed migration; run ikou migrate first.",
                file=str(plan.workspace),
            )
        found = workspace_key(plan.workspace, create=False)
        if found is None:
            raise ConfigError(
                f"the manifest's key is not in {key_folder()}; set IKOU_KEY_DIR to the folder "
                "that holds it.",
                file=str(key_folder()),
            )
        _, key = found
        recorder.note("run", "started", plan_sha256=plan.sha256, sealed_run=sealed["run_id"])
        try:
            manifest = read_manifest(
                plan.workspace / "manifests" / str(sealed["manifest"]),
                str(sealed["manifest_sha256"]),
            )
        except (OSError, ValueError) as exc:
            raise TamperedError(f"{exc}; the sealed manifest cannot be trusted.") from None
        appended = manifest.get("if_exists") == "append"
        differences: list[Difference] = []
        rows = others = 0
        if manifest["tables"]:  # a plan of import files only has no database
            engine = open_target(str(plan.target_url("production")))
            try:
                for name, table in manifest["tables"].items():
                    contract = plan.contract.tables[name]
                    kinds, primary = contract.kinds(), list(contract.primary_key)
                    frame = read_back(engine, contract, name)
                    if appended:  # other batches' rows: neither compared nor "added"
                        ours = len(sealed_rows(table, frame, primary, kinds, key))
                        others += len(frame) - ours
                        rows += ours
                    else:
                        rows += len(frame)
                    differences += compare(
                        name, table, frame, kinds, primary, key, appended=appended
                    )
            finally:
                engine.dispose()
        files = placed_states(session.journal.entries(), str(sealed["run_id"]))
        from_sources: list[Difference] = []
        if with_sources:
            from ikou.pipeline.stages.extract import run_extract
            from ikou.pipeline.stages.map import run_map
            from ikou.pipeline.stages.validate import full_frame, run_validate

            raws = recorder.run(
                "extract",
                run_extract,
                plan,
                password=password,
                which="production",
                store=session.store,
            )
            mapped = recorder.run("map", run_map, plan, raws)
            validated = recorder.run("validate", run_validate, plan, mapped, raws)
            for name, table in manifest["tables"].items():
                contract = plan.contract.tables[name]
                frame = full_frame(validated.tables[name], contract.kinds()).reset_index(drop=True)
                from_sources += compare(
                    name, table, frame, contract.kinds(), list(contract.primary_key), key
                )
    except BaseException as exc:
        session.fail(exc)
        raise
    session.store.shred_all()
    differences_all = differences + from_sources
    changed_files = [f for f in files if f["state"] == "changed"]
    status = "unchanged" if not differences_all and not changed_files else "changed"
    head = recorder.note(
        "result",
        status,
        sealed_run=sealed["run_id"],
        counts={
            "rows": rows,
            "other_rows": others,
            "changed": sum(d.change == "changed" for d in differences),
            "added": sum(d.change == "added" for d in differences),
            "removed": sum(d.change == "removed" for d in differences),
            "source_differences": len(from_sources),
            "import_files_changed": len(changed_files),
        },
    )
    data = {
        "ikou_version": __version__,
        "run_id": session.run_id,
        "mode": "reconcile",
        "generated": utc_now(),
        "plan_sha256": plan.sha256,
        "status": status,
        "sealed_run": sealed["run_id"],
        "manifest_sha256": sealed["manifest_sha256"],
        "rows": rows,
        "appended": appended,
        "other_rows": others,
        "differences": [d.as_dict() for d in differences],
        "with_sources": with_sources,
        "source_differences": [d.as_dict() for d in from_sources],
        "import_files": files,
        "chain_head": head,
    }
    report = RunReport(data)
    json_path, html_path = record_report(
        report, session.run_dir, recorder.note, lang=lang, template="reconcile.html"
    )
    session.end(status)
    return ReconcileResult(differences_all, rows, json_path, html_path, head, others, files)
