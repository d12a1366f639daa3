"""The preflight of a production run: every check that needs no person.

The rehearsal evidence and the privacy council's decision are read from the
audit chain as the session verified it (links, hashes and authentication):
only a seal ``reconciled`` of a rehearsal of this exact plan counts, and only
a council decision recorded for this exact plan (:mod:`.council`). Each
check is a :class:`Check` whose reason is a code with fields, so each report
states it in its own language.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ikou import __version__
from ikou.audit.chain import SEAL
from ikou.audit.platform import ram_scratch_root
from ikou.errors import IkouError
from ikou.pipeline.media.devices import BAY_VARIABLE
from ikou.pipeline.media.gate import mounted_now, watch_needed
from ikou.pipeline.media.register import MEDIA_DIR_VARIABLE
from ikou.pipeline.media.watch import answered, watching
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.production.council import changed_files, latest_decision
from ikou.pipeline.stages.extract import resolve_files, source_pattern
from ikou.pipeline.stages.load import open_target, sqlite_file, target_metadata

__all__ = [
    "REASONS",
    "Check",
    "council_check",
    "find_seal",
    "passing_rehearsal",
    "preflight",
    "source_hashes",
]

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
    "target_append": "table {table!r} holds {count} row(s) of earlier batches; this run appends",
    "target_files_only": "every table goes to the vendor's import file ({count}): no database",
    "media_watched": "ikou media watch is recording this PC's removable media ({rule})",
    "media_not_watched": "the plan's media rule ({rule}) needs ikou media watch running",
    "media_mounted": "{count} removable medium (media) mounted now, which media: none forbids",
    "media_simulated": "{variable} is set: {what}, not this PC's own",
    "sources_unreadable": "{problems}",
    "sources_ok": "{count} file(s) present and readable",
    "signon_code": "did not confirm with the code shown",
    "signon_nobody": "nobody signed on",
    "signon_not_listed": "{name} may not sign as {role} under this plan",
    "signon_terminal": "{name} (typed at the terminal)",
    "signon_file": "{name} (sign-off file)",
    "sources_changed": "a source file changed during the preflight",
    "sources_same": "same SHA-256 as when the preflight began",
    "council_not_required": "not required by the plan: {reason}",
    "council_missing": (
        "no decision of the privacy council is recorded for the plan {plan}; "
        "record it with ikou council record"
    ),
    "council_rejected": "{body} rejected the plan on {date} ({item})",
    "council_changed": (
        "{files} changed after the approval of {date} ({item}); "
        "the council's decision on the plan as it is now must be recorded"
    ),
    "council_approved": "approved by {body} on {date} ({item})",
    "council_conditional": (
        "approved on {count} condition(s) by {body} on {date} ({item}), "
        "printed on the sign-off sheet"
    ),
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


def passing_rehearsal(
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


def _swap_active() -> bool | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        lines = Path("/proc/swaps").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    return len(lines) > 1


def source_hashes(plan: LoadedPlan) -> tuple[dict[str, str], list[str]]:
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
    found = passing_rehearsal(events, plan.sha256, now)
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
    checks.append(council_check(plan, events))
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
    checks.extend(_media_checks(plan))
    hashes, problems = source_hashes(plan)
    if problems:
        checks.append(
            Check("sources", "fail", "sources_unreadable", {"problems": "; ".join(problems)})
        )
    else:
        checks.append(Check("sources", "ok", "sources_ok", {"count": len(hashes)}))
    return checks, hashes


def council_check(plan: LoadedPlan, events: list[dict[str, Any]]) -> Check:
    """The privacy council's latest decision on this plan, from the verified chain:
    approved or conditional, and recorded for this exact plan (every file's
    SHA-256); a plan that needs none says why (a warning the report prints)."""
    rule = plan.plan.council
    if not rule.required:
        return Check("council", "warn", "council_not_required", {"reason": rule.reason})
    found = latest_decision(events, plan.plan.plan)
    if found is None:
        return Check("council", "fail", "council_missing", {"plan": plan.plan.plan})
    said = {"body": found.body, "item": found.item, "date": found.date}
    if found.decision == "rejected":
        return Check("council", "fail", "council_rejected", said)
    if found.plan_sha256 != plan.sha256:
        files = ", ".join(changed_files(plan, found)) or "the plan's list of files"
        return Check("council", "fail", "council_changed", {**said, "files": files})
    if found.decision == "conditional":
        count = len(found.conditions)
        return Check("council", "ok", "council_conditional", {**said, "count": count})
    return Check("council", "ok", "council_approved", said)


def _media_checks(plan: LoadedPlan) -> list[Check]:
    """The plan's media rule, checked before anyone signs on: a watcher that holds
    the lock *and* answers now; under ``media: none`` no medium mounted; and a
    warning when the media are simulated (a test bay) or the register moved."""
    rule = plan.plan.media
    checks: list[Check] = []
    simulated = {
        BAY_VARIABLE: "removable media are simulated by folders",
        MEDIA_DIR_VARIABLE: "the media log is another folder",
    }
    for variable, what in simulated.items():
        if os.environ.get(variable) and rule is not None:
            checks.append(
                Check(
                    "media-simulated",
                    "warn",
                    "media_simulated",
                    {"variable": variable, "what": what},
                )
            )
    if not watch_needed(rule):
        return checks
    shown = {"rule": "media: none" if rule == "none" else "watch: required"}
    if watching() and answered():
        checks.append(Check("media", "ok", "media_watched", shown))
    else:
        checks.append(Check("media", "fail", "media_not_watched", shown))
    mounted = mounted_now() if rule == "none" else 0
    if mounted:
        checks.append(Check("media-mounted", "fail", "media_mounted", {**shown, "count": mounted}))
    return checks


def _target_check(plan: LoadedPlan) -> Check:
    import sqlalchemy as sa

    tables = [t for t in plan.mapping.tables if t not in plan.plan.target.files]
    if not tables:  # every table goes to the vendor's import file
        return Check("target", "ok", "target_files_only", {"count": len(plan.plan.target.files)})
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
    appends = plan.plan.target.if_exists == "append"
    held: dict[str, Any] = {}
    try:
        metadata = target_metadata(plan.contract, tables)
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            for table in metadata.tables.values():
                if inspector.has_table(table.name):
                    count = connection.execute(
                        sa.select(sa.func.count()).select_from(table)
                    ).scalar()
                    if count and not appends:
                        held = {"table": table.name, "count": count}
                        return Check("target", "fail", "target_not_empty", held)
                    if count and not held:  # the seal and ikou reconcile cover this run's keys
                        held = {"table": table.name, "count": count}
    except sa.exc.SQLAlchemyError as exc:
        return Check("target", "fail", "target_unreachable", {"error": type(exc).__name__})
    finally:
        engine.dispose()
    if held:
        return Check("target", "ok", "target_append", held)
    return Check("target", "ok", "target_ok")
