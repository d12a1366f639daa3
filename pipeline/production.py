"""The supervised production run, reconciliation afterwards, and the end of custody.

:func:`migrate` is ``ikou migrate``: preflight (a checklist recorded in the
chain), sign-on of the witness and approvers, the stages on the production
sources into the real target, then the seal — a keyed manifest of the loaded
rows and a ``sealed`` event, after which the same plan is refused.
:func:`reconcile_later` is ``ikou reconcile``; :func:`shred_workspace` is
``ikou shred --certificate``. None of them prints or prompts: people are
asked through the ``ask`` callback the CLI passes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ikou import __version__
from ikou.audit.artifacts import Tampered, open_runs, recover_artifacts
from ikou.audit.chain import SEAL, key_folder
from ikou.audit.fingerprints import workspace_key
from ikou.audit.hashing import row_keys
from ikou.audit.manifest import Difference, compare, manifest_table, read_manifest, write_manifest
from ikou.audit.platform import ram_scratch_root
from ikou.audit.shredding import FileIdentity, NotOurs, inside, shred_file
from ikou.errors import ConfigError, IkouError, TamperedError
from ikou.pipeline.plan import LoadedPlan, load_plan
from ikou.pipeline.report import RunReport, write_report
from ikou.pipeline.run import (
    Progress,
    RunResult,
    Session,
    Validated,
    execute,
    open_session,
    stop,
)
from ikou.pipeline.session import StageRecorder, utc_now
from ikou.pipeline.stages.extract import RawTable, resolve_files, source_pattern
from ikou.pipeline.stages.load import open_target, read_back, sqlite_file, target_metadata
from ikou.validation.reconcile import TableReconciliation

__all__ = [
    "Check",
    "Confirmation",
    "MigrationResult",
    "ReconcileResult",
    "ShredResult",
    "migrate",
    "reconcile_later",
    "shred_workspace",
]

Ask = Callable[[str, str], tuple[str, str]]
"""``ask(role, code)`` → (the name the person typed, the code they typed)."""


REASONS = {
    "no_rehearsal": "no reconciled rehearsal of this exact plan, mapping and contract",
    "rehearsal_version": "the rehearsal {run} ran ikou {version}, not {current}",
    "rehearsal_old": "the rehearsal {run} is {age} days old (limit {limit})",
    "rehearsal_ok": "rehearsal {run}, {age} day(s) ago",
    "cert_expired": "expired on {date}",
    "cert_expiring": "expires in {left} day(s), on {date}",
    "cert_ok": "valid until {date}",
    "scratch_ram": "scratch is on {path}, a RAM-backed tmpfs: nothing reaches the disk",
    "scratch_disk": "{note}; every artifact ikou writes is encrypted",
    "swap_on": "swap is active: memory may reach the disk",
    "swap_unknown": "cannot tell on this OS whether swap is active",
    "swap_off": "no swap",
    "target_none": "the plan has no target.url",
    "target_error": "{message}",
    "target_not_empty": "table {table!r} holds {count} row(s)",
    "target_unreachable": "cannot reach the target ({error})",
    "target_ok": "reachable; its tables are absent or empty",
    "sources_unreadable": "{problems}",
    "sources_ok": "{count} file(s) present and readable",
    "signon_code": "did not confirm with the code shown",
    "signon_nobody": "nobody signed on",
    "signon_not_listed": "{name} may not sign as {role} under this plan",
    "signon_terminal": "{name} (typed at the terminal)",
    "signon_file": "{name} (sign-off file)",
    "sources_changed": "a source file changed during the preflight",
    "sources_same": "same SHA-256 as when the preflight began",
}
"""Each preflight reason in English, by code; the Japanese report's are in
:data:`pipeline.report.LABELS` as ``reason_<code>``, with the same fields."""


@dataclass(frozen=True)
class Check:
    """One preflight item: ``ok``, ``warn`` or ``fail``, with a reason (no values).

    ``code`` names the reason and ``params`` fills it, so that each report
    states it in its own language; ``reason`` is the English sentence.
    """

    item: str
    status: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """The reason in English."""
        return REASONS[self.code].format(**self.params)

    def as_dict(self) -> dict[str, Any]:
        """For report.json and the audit chain: the fields and the English reason."""
        return {**asdict(self), "reason": self.reason}


@dataclass(frozen=True)
class Confirmation:
    """One person's sign-on: role, name, how it came, when."""

    role: str
    name: str
    method: str  # "terminal" or "file"
    time: str


