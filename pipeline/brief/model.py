"""The brief's facts: what the privacy council needs to know, from the plan alone.

:func:`build_brief` reads only what :func:`~ikou.pipeline.plan.load_plan`
loaded — the plan, its mapping and its contract — and, when given, a
structure-only profile. It never opens a source file, neither the rehearsal's
test data nor the production files, so a brief can be written before the live
data is even reachable. The facts are data (names from the plan, codes,
counts, dates); the sentences around them are :mod:`.labels`', in Japanese or
English. Whatever the plan leaves unsaid that the council needs (the people,
the place, the media rule) becomes a warning printed on the brief.
"""

from __future__ import annotations

import datetime as dt
import glob
import sys
from pathlib import Path
from typing import Any

from ikou import __version__
from ikou.errors import IkouError
from ikou.pipeline.brief.copies import copies_section
from ikou.pipeline.brief.profile import Profile, kept_value_columns, source_counts
from ikou.pipeline.brief.tables import tables_section
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.report.model import short_head
from ikou.pipeline.twin.marker import marked_files

__all__ = ["SECTIONS", "STAGES", "build_brief", "describe_target"]

SECTIONS = (
    "subject",
    "personal_data",
    "flow",
    "handover",
    "test_data",
    "approval",
    "copies",
    "certifications",
    "record",
)
"""The brief's sections, in the order they are printed."""

STAGES = ("extract", "map", "validate", "load", "reconcile", "report")
"""A run's stages as the brief explains them (docs/architecture.md)."""

SOON_DAYS = 60
"""A certification expiring within this many days of the production date is
noted (the production preflight warns from the same distance)."""


def describe_target(url: str | None) -> dict[str, Any] | None:
    """A database URL as the brief may print it: its kind and where it is —
    host and database, or the SQLite file — never a user, password or query."""
    if url is None:
        return None
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return {"kind": "unknown", "where": None}
    kind = parsed.get_backend_name()
    if kind == "sqlite":
        return {"kind": kind, "where": parsed.database or ":memory:"}
    host = parsed.host or "localhost"
    if parsed.port:
        host = f"{host}:{parsed.port}"
    return {"kind": kind, "where": f"{host}/{parsed.database or ''}"}


def _warning(code: str, **params: Any) -> dict[str, Any]:
    return {"code": code, "params": params}


def _subject(plan: LoadedPlan) -> dict[str, Any]:
    p = plan.plan
    warnings = [] if p.section else [_warning("no_section")]
    return {
        "name": p.plan,
        "description": p.description,
        "section": p.section,
        "company": p.vendor.company if p.vendor else None,
        "mapping": {"name": plan.mapping.mapping, "description": plan.mapping.description},
        "contract": {"name": plan.contract.contract, "description": plan.contract.description},
        "warnings": warnings,
    }


def _flow(plan: LoadedPlan) -> dict[str, Any]:
    from ikou.audit.platform import ram_scratch_root

    p, target = plan.plan, plan.plan.target
    ram, _ = ram_scratch_root()
    tables = list(plan.mapping.tables)
    database_tables = [t for t in tables if t not in target.files]
    warnings = [] if p.site else [_warning("no_site")]
    if database_tables and target.url is None:
        warnings.append(_warning("no_target_url"))
    return {
        "site": p.site.model_dump() if p.site else None,
        "stages": list(STAGES),
        "scratch": {"ram_here": ram is not None, "platform": sys.platform},
        "target": describe_target(target.url),
        "rehearsal_target": describe_target(target.rehearsal_url),
        "database_tables": database_tables,
        "import_files": [
            {
                "table": table,
                "format": spec.format,
                "encoding": spec.encoding,
                "path": spec.path,
                "rehearsal_path": spec.rehearsal_path,
            }
            for table, spec in target.files.items()
            if table in tables
        ],
        "if_exists": target.if_exists,
        "workspace": p.workspace,
        "warnings": warnings,
    }


def _register() -> dict[str, Any]:
    """The media this PC's register holds, when it has one; a brief never fails
    for a register that is missing or does not verify — it says so."""
    from ikou.pipeline.media.register import media_folder, registered

    try:
        log = media_folder() / "media.log"
        if not log.is_file() or log.stat().st_size == 0:
            return {"state": "none", "media": []}
        media = registered()
    except (IkouError, OSError, ValueError) as exc:
        return {
            "state": "unverified",
            "slug": getattr(exc, "slug", "audit.tampered"),
            "media": [],
        }
    shown = [
        {"id": m.id, "holder": m.holder, "registered": m.registered, "retired": m.retired}
        for m in sorted(media.values(), key=lambda m: m.id)
    ]
    return {"state": "ok", "media": shown}


def _handover(plan: LoadedPlan) -> dict[str, Any]:
    p = plan.plan
    if p.media is None:
        media: Any = None
    elif p.media == "none":
        media = "none"
    else:
        media = {"watch": p.media.watch}
    register = _register()
    warnings = [] if media is not None else [_warning("no_media_rule")]
    if register["state"] == "unverified":
        warnings.append(_warning("register_unverified"))
    if p.site is not None and not p.site.network:
        warnings.append(_warning("no_network"))
    files = [t for t in p.target.files if t in plan.mapping.tables]
    return {
        "media": media,
        "register": register,
        "network": p.site.network if p.site else None,
        "operator": p.people.operator if p.people else None,
        "import_files": files,
        "warnings": warnings,
    }


