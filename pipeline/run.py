"""A run: plan → extract → map → validate → load → reconcile → report.

:func:`rehearse` is the library call behind ``ikou rehearse``; the CLI only
parses, calls it and renders. Every stage goes through one
:class:`~ikou.pipeline.session.StageRecorder`, which writes the audit chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ikou import __version__
from ikou.audit.faults import checkpoint
from ikou.audit.platform import WarmChild
from ikou.errors import IkouError
from ikou.pipeline.importfiles import Imports, prepare_imports
from ikou.pipeline.media.gate import media_window
from ikou.pipeline.plan import LoadedPlan, load_plan
from ikou.pipeline.rehearsal import check_records, check_test_data, settle_imports, settle_target
from ikou.pipeline.report import (
    RunReport,
    build_failed_report,
    build_report,
    record_report,
    redact,
)
from ikou.pipeline.session import Recovered, Session, open_session
from ikou.pipeline.stages import Progress, StageReport
from ikou.pipeline.stages.expect import by_table, start_expect, warm_expect
from ikou.pipeline.stages.extract import PasswordPrompt, RawTable, run_extract
from ikou.pipeline.stages.fingerprints import start_fingerprints
from ikou.pipeline.stages.load import (
    open_target,
    run_load,
    sqlite_file,
    transaction,
)
from ikou.pipeline.stages.map import run_map
from ikou.pipeline.stages.reconcile import run_cross_controls, run_reconcile
from ikou.pipeline.stages.validate import Validated, run_validate
from ikou.validation.expectations import ExpectationResult
from ikou.validation.reconcile import TableReconciliation

__all__ = [
    "Progress",
    "RunResult",
    "Session",
    "execute",
    "open_session",
    "rehearse",
    "shortfalls",
    "stop",
]


@dataclass(frozen=True)
class RunResult:
    """What a run produced: its report, where it is, and the run folder."""

    report: RunReport
    run_dir: Path
    report_json: Path
    report_html: Path
    audit_log: Path
    recovered: tuple[Recovered, ...] = ()


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
    warm: WarmChild | None = None,
) -> RunResult:
    """Run a rehearsal of ``plan_path`` end to end and write its report.

    Raises :class:`~mappings.errors.IkouError` for bad input (after recording
    the failed stage in the chain); returns a result whose report status is
    ``reconciled`` otherwise, or says why not: ``unbalanced``,
    ``expectations_failed``, ``nothing_loaded`` (a table loaded no row) or
    ``too_many_rejected`` (more than ``rehearsal.max_rejected``; see
    :func:`shortfalls`). ``warm``: a child already importing
    great-expectations (see :func:`~.stages.expect.warm_expect`).
    """
    plan = load_plan(plan_path)
    session = open_session(plan, "rehearsal")
    url = plan.target_url("rehearsal")
    if url is None and set(plan.mapping.tables) - set(plan.plan.target.files):
        url = f"sqlite:///{(session.run_dir / 'target.sqlite').as_posix()}"
    return execute(
        session, target_url=url, lang=lang, progress=progress, password=password, warm=warm
    )


def execute(
    session: Session,
    *,
    target_url: str | None,
    lang: str = "ja",
    progress: Progress | None = None,
    password: PasswordPrompt | None = None,
    which: str = "rehearsal",
    expected: dict[str, str] | None = None,
    after: AfterLoad | None = None,
    report_extra: dict[str, Any] | None = None,
    warm: WarmChild | None = None,
) -> RunResult:
    """The stages of one run on ``which`` sources into ``target_url``, and its report.

    ``expected`` (file path → SHA-256, from a preflight) makes extraction
    refuse a source that changed since. The load, the reconciliation, the
    controls and ``after`` (the production manifest) happen in one
    transaction, committed only when everything balances and every table
    loaded rows enough (:func:`shortfalls`): a run that fails, does not
    reconcile or loads too little leaves the target as it was. A table the plan
    writes to the vendor's import file (``target.files``) joins the same
    transaction: written under a temporary name, read back and reconciled, and
    placed only after the commit (``target_url`` is ``None`` when every table
    goes to a file). The run ends in a seal whatever happens (:meth:`Session.end`).
    """
    plan, recorder = session.plan, session.recorder
    _record_start(session, target_url)
    step = progress or (lambda label, done, total: None)
    extra = dict(report_extra or {})
    warm = warm or warm_expect()  # great-expectations' import, on the other core from now
    try:
        imports = prepare_imports(session)  # refused before a source is read if a file is there
        if which == "rehearsal":  # test data only: never a production source
            extra["test_data"] = check_test_data(plan)
            kinds = [f["kind"] for f in extra["test_data"].values()]
            recorder.note(
                "test-data",
                "checked",
                counts={k: kinds.count(k) for k in ("synthetic", "declared")},
            )
        step("extract", 0, 6)
        raws = recorder.run(
            "extract",
            run_extract,
            plan,
            progress=lambda label, done, total: step(f"extract {label}".strip(), done, total),
            password=password,
            which=which,
            expected=expected,
            store=session.store,
        )
        if which == "rehearsal":  # nor a copy of live records with other bytes
            resembling = check_records(plan, raws, list(session.writer.events()))
            if resembling:
                extra["resembling_production"] = resembling
        step("map", 1, 6)
        mapped = recorder.run("map", run_map, plan, raws)
        fingerprints = start_fingerprints(plan, raws, mapped, session.run_id)  # other core
        try:
            step("validate", 2, 6)
            validated = recorder.run("validate", run_validate, plan, mapped, raws)
            expectations = start_expect(plan, validated, warm)  # other core; gate before commit
            reconciled, status, failed = _load_and_reconcile(
                session, raws, validated, target_url, imports, expectations, after, extra, step
            )
        finally:
            fingerprints(recorder)
        if failed:  # the gate: nothing was committed
            return _stopped_at_gate(session, failed, lang, extra, target_url)
    except BaseException as exc:
        if isinstance(exc, IkouError):  # bad input: the office still gets a record of the attempt
            kept = {k: extra[k] for k in ("media",) if k in extra}  # what the window showed
            stop(session, "failed", kept, lang, error=exc, target_url=target_url)
        else:
            session.fail(exc)
        raise
    finally:
        warm.close()  # if it never got its tables
    step("report", 5, 6)
    result = _reported(
        session, raws, validated, reconciled, status, target_url, imports, extra, lang
    )
    step("done", 6, 6)
    return result


def _record_start(session: Session, target_url: str | None) -> None:
    """The run's first event: which plan, which files, which ikou, which target."""
    target_file = None if target_url is None else sqlite_file(target_url)
    session.recorder.note(
        "run",
        "started",
        plan_sha256=session.plan.sha256,
        files=session.plan.file_sha256,
        ikou_version=__version__,
        scratch_ram_backed=session.store.ram_backed,
        target=None if target_url is None else redact(target_url),
        target_file=None if target_file is None else str(target_file),
        import_files=sorted(session.plan.plan.target.files) or None,
    )