@dataclass
class MigrationResult:
    """What ``ikou migrate`` did."""

    status: str  # "reconciled", "unbalanced", "refused"
    checks: list[Check]
    confirmations: list[Confirmation] = field(default_factory=list)
    run: RunResult | None = None
    refusal: str | None = None
    report_html: Path | None = None


# ---------------------------------------------------------------- the chain
# Every reading here is of events the session verified (links, hashes and
# authentication under this installation's audit key) before handing them over.


def _ended(events: list[dict[str, Any]], mode: str, outcome: str) -> list[dict[str, Any]]:
    """The seals of runs in ``mode`` that ended with ``outcome``."""
    return [
        e
        for e in events
        if e.get("stage") == SEAL and e.get("mode") == mode and e.get("outcome") == outcome
    ]


def find_seal(
    events: list[dict[str, Any]], plan_sha256: str | None = None
) -> dict[str, Any] | None:
    """The last reconciled production run (of this plan, when given): its seal
    with its manifest's name and hash from the run's ``manifest`` event."""
    for seal in reversed(_ended(events, "production", "reconciled")):
        if plan_sha256 not in (None, seal.get("plan_sha256")):
            continue
        manifest = next(
            (
                e
                for e in events
                if e.get("run_id") == seal["run_id"] and e.get("stage") == "manifest"
            ),
            None,
        )
        if manifest is not None:
            return {**seal, "manifest": manifest["manifest"], "manifest_sha256": manifest["sha256"]}
    return None


def _passing_rehearsal(
    events: list[dict[str, Any]], plan_sha256: str, now: dt.datetime
) -> tuple[str, dt.datetime, str] | None:
    """The newest rehearsal of this plan sealed as reconciled: run id, time, ikou version.

    Only an authenticated seal counts (the events were verified under the
    audit key): a line anyone else writes never verifies.
    """
    started = {
        e["run_id"]: e for e in events if e.get("stage") == "run" and e.get("outcome") == "started"
    }
    best = None
    for seal in _ended(events, "rehearsal", "reconciled"):
        if seal.get("plan_sha256") != plan_sha256 or seal["run_id"] not in started:
            continue
        when = dt.datetime.fromisoformat(str(seal["time"]).replace("Z", "+00:00"))
        if when <= now:
            best = (seal["run_id"], when, str(started[seal["run_id"]].get("ikou_version")))
    return best


# ---------------------------------------------------------------- preflight


def _swap_active() -> bool | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        lines = Path("/proc/swaps").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    return len(lines) > 1


