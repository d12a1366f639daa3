"""A run: plan → extract → map → validate → load → reconcile → report.

:func:`rehearse` is the library call behind ``ikou rehearse``; the CLI only
parses, calls it and renders. Every stage goes through one
:class:`~pipeline.stage.StageRecorder`, which writes the audit chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from ikou.audit.faults import checkpoint
from ikou.audit.fingerprints import fingerprint_counts, workspace_key, write_fingerprints
from ikou.audit.hashing import EncodedTable, encode_table, row_keys
from ikou.audit.platform import in_background
from ikou.mappings.engine import MappedTable, map_table
from ikou.pipeline.extract import PasswordPrompt, RawTable, run_extract
from ikou.pipeline.load import (
    open_target,
    read_back,
    run_load,
    sqlite_file,
    target_aggregates,
    transaction,
)
from ikou.pipeline.plan import LoadedPlan, load_plan
from ikou.pipeline.report import RunReport, build_failed_report, build_report, redact, write_report
from ikou.pipeline.session import Recovered, Session, open_session
from ikou.pipeline.stage import StageRecorder, StageReport
from ikou.validation.expectations import ExpectationResult, orphans, run_expectations
from ikou.validation.reconcile import ControlResult, TableReconciliation, reconcile_table
from ikou.validation.schema import ValidatedTable, validate_table

from ikou import __version__
from ikou.errors import IkouError

__all__ = [
    "Progress",
    "RunResult",
    "Session",
    "Validated",
    "execute",
    "open_session",
    "rehearse",
    "stop",
]

Progress = Callable[[str, int, int], None]
"""``progress(label, done, total)``: called as work advances (the CLI draws it)."""


@dataclass(frozen=True)
class RunResult:
    """What a run produced: its report, where it is, and the run folder."""

    report: RunReport
    run_dir: Path
    report_json: Path
    report_html: Path
    audit_log: Path
    recovered: tuple[Recovered, ...] = ()


@dataclass(frozen=True)
class Mapped:
    """The map stage's output: tables, and their canonical encodings (for reuse)."""

    tables: dict[str, MappedTable]
    encodings: dict[str, EncodedTable]  # all contract columns, every row not skipped


def run_map(
    plan: LoadedPlan, raws: dict[str, RawTable], progress: Progress | None = None
) -> tuple[Mapped, StageReport]:
    """The map stage over every table of the mapping."""
    mapped: dict[str, MappedTable] = {}
    encodings: dict[str, EncodedTable] = {}
    digests = []
    tables = list(plan.mapping.tables.items())
    for number, (name, spec) in enumerate(tables):
        if progress is not None:
            progress(f"map {name}", number, len(tables))
        contract = plan.contract.tables[name]
        kinds = {col: contract.columns[col].type for col in spec.columns}
        result = map_table(
            raws[spec.source].frame, table=name, source=spec.source, spec=spec, kinds=kinds
        )
        mapped[name] = result
        encodings[name] = encode_table(
            _with_all_columns(result.frame, contract.kinds()), contract.kinds()
        )
        digests.append(f"{name}:{encodings[name].digest()}")
    output = hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()
    counts = {
        "rows": sum(len(m.frame) for m in mapped.values()),
        "skipped": sum(len(m.skipped) for m in mapped.values()),
        "problems": sum(len(m.problems) for m in mapped.values()),
        "notes": sum(len(m.notes) for m in mapped.values()),
    }
    return Mapped(mapped, encodings), StageReport("map", counts, output)


@dataclass(frozen=True)
class Validated:
    """The validate stage's output: tables, and each accepted row's key and digest."""

    tables: dict[str, ValidatedTable]
    expected: dict[str, pd.DataFrame]  # per table: columns key, row; indexed by source row
    digests: dict[str, str]  # per table: digest of the accepted rows, all contract columns