@contextmanager
def _one_transaction(engine: Any) -> Iterator[Any]:
    """The load's transaction, or none when every table goes to an import file."""
    if engine is None:
        yield None
        return
    with transaction(engine) as connection:
        yield connection


def _load_and_reconcile(
    session: Session,
    raws: dict[str, RawTable],
    validated: Validated,
    target_url: str | None,
    imports: Imports,
    expectations: Callable[[], tuple[list[ExpectationResult], StageReport]],
    after: AfterLoad | None,
    extra: dict[str, Any],
    step: Progress,
) -> tuple[dict[str, TableReconciliation], str, list[ExpectationResult]]:
    """Load, read back and reconcile — then the dataset expectations, running
    meanwhile on the other core, and ``after`` (the production manifest) — in
    one transaction, committed only when every expectation holds, everything
    balances and no table falls short (:func:`shortfalls`); the run's status
    and the expectations that failed, if any. The import files are written
    beside the load and placed only after the commit; a run that does not
    commit shreds them. A table that falls short outranks a failed
    expectation (its report keeps the tables, the expectations among them);
    an unbalanced run outranks both."""
    plan, recorder = session.plan, session.recorder
    database = imports.database_part(validated)
    engine = open_target(target_url) if database.tables and target_url is not None else None
    try:
        with _one_transaction(engine) as connection:
            step("load", 3, 6)
            if connection is not None:
                recorder.run(
                    "load", run_load, database.tables, plan.contract, connection,
                    digests=database.digests,
                if_exists=plan.plan.target.if_exists,
                )  # fmt: skip
            if imports:
                recorder.run("import", imports.write, validated)
            checkpoint("load")  # every row inserted or written aside, nothing committed
            step("reconcile", 4, 6)
            found: dict[str, TableReconciliation] = {}
            if connection is not None:
                found.update(recorder.run("reconcile", run_reconcile, plan, database, connection))
            if imports:
                found.update(recorder.run("import-reconcile", imports.reconcile, validated))
            reconciled = {name: found[name] for name in validated.tables}
            if imports:
                crossed = imports.cross_controls(plan, validated, connection)
            else:
                crossed = run_cross_controls(plan, validated, connection)
            if crossed:
                extra["cross_controls"] = crossed
                differ = sum(not c["ok"] for c in crossed)
                counts = {"controls": len(crossed), "differ": differ}
                recorder.note("cross-controls", "differs" if differ else "ok", counts=counts)
            balanced = all(r.balanced for r in reconciled.values()) and all(
                c["ok"] for c in crossed
            )
            short = shortfalls(plan, reconciled)
            if short:
                extra["shortfalls"] = short
                recorder.note(
                    "shortfall",
                    "failed",
                    max_rejected=_percent(plan.plan.rehearsal.max_rejected),  # no floats
                    tables={s["table"]: {k: s[k] for k in _SHORT_COUNTS} for s in short},
                )
            results = recorder.run("expect", expectations)
            extra["expectations"] = by_table(results)
            failed = [r for r in results if not r.success]
            if failed and not short:
                if connection is not None:
                    connection.rollback()
                imports.discard()
                if imports:
                    extra["import_files"] = imports.facts()
                return reconciled, "expectations_failed", failed
            status = _status(balanced, short)
            commit = status == "reconciled"
            media_window(session, extra)  # a production run's media rule, before its commit
            if commit and after is not None:
                loaded = {n: r for n, r in reconciled.items() if n in database.tables}
                extra.update(after(session, raws, database, connection, loaded))
                checkpoint("manifest")  # the manifest sealed, the load not committed
            if not commit and connection is not None:
                connection.rollback()
        checkpoint("committed")  # committed, not yet chained (the files not yet placed)
        if commit:
            imports.place()
        else:
            imports.discard()
        loaded_rows = sum(r.loaded for r in reconciled.values()) if commit else 0
        recorder.note(
            "commit",
            "ok" if commit else "rolled back",
            counts={"loaded": loaded_rows},
            target_identity=None if target_url is None else _identity_of(sqlite_file(target_url)),
        )
    except BaseException:
        imports.discard()  # never placed: shredded
        raise
    finally:
        if engine is not None:
            engine.dispose()
    return reconciled, status, []