def _source_hashes(plan: LoadedPlan) -> tuple[dict[str, str], list[str]]:
    hashes, problems = {}, []
    for source in plan.plan.sources:
        try:
            files = resolve_files(plan.base, source, source_pattern(plan, source, "production"))
        except IkouError as exc:
            problems.append(exc.message)
            continue
        for path in files:
            try:
                hashes[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                problems.append(f"cannot read {path.name}: {exc.strerror}")
    return hashes, problems


def preflight(
    plan: LoadedPlan, events: list[dict[str, Any]], now: dt.datetime
) -> tuple[list[Check], dict[str, str]]:
    """Every check that needs no person; and the production sources' hashes.

    ``events`` are the verified audit chain: the rehearsal evidence."""
    checks: list[Check] = []
    found = _passing_rehearsal(events, plan.sha256, now)
    limit = plan.plan.rehearsal.max_age_days
    if found is None:
        checks.append(Check("rehearsal", "fail", "no_rehearsal"))
    else:
        run_id, when, version = found
        age = (now - when).days
        if version != __version__:
            found_version = {"run": run_id, "version": version, "current": __version__}
            checks.append(Check("rehearsal", "fail", "rehearsal_version", found_version))
        elif age > limit:
            old = {"run": run_id, "age": age, "limit": limit}
            checks.append(Check("rehearsal", "fail", "rehearsal_old", old))
        else:
            checks.append(Check("rehearsal", "ok", "rehearsal_ok", {"run": run_id, "age": age}))
    vendor = plan.plan.vendor
    for cert in vendor.certifications if vendor else ():
        left = (cert.expires - now.date()).days
        item = f"certification {cert.name}"
        date = cert.expires.isoformat()
        if left < 0:
            checks.append(Check(item, "fail", "cert_expired", {"date": date}))
        elif left <= 60:
            checks.append(Check(item, "warn", "cert_expiring", {"left": left, "date": date}))
        else:
            checks.append(Check(item, "ok", "cert_ok", {"date": date}))
    root, note = ram_scratch_root()
    if root is not None:
        checks.append(Check("scratch", "ok", "scratch_ram", {"path": root.as_posix()}))
    else:
        checks.append(Check("scratch", "ok", "scratch_disk", {"note": note}))
    swap = _swap_active()
    if swap:
        checks.append(Check("swap", "warn", "swap_on"))
    elif swap is None:
        checks.append(Check("swap", "warn", "swap_unknown"))
    else:
        checks.append(Check("swap", "ok", "swap_off"))
    checks.append(_target_check(plan))
    hashes, problems = _source_hashes(plan)
    if problems:
        checks.append(
            Check("sources", "fail", "sources_unreadable", {"problems": "; ".join(problems)})
        )
    else:
        checks.append(Check("sources", "ok", "sources_ok", {"count": len(hashes)}))
    return checks, hashes


def _target_check(plan: LoadedPlan) -> Check:
    import sqlalchemy as sa

    url = plan.target_url("production")
    if url is None:
        return Check("target", "fail", "target_none")
    database = sqlite_file(url)
    if database is not None and not database.exists():
        return Check("target", "ok", "target_ok")  # absent: nothing to hold, nothing created
    try:
        engine = open_target(url)
    except IkouError as exc:
        return Check("target", "fail", "target_error", {"message": exc.message})
    try:
        metadata = target_metadata(plan.contract, list(plan.mapping.tables))
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            for table in metadata.tables.values():
                if inspector.has_table(table.name):
                    count = connection.execute(
                        sa.select(sa.func.count()).select_from(table)
                    ).scalar()
                    if count:
                        held = {"table": table.name, "count": count}
                        return Check("target", "fail", "target_not_empty", held)
    except sa.exc.SQLAlchemyError as exc:
        return Check("target", "fail", "target_unreachable", {"error": type(exc).__name__})
    finally:
        engine.dispose()
    return Check("target", "ok", "target_ok")


# ---------------------------------------------------------------- sign-on


def read_signoff(path: Path) -> dict[str, str]:
    """A sign-off file: ``witness: name`` and ``approvals: {role: name}``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the sign-off file {path}: {exc}.", file=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("witness"), str):
        raise ConfigError(
            f"{path}: a sign-off file holds 'witness: name' and 'approvals: {{role: name}}'.",
            file=str(path),
        )
    approvals = data.get("approvals") or {}
    if not isinstance(approvals, dict):
        raise ConfigError(f"{path}: approvals must map each role to a name.", file=str(path))
    return {"witness": data["witness"], **{str(k): str(v) for k, v in approvals.items()}}


def sign_on(
    plan: LoadedPlan, signoff: dict[str, str] | None, ask: Ask | None
) -> tuple[list[Confirmation], list[Check]]:
    """The witness and each approval role confirm; each is checked against the plan."""
    people = plan.plan.people
    assert people is not None
    roles: list[tuple[str, tuple[str, ...]]] = [("witness", people.witnesses)]
    roles += list(people.approvals.items())
    confirmations, checks = [], []
    for role, eligible in roles:
        if signoff is not None:
            name, method = signoff.get(role), "file"
            present = name is not None
        elif ask is not None:
            code = secrets.token_hex(2).upper()
            name, typed = ask(role, code)
            name, method = name.strip(), "terminal"
            present = typed.strip().upper() == code
        else:
            name, method, present = None, "none", False
        item = f"sign-on {role}"
        if not name or not present:
            checks.append(Check(item, "fail", "signon_code" if name else "signon_nobody"))
            continue
        if name not in eligible:
            checks.append(Check(item, "fail", "signon_not_listed", {"name": name, "role": role}))
            continue
        confirmations.append(Confirmation(role, name, method, utc_now()))
        how = "signon_terminal" if method == "terminal" else "signon_file"
        checks.append(Check(item, "ok", how, {"name": name}))
    return confirmations, checks


# ---------------------------------------------------------------- migrate


def _need(plan: LoadedPlan) -> None:
    problems = []
    if plan.plan.people is None:
        problems.append("people: (owner, operator, witnesses, approvals)")
    if plan.plan.target.url is None:
        problems.append("target.url")
    missing = [name for name, spec in plan.plan.sources.items() if spec.production is None]
    if missing:
        problems.append("a production: path for source(s) " + ", ".join(missing))
    if problems:
        raise ConfigError(
            f"{plan.path}: a production run needs " + " and ".join(problems) + ".",
            file=str(plan.path),
        )


def migrate(
    plan_path: str | Path,
    *,
    signoff_file: Path | None = None,
    ask: Ask | None = None,
    lang: str = "ja",
    progress: Progress | None = None,
    password: Callable[[str], str | None] | None = None,
    now: dt.datetime | None = None,
) -> MigrationResult:
    """The production run: preflight, sign-on, run once, seal."""
    plan = load_plan(plan_path)
    _need(plan)
    signoff = read_signoff(signoff_file) if signoff_file is not None else None
    now = now or dt.datetime.now(dt.UTC)
    session = open_session(plan, "production")  # verifies the chain first
    recorder = session.recorder
    events = list(session.writer.events())
    sealed = find_seal(events, plan.sha256)
    if sealed is not None:
        refusal = (
            f"this plan was migrated and sealed by run {sealed['run_id']} at {sealed['time']}; "
            "change it, rehearse it and have it approved again"
        )
        recorder.note("migrate", "refused", plan_sha256=plan.sha256, reason="already sealed")
        session.store.shred_all()
        session.end("refused")
        return MigrationResult("refused", [], refusal=refusal)
    checks, hashes = preflight(plan, events, now)
    confirmations, people_checks = sign_on(plan, signoff, ask)
    checks += people_checks
    again, _ = _source_hashes(plan)
    if again != hashes:
        checks.append(Check("sources unchanged", "fail", "sources_changed"))
    else:
        checks.append(Check("sources unchanged", "ok", "sources_same"))
    failed = [c for c in checks if c.status == "fail"]
    recorder.note(
        "preflight",
        "failed" if failed else "passed",
        plan_sha256=plan.sha256,
        checks=[c.as_dict() for c in checks],
    )
    recorder.note(
        "sign-on",
        "confirmed"
        if not any(c.item.startswith("sign-on") and c.status == "fail" for c in checks)
        else "incomplete",
        people=[
            {"role": c.role, "name": c.name, "method": c.method, "time": c.time}
            for c in confirmations
        ],
    )
    extra = {
        "preflight": [c.as_dict() for c in checks],
        "signon": [asdict(c) for c in confirmations],
        "people": plan.plan.people.model_dump() if plan.plan.people else None,
        "vendor": plan.plan.vendor.model_dump(mode="json") if plan.plan.vendor else None,
    }
    if failed:
        refused = stop(session, "refused", extra, lang)
        return MigrationResult(
            "refused",
            checks,
            confirmations,
            refusal=f"{len(failed)} preflight check(s) failed",
            report_html=refused.report_html,
        )
    run = execute(
        session,
        target_url=str(plan.target_url("production")),
        lang=lang,
        progress=progress,
        password=password,
        which="production",
        expected=hashes,
        after=_manifest,
        report_extra=extra,
    )
    return MigrationResult(
        run.report.status, checks, confirmations, run, report_html=run.report_html
    )


def _manifest(
    session: Session,
    raws: dict[str, RawTable],
    validated: Validated,
    connection: Any,
    reconciled: dict[str, TableReconciliation],
) -> dict[str, Any]:
    """The keyed manifest of the loaded rows, read back inside the load's
    transaction, written and chained *before* the commit: a run killed after
    its commit is finished from it (:func:`finish_dead_run`)."""
    plan = session.plan
    found = workspace_key(plan.workspace, create=True)
    assert found is not None
    key_id, key = found
    tables = {}
    for name, table in validated.tables.items():
        contract = plan.contract.tables[name]
        frame = read_back(connection, contract, name)
        expected = validated.expected[name]
        positions = raws[table.source].positions.loc[expected.index]  # one lookup, not per row
        where = {
            row_key: (str(file), str(sheet), int(row))
            for row_key, file, sheet, row in zip(
                expected["key"],
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


# ------------------------------------------------------------ reconcile later


@dataclass
class ReconcileResult:
    """What ``ikou reconcile`` found."""

    differences: list[Difference]
    rows: int
    report_json: Path
    report_html: Path
    chain_head: str


def reconcile_later(
    plan_path: str | Path,
    *,
    lang: str = "ja",
    with_sources: bool = False,
    password: Callable[[str], str | None] | None = None,
) -> ReconcileResult:
    """Compare the target now with the sealed manifest (hashes only, no sources).

    ``with_sources`` also reads the production sources again, maps and
    validates them, and compares that with the manifest too: end to end.
    """
    plan = load_plan(plan_path)
    session = open_session(plan, "reconcile")  # verifies the chain first
    recorder = session.recorder
    try:
        sealed = find_seal(list(session.writer.events()))
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
        differences: list[Difference] = []
        engine = open_target(str(plan.target_url("production")))
        rows = 0
        try:
            for name, table in manifest["tables"].items():
                contract = plan.contract.tables[name]
                frame = read_back(engine, contract, name)
                rows += len(frame)
                differences += compare(
                    name, table, frame, contract.kinds(), list(contract.primary_key), key
                )
        finally:
            engine.dispose()
        from_sources: list[Difference] = []
        if with_sources:
            from ikou.pipeline.stages.map import run_map
            from ikou.pipeline.stages.validate import full_frame, run_validate
            from ikou.pipeline.stages.extract import run_extract

            raws = recorder.run(
                "extract",
                run_extract,
                plan,
                password=password,
                which="production",
                store=session.store,
            )
            mapped = recorder.run("map", run_map, plan, raws)
            validated = recorder.run("validate", run_validate, plan, mapped)
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
    status = "unchanged" if not differences_all else "changed"
    head = recorder.note(
        "result",
        status,
        sealed_run=sealed["run_id"],
        counts={
            "rows": rows,
            "changed": sum(d.change == "changed" for d in differences),
            "added": sum(d.change == "added" for d in differences),
            "removed": sum(d.change == "removed" for d in differences),
            "source_differences": len(from_sources),
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
        "differences": [d.as_dict() for d in differences],
        "with_sources": with_sources,
        "source_differences": [d.as_dict() for d in from_sources],
        "chain_head": head,
    }
    report = RunReport(data)
    json_path, html_path = write_report(
        report, session.run_dir, lang=lang, template="reconcile.html"
    )
    _chain_report(recorder, json_path, html_path)
    session.end(status)
    return ReconcileResult(differences_all, rows, json_path, html_path, head)


def _chain_report(recorder: StageRecorder, *paths: Path) -> None:
    recorder.note(
        "report",
        "written",
        files={p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths},
    )


# ---------------------------------------------------------------- shred


@dataclass
class ShredResult:
    """What ``ikou shred --certificate`` destroyed, and the certificate."""

    items: list[dict[str, Any]]
    certificate: Path
    chain_head: str


_KINDS = {
    "artifact": "artifact",
    "rehearsal target database": "rehearsal_target",
    "record fingerprints": "fingerprints",
    "sealed manifest": "manifest",
    "fingerprint and manifest key": "key",
}
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")


def shred_workspace(plan_path: str | Path, *, witness: str | None, lang: str = "ja") -> ShredResult:
    """Destroy every copy the workspace's runs left and certify it.

    The chain and the journal are verified first (the session's gate); what
    is destroyed is taken from them — never from a name found lying in the
    workspace: any artifact the journal still holds, every rehearsal target
    a run wrote (wherever the plan put it), the record fingerprints and
    manifests, and the key that made them (its destruction is the
    cryptographic erase of any copy of them elsewhere). Each file is checked
    to be the one ikou wrote before it is overwritten; one that cannot be
    destroyed, or a key that is missing, is an item the certificate marks as
    failed, not an omission. Keeps the audit log, the journal and the
    reports: they hold no values and are the record.
    """
    plan = load_plan(plan_path)
    workspace = plan.workspace
    session = open_session(plan, "shred")  # verifies, and ends dead runs first
    recorder = session.recorder
    items: list[dict[str, Any]] = []

    def record(what: str, shown: str, **item: Any) -> None:
        items.append({"what": what, "kind": _KINDS[what.split(" (")[0]], "file": shown, **item})
        recorder.note(
            "shred",
            "ok" if item["verified"] else "failed",
            what=what,
            output_sha256=item.get("sha256"),
            counts={"bytes": item.get("bytes") or 0},
            problem=item.get("problem"),
        )

    def destroy(path: Path, what: str, expect: FileIdentity | None = None) -> None:
        inner = path.is_relative_to(workspace)
        shown = path.relative_to(workspace).as_posix() if inner else str(path)
        try:
            data = _read_no_follow(path)
            verified = shred_file(path, expect=expect)
        except (NotOurs, OSError) as exc:
            record(what, shown, verified=False, problem=str(exc), time=utc_now())
            return
        record(
            what,
            shown,
            sha256=hashlib.sha256(data).hexdigest(),
            bytes=len(data),
            method="overwritten with random bytes, fsynced, renamed, unlinked",
            verified=verified,
            time=utc_now(),
        )

    try:
        entries = session.journal.entries()
        for run_id in {str(e.get("run_id")) for e in entries} - set(open_runs(entries)):
            left = recover_artifacts(workspace, session.journal, run_id, recorder.note)
            for artifact in left:
                if not artifact.verified:
                    record(
                        f"artifact ({artifact.purpose})",
                        Path(artifact.path).name,
                        verified=False,
                        problem="not verified gone",
                        time=utc_now(),
                    )
        for path, expect in _rehearsal_targets(workspace, list(session.writer.events())):
            destroy(path, "rehearsal target database", expect)
        for folder, pattern, what in (
            ("fingerprints", "*.npz", "record fingerprints (keyed digests)"),
            ("manifests", "*.json", "sealed manifest (keyed digests)"),
        ):
            for path in sorted((workspace / folder).glob(pattern)):
                if inside(path, workspace):
                    destroy(path, what)
                else:
                    record(what, path.name, verified=False, problem="reached through a link")
        _destroy_key(workspace, destroy, record)
    except Tampered as exc:
        session.fail(TamperedError(f"{exc}."))
        raise TamperedError(f"{exc}.") from None
    except BaseException as exc:
        session.fail(exc)
        raise
    session.store.shred_all()
    failed = sum(not i["verified"] for i in items)
    head = recorder.note(
        "result",
        "shredded" if not failed else "incomplete",
        counts={"files": len(items), "failed": failed},
        witness=witness or None,
    )
    data = {
        "ikou_version": __version__,
        "run_id": session.run_id,
        "mode": "shred",
        "generated": utc_now(),
        "plan": {"name": plan.plan.plan},
        "plan_sha256": plan.sha256,
        "owner": plan.plan.people.owner if plan.plan.people else None,
        "operator": plan.plan.people.operator if plan.plan.people else None,
        "witness": witness,
        "items": items,
        "chain_head": head,
    }
    report = RunReport(data)
    json_path, html = write_report(report, session.run_dir, lang=lang, template="certificate.html")
    _chain_report(recorder, json_path, html)
    session.end("shredded" if not failed else "incomplete")
    return ShredResult(items, html, head)


def _read_no_follow(path: Path) -> bytes:
    if path.is_symlink():
        raise NotOurs(f"{path} is a link")
    return path.read_bytes()


def _rehearsal_targets(
    workspace: Path, events: list[dict[str, Any]]
) -> list[tuple[Path, FileIdentity | None]]:
    """Every SQLite file a rehearsal wrote, as the chain records it (wherever it
    is), with the identity its commit recorded; and its journal files."""
    found: dict[Path, FileIdentity | None] = {}
    for event in events:
        if event.get("mode") != "rehearsal" or not event.get("target_file"):
            continue
        path = Path(str(event["target_file"]))
        commit = next(
            (
                e
                for e in events
                if e.get("run_id") == event["run_id"] and e.get("stage") == "commit"
            ),
            {},
        )
        identity = commit.get("target_identity")
        expect = (
            FileIdentity(int(identity["device"]), int(identity["inode"]))
            if isinstance(identity, dict)
            else None
        )
        for candidate in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal"))):
            if os.path.lexists(candidate):
                found[candidate] = expect if candidate == path else None
    return sorted(found.items())


def _destroy_key(
    workspace: Path, destroy: Callable[..., None], record: Callable[..., None]
) -> None:
    """The fingerprint and manifest key, named by the workspace's KEY_ID."""
    id_file = workspace / "fingerprints" / "KEY_ID"
    what = "fingerprint and manifest key (cryptographic erase)"
    if not id_file.exists():
        return
    key_id = id_file.read_text(encoding="ascii", errors="replace").strip()
    if not _KEY_ID.match(key_id):
        record(what, "KEY_ID", verified=False, problem="the workspace's KEY_ID is not a key id")
        return
    path = key_folder() / f"{key_id}.key"
    if not os.path.lexists(path):
        record(
            what,
            path.name,
            verified=False,
            problem=f"the key is not in the key store {key_folder()}: it cannot be destroyed "
            "here; destroy it where it is kept, or confirm it is gone",
        )
        return
    destroy(path, what)
