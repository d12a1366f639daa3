"""``ikou migrate``: the supervised production run — preflight, sign-on, run once, seal.

None of it prints or prompts: people are asked through the ``ask`` callback
the CLI passes, and only once the preflight has passed — nobody signs for a
run that is refused anyway. The chain records, in order, ``preflight``
(passed or failed, its checks), ``sign-on`` (confirmed, incomplete, or not
started when the preflight failed) and, after a sign-on, ``sources`` (the
production files hashed again: unchanged or changed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ikou.audit.platform import WarmChild
from ikou.errors import ConfigError
from ikou.pipeline.plan import LoadedPlan, load_plan
from ikou.pipeline.production.council import council_facts
from ikou.pipeline.production.preflight import Check, find_seal, preflight, source_hashes
from ikou.pipeline.production.seal import seal_manifest
from ikou.pipeline.production.signon import Ask, Confirmation, read_signoff, sign_on
from ikou.pipeline.run import (
    Progress,
    RunResult,
    execute,
    open_session,
    stop,
)

__all__ = ["MigrationResult", "migrate"]


@dataclass
class MigrationResult:
    """What ``ikou migrate`` did."""

    status: str  # "reconciled"; or "refused", or a run's failed status (run.execute)
    checks: list[Check]
    confirmations: list[Confirmation] = field(default_factory=list)
    run: RunResult | None = None
    refusal: str | None = None
    report_html: Path | None = None
    run_id: str | None = None  # the run sealed: a refused one too


def _need(plan: LoadedPlan) -> None:
    problems = []
    if plan.plan.people is None:
        problems.append("people: (owner, operator, witnesses, approvals)")
    in_database = [t for t in plan.mapping.tables if t not in plan.plan.target.files]
    if plan.plan.target.url is None and in_database:  # every table a file: no database
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
    warm: WarmChild | None = None,
) -> MigrationResult:
    """The production run: preflight, then (if it passed) sign-on, run once,
    seal. ``warm``: a child already importing great-expectations (the CLI
    starts it before the preflight and the sign-on, which leave it time)."""
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
        return MigrationResult("refused", [], refusal=refusal, run_id=session.run_id)
    checks, hashes = preflight(plan, events, now)
    passed = not any(c.status == "fail" for c in checks)
    recorder.note(
        "preflight",
        "passed" if passed else "failed",
        plan_sha256=plan.sha256,
        checks=[c.as_dict() for c in checks],
    )
    confirmations: list[Confirmation] = []
    if passed:  # only now is anybody asked to sign
        confirmations, people_checks = sign_on(plan, signoff, ask)
        checks += people_checks
        signed = not any(c.status == "fail" for c in people_checks)
        recorder.note(
            "sign-on",
            "confirmed" if signed else "incomplete",
            people=[
                {"role": c.role, "name": c.name, "method": c.method, "time": c.time}
                for c in confirmations
            ],
            checks=[c.as_dict() for c in people_checks],
        )
        again, _ = source_hashes(plan)
        same = again == hashes
        unchanged = Check(
            "sources unchanged",
            "ok" if same else "fail",
            "sources_same" if same else "sources_changed",
        )
        checks.append(unchanged)
        recorder.note("sources", "unchanged" if same else "changed", checks=[unchanged.as_dict()])
    else:
        recorder.note("sign-on", "not started", reason="the preflight failed", people=[])
    failed = [c for c in checks if c.status == "fail"]
    extra = {
        "preflight": [c.as_dict() for c in checks],
        "signon": [asdict(c) for c in confirmations],
        "signon_started": passed,
        "people": plan.plan.people.model_dump() if plan.plan.people else None,
        "vendor": plan.plan.vendor.model_dump(mode="json") if plan.plan.vendor else None,
        "council": council_facts(plan, events),
    }
    if failed:
        refused = stop(session, "refused", extra, lang)
        return MigrationResult(
            "refused",
            checks,
            confirmations,
            refusal=f"{len(failed)} preflight check(s) failed"
            + ("" if passed else "; nobody was asked to sign on"),
            report_html=refused.report_html,
            run_id=session.run_id,
        )
    run = execute(
        session,
        target_url=str(plan.target_url("production")),
        lang=lang,
        progress=progress,
        password=password,
        which="production",
        expected=hashes,
        after=seal_manifest,
        report_extra=extra,
        warm=warm,
    )
    return MigrationResult(
        run.report.status,
        checks,
        confirmations,
        run,
        report_html=run.report_html,
        run_id=session.run_id,
    )