_SHORT_COUNTS = ("source_rows", "skipped", "rejected", "loaded")


def shortfalls(
    plan: LoadedPlan, reconciled: dict[str, TableReconciliation]
) -> list[dict[str, Any]]:
    """Each table that loaded no row (``nothing_loaded``), or rejected more than
    the plan's ``rehearsal.max_rejected`` percent of its source rows
    (``too_many_rejected``): its name, counts, share rejected and the limit —
    counts only, never a value. Empty when the run may commit.

    A run in which every row was rejected balances (every row is accounted
    for) but has migrated nothing: it must not read as a success. The share
    is compared exactly (``3 of 10`` is more than 10 %, ``1 of 10`` is not).
    """
    limit = plan.plan.rehearsal.max_rejected
    exact = None if limit is None else Decimal(repr(limit))
    found = []
    for name, r in reconciled.items():
        if r.loaded == 0:
            reason = "nothing_loaded"
        elif exact is not None and 100 * r.rejected > exact * r.source_rows:
            reason = "too_many_rejected"
        else:
            continue
        share = round(100 * r.rejected / r.source_rows, 2) if r.source_rows else None
        found.append(
            {
                "table": name,
                "reason": reason,
                **{k: getattr(r, k) for k in _SHORT_COUNTS},
                "rejected_percent": share,
                "max_rejected": limit,
            }
        )
    return found