def run_validate(plan: LoadedPlan, mapped: Mapped) -> tuple[Validated, StageReport]:
    """The validate stage: pandera checks and keys for every table.

    Also fixes what reconciliation will expect: the digest of every accepted
    row over all contract columns (unfed ones null), taken from the map
    stage's encodings rather than computed again.
    """
    validated = {
        name: validate_table(m, plan.contract.tables[name]) for name, m in mapped.tables.items()
    }
    validated = _apply_references(plan, validated)
    digests = []
    expected: dict[str, pd.DataFrame] = {}
    table_digests: dict[str, str] = {}
    for name, table in validated.items():
        contract = plan.contract.tables[name]
        kinds = contract.kinds()
        accepted = mapped.encodings[name].take(
            mapped.tables[name].frame.index.isin(table.accepted.index)
        )
        frame = _full_frame(table, kinds)
        expected[name] = pd.DataFrame(
            {
                "key": row_keys(frame, {k: kinds[k] for k in contract.primary_key}),
                "row": accepted.row_digests(),
            },
            index=frame.index,
            dtype=object,
        )
        table_digests[name] = accepted.digest()
        digests.append(f"{name}:{table_digests[name]}")
        digests.append(f"{name}.rejects:{len(table.rejects)}")
    output = hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()
    counts = {
        "accepted": sum(len(v.accepted) for v in validated.values()),
        "rejected": sum(len(v.rejected_rows) for v in validated.values()),
        "noted": sum(len(v.notes) for v in validated.values()),
    }
    return Validated(validated, expected, table_digests), StageReport("validate", counts, output)


def _apply_references(
    plan: LoadedPlan, validated: dict[str, ValidatedTable]
) -> dict[str, ValidatedTable]:
    """Reject child rows whose reference (``references: table.column``) is not
    among the parent's accepted rows: ``<column>.fk_missing``. Tables are taken
    in the mapping's order, so a parent listed first is settled first."""
    out = dict(validated)
    for name in list(out):
        table = out[name]
        for column, spec in plan.contract.tables[name].columns.items():
            if spec.references is None or column not in table.accepted:
                continue
            parent, key = spec.references.split(".")
            if parent not in out or key not in out[parent].accepted:
                continue
            bad = orphans(table.accepted[column], out[parent].accepted[key])
            if not bad.any():
                continue
            rows = table.accepted.index[bad.to_numpy()]
            found = pd.DataFrame({"row": rows, "column": column, "slug": f"{column}.fk_missing"})
            rejects = pd.concat([table.rejects, found], ignore_index=True)
            rejects = rejects.sort_values(["row", "slug"], kind="stable").reset_index(drop=True)
            table = replace(
                table,
                accepted=table.accepted.loc[~bad.to_numpy()],
                rejects=rejects,
                notes=table.notes[~table.notes["row"].isin(rows)],
            )
        out[name] = table
    return out