def _provenance(plan: LoadedPlan, pattern: str) -> dict[str, Any]:
    """What the marker ikou synth and ikou demo write beside the files they make
    says of the test files a pattern names — by their names only: the test files
    are not opened (each rehearsal checks their bytes, and its report names them)."""
    full = plan.base / pattern
    if glob.has_magic(pattern):
        found = [Path(p) for p in glob.glob(str(full), recursive=True)]
    else:
        found = [full]
    names = sorted(p for p in found if p.is_file())
    markers = {folder: marked_files(folder) for folder in {p.parent for p in names}}
    listed = [markers[p.parent].get(p.name) for p in names]
    synthetic = [entry for entry in listed if isinstance(entry, dict)]
    if not names:
        kind = "absent"
    elif len(synthetic) == len(names):
        kind = "synthetic"
    else:
        kind = "declared"
    made_by = sorted({str(entry.get("made_by") or "ikou synth") for entry in synthetic})
    return {"kind": kind, "files": len(names), "made_by": made_by}


def _test_data(
    plan: LoadedPlan, profile: Profile | None, personal: dict[str, Any]
) -> dict[str, Any]:
    p = plan.plan
    used = dict.fromkeys(t.source for t in plan.mapping.tables.values())
    sources = [
        {
            "source": s,
            "rehearsal": p.sources[s].rehearsal,
            **_provenance(plan, p.sources[s].rehearsal),
        }
        for s in used
    ]
    kept = kept_value_columns(plan, profile, personal) if profile is not None else []
    warnings = [_warning("kept_values_personal", column=k["column"]) for k in kept if k["personal"]]
    return {
        "sources": sources,
        "max_age_days": p.rehearsal.max_age_days,
        "keep_target": p.rehearsal.keep_target,
        "profile": None if profile is None else {"path": profile.path.name, "kept": kept},
        "warnings": warnings,
    }


def _approval(plan: LoadedPlan) -> dict[str, Any]:
    people = plan.plan.people
    if people is None:
        return {"declared": False, "warnings": [_warning("no_people")]}
    approvals = [
        {"role": role, "usual": names[0], "substitutes": list(names[1:])}
        for role, names in people.approvals.items()
    ]
    warnings = [] if approvals else [_warning("no_approvers")]
    return {
        "declared": True,
        "owner": people.owner,
        "operator": people.operator,
        "witnesses": list(people.witnesses),
        "approvals": approvals,
        "warnings": warnings,
    }


def _certifications(plan: LoadedPlan, production: dt.date) -> dict[str, Any]:
    vendor = plan.plan.vendor
    if vendor is None:
        return {"company": None, "items": [], "warnings": [_warning("no_vendor")]}
    items, warnings = [], []
    for cert in vendor.certifications:
        if cert.expires < production:
            status = "expires_before_production"
            warnings.append(
                _warning(
                    "certification_expires",
                    name=cert.name,
                    number=cert.number,
                    expires=cert.expires.isoformat(),
                )
            )
        elif (cert.expires - production).days <= SOON_DAYS:
            status = "expires_soon"
        else:
            status = "valid"
        items.append(
            {
                "name": cert.name,
                "number": cert.number,
                "expires": cert.expires.isoformat(),
                "status": status,
            }
        )
    if not items:
        warnings.append(_warning("no_certifications"))
    return {"company": vendor.company, "items": items, "warnings": warnings}


def _record(plan: LoadedPlan) -> dict[str, Any]:
    council = plan.plan.council
    return {
        "plan_sha256": plan.sha256,
        "plan_short": short_head(plan.sha256),
        "files": dict(plan.file_sha256),
        "audit_log": f"{plan.plan.workspace}/audit.log",
        "council": {"required": council.required, "reason": council.reason},
        "max_age_days": plan.plan.rehearsal.max_age_days,
        "warnings": [],
    }


def build_brief(
    plan: LoadedPlan,
    *,
    profile: Profile | None = None,
    production_date: dt.date,
    generated: str,
    lang: str = "ja",
) -> dict[str, Any]:
    """The brief's data (``brief.json``): the plan's identity, each section's
    facts and warnings in :data:`SECTIONS` order, and every warning once more
    in one list, each with the section it belongs to."""
    counts = source_counts(plan, profile) if profile is not None else None
    personal_data = tables_section(plan, counts)
    personal = {
        t["name"]: {c["name"]: c["personal"] for c in t["columns"]} for t in personal_data["tables"]
    }
    sections = {
        "subject": _subject(plan),
        "personal_data": personal_data,
        "flow": _flow(plan),
        "handover": _handover(plan),
        "test_data": _test_data(plan, profile, personal),
        "approval": _approval(plan),
        "copies": copies_section(plan),
        "certifications": _certifications(plan, production_date),
        "record": _record(plan),
    }
    warnings = [
        {"section": name, **warning} for name in SECTIONS for warning in sections[name]["warnings"]
    ]
    return {
        "ikou_brief": 1,
        "ikou_version": __version__,
        "generated": generated,
        "lang": lang,
        "production_date": production_date.isoformat(),
        "plan": {
            "name": plan.plan.plan,
            "path": plan.path.name,
            "sha256": plan.sha256,
            "short": short_head(plan.sha256),
        },
        "warnings": warnings,
        **sections,
    }


def default_folder(plan: LoadedPlan, generated: str) -> Path:
    """``WORKSPACE/briefs/<UTC time>-<first 8 hex digits of the plan's hash>``."""
    stamp = generated.replace("-", "").replace(":", "")
    return plan.workspace / "briefs" / f"{stamp}-{plan.sha256[:8]}"