def _percent(limit: float | None) -> str | None:
    """A limit in percent as the plan wrote it (``10``, ``2.5``), for the chain."""
    return None if limit is None else format(limit, "g")


def _status(balanced: bool, short: list[dict[str, Any]]) -> str:
    """The run's status once loaded and reconciled: a difference first, then a
    table that loaded nothing, then one that rejected too much."""
    if not balanced:
        return "unbalanced"
    reasons = {s["reason"] for s in short}
    for reason in ("nothing_loaded", "too_many_rejected"):
        if reason in reasons:
            return reason
    return "reconciled"


def _reported(
    session: Session,
    raws: dict[str, RawTable],
    validated: Validated,
    reconciled: dict[str, TableReconciliation],
    status: str,
    target_url: str | None,
    imports: Imports,
    extra: dict[str, Any],
    lang: str,
) -> RunResult:
    """The run's result chained, its report written and chained, the run sealed."""
    plan, recorder, store, run_dir = session.plan, session.recorder, session.store, session.run_dir
    committed = status == "reconciled"
    store.shred_all()
    settled = None if target_url is None else settle_target(session, target_url)
    if settled is not None:
        extra["rehearsal_target"] = settled
    if imports:
        extra["import_files"] = settle_imports(session, imports)
    head = recorder.note(
        "result",
        status,
        plan_sha256=plan.sha256,
        counts={"loaded": sum(r.loaded for r in reconciled.values()) if committed else 0},
    )
    checkpoint("result")  # the outcome chained, no report yet
    report = build_report(
        run_id=session.run_id,
        mode=session.mode,
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
    json_path, html_path = record_report(report, run_dir, recorder.note, lang=lang, worklist=True)
    checkpoint("report")  # the report written and chained, the run not sealed
    session.end(status)
    return RunResult(
        report, run_dir, json_path, html_path, plan.workspace / "audit.log", session.recovered
    )


def _stopped_at_gate(
    session: Session,
    failed: list[ExpectationResult],
    lang: str,
    extra: dict[str, Any],
    target_url: str | None,
) -> RunResult:
    """A run whose dataset-level expectations failed: nothing loaded, exit 1."""
    slugs = sorted({r.slug for r in failed})
    facts = {**extra, "findings": slugs}
    return stop(session, "expectations_failed", facts, lang, findings=slugs, target_url=target_url)


def stop(
    session: Session,
    status: str,
    extra: dict[str, Any],
    lang: str,
    *,
    error: IkouError | None = None,
    target_url: str | None = None,
    **facts: Any,
) -> RunResult:
    """End a run that stopped before its report — at a gate, refused, or on bad
    input (``error``) — with a report of the attempt, and seal it. A
    rehearsal's target (``target_url``), if it was created, is settled too."""
    plan, recorder = session.plan, session.recorder
    session.store.shred_all()
    settled = None if target_url is None else settle_target(session, target_url)
    if settled is not None:
        extra = {**extra, "rehearsal_target": settled}
    if error is not None:
        facts["error"] = error.slug
    head = recorder.note("result", status, plan_sha256=plan.sha256, **facts)
    report = build_failed_report(
        run_id=session.run_id,
        mode=session.mode,
        plan=plan,
        error=error,
        events=recorder.events,
        chain_head=head,
        run_dir=session.run_dir,
        custody=session.store.summary(),
        status=status,
        extra=extra,
    )
    json_path, html_path = record_report(
        report, session.run_dir, recorder.note, lang=lang, worklist=True
    )
    session.end(status)
    log = plan.workspace / "audit.log"
    return RunResult(report, session.run_dir, json_path, html_path, log, session.recovered)


def _identity_of(path: Path | None) -> dict[str, int] | None:
    """A SQLite target's device and inode, so ``ikou shred`` destroys that file only."""
    if path is None or not path.is_file() or path.is_symlink():
        return None
    info = path.stat()
    return {"device": info.st_dev, "inode": info.st_ino}