def run_expect(
    plan: LoadedPlan, validated: Validated
) -> tuple[list[ExpectationResult], StageReport]:
    """The dataset-level expectations of every table (great-expectations, ephemeral)."""
    tables = {
        name: (_full_frame(table, plan.contract.tables[name].kinds()), plan.contract.tables[name])
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


def _with_all_columns(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """``frame`` with every contract column, in contract order (unfed ones null)."""
    unfed = {column: None for column in kinds if column not in frame}
    return frame.assign(**unfed)[list(kinds)]


def _full_frame(table: ValidatedTable, kinds: dict[str, str]) -> pd.DataFrame:
    """Accepted rows with every contract column (unfed ones are null)."""
    return _with_all_columns(table.accepted, kinds)


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
            tally: dict[str, int] = {}
            for value in counts:
                label = "(null)" if value is None else str(value)
                tally[label] = tally.get(label, 0) + 1
            out[control.label] = tally
    return out


def run_reconcile(
    plan: LoadedPlan, validated: Validated, engine: Any
) -> tuple[dict[str, TableReconciliation], StageReport]:
    """Read every table back and prove it holds exactly what was validated."""
    results: dict[str, TableReconciliation] = {}
    digests = []
    for name, table in validated.tables.items():
        contract = plan.contract.tables[name]
        kinds = contract.kinds()
        actual_frame = read_back(engine, contract, name)
        encoded = encode_table(actual_frame, kinds)
        actual = pd.DataFrame(
            {
                "key": row_keys(actual_frame, {k: kinds[k] for k in contract.primary_key}),
                "row": encoded.row_digests(),
            },
            dtype=object,
        )
        controls_spec = plan.mapping.tables[name].controls
        sums = [c.column for c in controls_spec if c.kind == "sum" and c.column]
        by = [c.column for c in controls_spec if c.kind == "count_by" and c.column]
        target = target_aggregates(engine, name, contract, sums, by)
        for column in sums:  # exact decimals: summed from the rows read back
            if contract.columns[column].type == "decimal":
                values = actual_frame[column].dropna()
                target[f"sum({column})"] = sum((Decimal(v) for v in values), Decimal(0))
        source = _source_controls(plan, name, _full_frame(table, kinds))
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
        )
        digests.append(f"{name}:{encoded.digest()}")
    output = hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()
    counts = {
        "loaded": sum(r.loaded for r in results.values()),
        "differences": sum(sum(r.finding_counts.values()) for r in results.values()),
    }
    return results, StageReport("reconcile", counts, output)


AfterLoad = Callable[
    [Session, dict[str, RawTable], "Validated", Any, dict[str, TableReconciliation]],
    dict[str, Any],
]
"""Called after a reconciled load, before its commit, on the load's connection
(the production manifest); returns extra report keys."""


def rehearse(
    plan_path: str | Path,
    *,
    lang: str = "ja",
    progress: Progress | None = None,
    password: PasswordPrompt | None = None,
) -> RunResult:
    """Run a rehearsal of ``plan_path`` end to end and write its report.

    Raises :class:`~mappings.errors.IkouError` for bad input (after recording
    the failed stage in the chain); returns a result whose report status is
    ``reconciled`` or ``unbalanced`` otherwise.
    """
    plan = load_plan(plan_path)
    session = open_session(plan, "rehearsal")
    url = plan.target_url("rehearsal") or (
        f"sqlite:///{(session.run_dir / 'target.sqlite').as_posix()}"
    )
    return execute(session, target_url=url, lang=lang, progress=progress, password=password)


def execute(
    session: Session,
    *,
    target_url: str,
    lang: str = "ja",
    progress: Progress | None = None,
    password: PasswordPrompt | None = None,
    which: str = "rehearsal",
    expected: dict[str, str] | None = None,
    after: AfterLoad | None = None,
    report_extra: dict[str, Any] | None = None,
) -> RunResult:
    """The stages of one run on ``which`` sources into ``target_url``, and its report.

    ``expected`` (file path → SHA-256, from a preflight) makes extraction
    refuse a source that changed since. The load, the reconciliation, the
    controls and ``after`` (the production manifest) happen in one
    transaction, committed only when everything balances: a run that fails
    or does not reconcile leaves the target as it was. The run ends in a
    seal whatever happens (:meth:`Session.end`).
    """
    plan, recorder, store, run_dir = session.plan, session.recorder, session.store, session.run_dir
    run_id, mode = session.run_id, session.mode
    target_file = sqlite_file(target_url)
    recorder.note(
        "run",
        "started",
        plan_sha256=plan.sha256,
        files=plan.file_sha256,
        ikou_version=__version__,
        scratch_ram_backed=store.ram_backed,
        target=redact(target_url),
        target_file=None if target_file is None else str(target_file),
    )
    step = progress or (lambda label, done, total: None)
    extra = dict(report_extra or {})
    try:
        step("extract", 0, 6)
        raws = recorder.run(
            "extract",
            run_extract,
            plan,
            progress=lambda label, done, total: step(f"extract {label}".strip(), done, total),
            password=password,
            which=which,
            expected=expected,
            store=store,
        )
        step("map", 1, 6)
        mapped = recorder.run("map", run_map, plan, raws)
        step("validate", 2, 6)
        validated = recorder.run("validate", run_validate, plan, mapped)
        expectations = recorder.run("expect", run_expect, plan, validated)
        extra["expectations"] = _by_table(expectations)
        failed = [r for r in expectations if not r.success]
        if failed:  # the gate: nothing is loaded
            return _stopped_at_gate(session, failed, lang, extra)
        fingerprints = _start_fingerprints(plan, raws, mapped, run_id)
        engine = open_target(target_url)
        try:
            with transaction(engine) as connection:
                step("load", 3, 6)
                recorder.run(
                    "load",
                    run_load,
                    validated.tables,
                    plan.contract,
                    connection,
                    digests=validated.digests,
                )
                checkpoint("load")  # every row inserted, nothing committed
                step("reconcile", 4, 6)
                reconciled = recorder.run("reconcile", run_reconcile, plan, validated, connection)
                crossed = _cross_controls(plan, validated, connection)
                if crossed:
                    extra["cross_controls"] = crossed
                    recorder.note(
                        "cross-controls",
                        "ok" if all(c["ok"] for c in crossed) else "differs",
                        counts={
                            "controls": len(crossed),
                            "differ": sum(not c["ok"] for c in crossed),
                        },
                    )
                balanced = all(r.balanced for r in reconciled.values()) and all(
                    c["ok"] for c in crossed
                )
                if balanced and after is not None:
                    extra.update(after(session, raws, validated, connection, reconciled))
                    checkpoint("manifest")  # the manifest sealed, the load not committed
                if not balanced:
                    connection.rollback()
            checkpoint("committed")  # committed, not yet chained
            recorder.note(
                "commit",
                "ok" if balanced else "rolled back",
                counts={"loaded": sum(r.loaded for r in reconciled.values()) if balanced else 0},
                target_identity=_identity_of(target_file),
            )
        finally:
            engine.dispose()
            fingerprints(recorder)
    except BaseException as exc:
        outcome = "failed" if isinstance(exc, Exception) else "interrupted"
        store.shred_all()
        head = recorder.note("result", outcome, error=getattr(exc, "slug", type(exc).__name__))
        if isinstance(exc, IkouError):  # bad input: the office still gets a record of the attempt
            report = build_failed_report(
                run_id=run_id,
                mode=mode,
                plan=plan,
                error=exc,
                events=recorder.events,
                chain_head=head,
                run_dir=run_dir,
                custody=store.summary(),
            )
            _write(report, run_dir, lang, recorder)
        session.end(outcome)
        raise
    status = "reconciled" if balanced else "unbalanced"
    store.shred_all()
    head = recorder.note(
        "result",
        status,
        plan_sha256=plan.sha256,
        counts={"loaded": sum(r.loaded for r in reconciled.values()) if balanced else 0},
    )
    checkpoint("result")  # the outcome chained, no report yet
    step("report", 5, 6)
    report = build_report(
        run_id=run_id,
        mode=mode,
        plan=plan,
        status=status,
        raws=raws,
        validated=validated.tables,
        reconciled=reconciled,
        events=recorder.events,
        chain_head=head,
        target_url=target_url,
        run_dir=run_dir,
        custody=store.summary(),
        extra=extra,
    )
    json_path, html_path = _write(report, run_dir, lang, recorder)
    checkpoint("report")  # the report written and chained, the run not sealed
    session.end(status)
    step("done", 6, 6)
    return RunResult(
        report, run_dir, json_path, html_path, plan.workspace / "audit.log", session.recovered
    )


def _cross_controls(plan: LoadedPlan, validated: Validated, engine: Any) -> list[dict[str, Any]]:
    """Every cross-table control: each side from the accepted rows and from the
    target's own ``COUNT``/``SUM``; it holds when all four agree."""
    out = []
    for control in plan.mapping.cross_controls:
        sides: dict[str, tuple[int, int]] = {}
        for label, quantity in (("left", control.left), ("right", control.right)):
            table, column = control.parse(quantity)
            accepted = validated.tables[table].accepted
            contract = plan.contract.tables[table]
            target = target_aggregates(engine, table, contract, [column] if column else [], [])
            if column is None:
                sides[label] = (len(accepted), int(target["count"]))
            else:
                source = sum((int(v) for v in accepted[column].dropna()), 0)
                sides[label] = (source, target[f"sum({column})"])
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


def _by_table(results: list[ExpectationResult]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        out.setdefault(result.table, []).append(result.as_dict())
    return out


def _stopped_at_gate(
    session: Session, failed: list[ExpectationResult], lang: str, extra: dict[str, Any]
) -> RunResult:
    """A run whose dataset-level expectations failed: nothing loaded, exit 1."""
    slugs = sorted({r.slug for r in failed})
    return stop(session, "expectations_failed", {**extra, "findings": slugs}, lang, findings=slugs)


def stop(
    session: Session, status: str, extra: dict[str, Any], lang: str, **facts: Any
) -> RunResult:
    """End a run that stopped before the load (a gate, a refusal) with its report."""
    plan, recorder = session.plan, session.recorder
    session.store.shred_all()
    head = recorder.note("result", status, plan_sha256=plan.sha256, **facts)
    report = build_failed_report(
        run_id=session.run_id,
        mode=session.mode,
        plan=plan,
        error=None,
        events=recorder.events,
        chain_head=head,
        run_dir=session.run_dir,
        custody=session.store.summary(),
        status=status,
        extra=extra,
    )
    json_path, html_path = _write(report, session.run_dir, lang, recorder)
    session.end(status)
    log = plan.workspace / "audit.log"
    return RunResult(report, session.run_dir, json_path, html_path, log, session.recovered)


def _start_fingerprints(
    plan: LoadedPlan, raws: dict[str, RawTable], mapped: Mapped, run_id: str
) -> Callable[[StageRecorder], None]:
    """Keyed fingerprints of every mapped record for ``ikou sweep`` (see
    :mod:`audit.fingerprints`), from its source cells as the file held them.

    They are computed on the other core while the load and the reconciliation
    run here; the returned function waits for them and chains the result.
    """
    workspace_key(plan.workspace, create=True)  # made here, before the child sees it
    jobs = []
    for name, table in mapped.tables.items():
        spec = plan.mapping.tables[name]
        raw = raws[spec.source].frame.loc[table.frame.index]
        columns = [raw[column].to_numpy(dtype=object) for column in spec.source_columns()]
        jobs.append((name, plan.workspace / "fingerprints" / f"{run_id}.{name}.npz", columns))

    def work() -> None:
        for name, _, columns in jobs:
            write_fingerprints(plan.workspace, f"{run_id}.{name}", columns)

    wait = in_background(work)

    def finish(recorder: StageRecorder) -> None:
        ok = wait()
        for name, path, _ in jobs:
            if not ok or not path.exists():
                recorder.note("fingerprints", "failed", table=name)
                continue
            records, digests = fingerprint_counts(path)
            recorder.note(
                "fingerprints",
                "written",
                table=name,
                counts={"records": records, "digests": digests},
                output_sha256=_file_sha(path),
            )

    return finish


def _write(
    report: RunReport, run_dir: Path, lang: str, recorder: StageRecorder
) -> tuple[Path, Path]:
    """Write both report files and chain their hashes (the report event)."""
    json_path, html_path = write_report(report, run_dir, lang=lang)
    recorder.note(
        "report",
        "written",
        report_json_sha256=_file_sha(json_path),
        report_html_sha256=_file_sha(html_path),
    )
    return json_path, html_path


def _identity_of(path: Path | None) -> dict[str, int] | None:
    """A SQLite target's device and inode, so ``ikou shred`` destroys that file only."""
    if path is None or not path.is_file() or path.is_symlink():
        return None
    info = path.stat()
    return {"device": info.st_dev, "inode": info.st_ino}


def _file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


__all__ += ["load_plan", "run_map", "run_reconcile", "run_validate"]
