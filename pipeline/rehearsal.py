"""What a rehearsal may read and what it leaves behind.

A rehearsal runs on test data only. Before it reads anything it compares its
source files with the plan's production sources — the same path, or the
same bytes (SHA-256, read where the production file is reachable, never
copied) — and refuses a live file with exit 2 naming both. After a
production run of the workspace, it also compares its records with that run's
keyed fingerprints (the ones ``ikou sweep`` uses) and refuses test data of
which at least :data:`RESEMBLANCE` of the records are live records — a copy
re-saved, re-sorted or re-typed has other bytes but the same records; a few
chance matches (a common name beside a common rent) are counted in the report
instead. Each test file is
named in the report as a *synthetic twin* (listed with its bytes in the
marker ``ikou synth`` writes) or as *test data declared by the operator*.

Its target is a plaintext copy of whatever it read. The SQLite file a
rehearsal creates in its run folder is listed in the report with its size and
SHA-256 and shredded (overwritten, renamed, unlinked, verified) before the
report is written — unless the plan says ``rehearsal: {keep_target: true}``;
a database named by ``target.rehearsal_url`` belongs to the office and is
kept. The report says which, and ``ikou shred`` destroys what was kept.

A rehearsal's import files (``target.files``) follow the same rule: always
written into its run folder (never to the ``path`` a vendor's loader reads),
listed with their size, SHA-256 and rows, and shredded before the report
unless ``keep_target``. A production run's import files are kept — they are
the point — until ``ikou shred``, once the office confirms the vendor's import.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from ikou.audit.hashing import file_sha256
from ikou.audit.shredding import NotOurs, file_identity, shred_file
from ikou.audit.sweep import load_knowledge, matched_records
from ikou.errors import IkouError, LiveDataError
from ikou.mappings.normalise import fingerprint_text
from ikou.pipeline.importfiles import Imports
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.session import Session
from ikou.pipeline.stages.extract import RawTable, resolve_files, source_pattern
from ikou.pipeline.stages.load import sqlite_file
from ikou.pipeline.twin.marker import made_by

__all__ = ["RESEMBLANCE", "check_records", "check_test_data", "settle_imports", "settle_target"]

RESEMBLANCE = 0.05
"""The share of a source's records matching a production run's fingerprints
(and at least three) from which a rehearsal refuses the source."""


def _shown(plan: LoadedPlan, path: Path) -> str:
    try:
        return path.resolve().relative_to(plan.base.resolve()).as_posix()
    except ValueError:
        return str(path)


def _production_files(plan: LoadedPlan) -> list[tuple[str, Path]]:
    """Every production file the plan names that is reachable from here."""
    found = []
    for source, spec in plan.plan.sources.items():
        if spec.production is None:
            continue
        try:
            files = resolve_files(plan.base, source, source_pattern(plan, source, "production"))
        except IkouError:  # not on this machine: compared by path only, below
            continue
        found += [(source, path) for path in files]
    return found


def check_test_data(plan: LoadedPlan) -> dict[str, Any]:
    """Refuse a rehearsal source that is a production source of the plan (same
    path or same bytes): :class:`~ikou.errors.LiveDataError`. Return each
    test file's provenance for the report (``synthetic`` with what made it, or
    ``declared``)."""
    live = _production_files(plan)
    by_path = {path.resolve(): (source, path) for source, path in live}
    by_hash: dict[str, tuple[str, Path]] = {}
    for source, path in live:
        try:
            by_hash.setdefault(file_sha256(path), (source, path))
        except OSError:
            continue  # unreadable here; the production run's preflight will say so
    provenance: dict[str, dict[str, str]] = {}
    for source in plan.plan.sources:
        try:
            files = resolve_files(plan.base, source, source_pattern(plan, source, "rehearsal"))
        except IkouError:
            continue  # the extract stage names the missing file
        for path in files:
            shown = _shown(plan, path)
            twin = by_path.get(path.resolve())
            if twin is not None:
                raise LiveDataError(
                    f"{shown} is the production source of {twin[0]!r}: a rehearsal runs on "
                    "test data only (a synthetic twin: ikou profile, then ikou synth).",
                    file=shown,
                )
            try:
                digest = file_sha256(path)
            except OSError:
                continue  # the extract stage names the unreadable file
            twin = by_hash.get(digest)
            if twin is not None:
                raise LiveDataError(
                    f"{shown} has the same bytes as {_shown(plan, twin[1])}, the production "
                    f"source of {twin[0]!r}: a rehearsal runs on test data only (a synthetic "
                    "twin: ikou profile, then ikou synth).",
                    file=shown,
                )
            maker = made_by(path, digest)
            provenance[shown] = (
                {"source": source, "kind": "synthetic", "made_by": maker}
                if maker
                else {"source": source, "kind": "declared"}
            )
    return provenance


def check_records(
    plan: LoadedPlan, raws: dict[str, RawTable], events: list[dict[str, Any]]
) -> dict[str, int]:
    """Refuse a source whose records are, from :data:`RESEMBLANCE` on, records of
    a production run of this workspace (by its keyed fingerprints); return the
    chance matches below that, per source, for the report."""
    production = {
        str(e["run_id"]) for e in events if e.get("mode") == "production" and e.get("run_id")
    }
    if not production:
        return {}
    knowledge = load_knowledge(plan.workspace, [], fingerprint_text)
    indexes = [i for i in knowledge.indexes if i.run_id.split(".", 1)[0] in production]
    if knowledge.key is None or not indexes:
        return {}
    knowledge = replace(
        knowledge,
        indexes=indexes,
        digests=frozenset(d for i in indexes for d in i.digests.tolist()),
    )
    found = {}
    for name, raw in raws.items():
        matched = matched_records(raw.frame.itertuples(index=False, name=None), knowledge)
        rows = len(raw.frame)
        if matched >= max(3, RESEMBLANCE * rows):
            files = ", ".join(f.name for f in raw.files)
            raise LiveDataError(
                f"{matched} of the {rows} records of source {name!r} ({files}) are records of "
                "a production run of this workspace (by its keyed fingerprints): a rehearsal "
                "runs on test data only (a synthetic twin: ikou profile, then ikou synth).",
                file=files,
            )
        if matched:
            found[name] = matched
    return found


def settle_target(session: Session, target_url: str) -> dict[str, Any] | None:
    """List a rehearsal's SQLite target (size, SHA-256) and shred it unless the
    plan keeps it; ``None`` when there is no such file (nothing was created,
    or the target is a server). Chained as a ``rehearsal-target`` event."""
    path = sqlite_file(target_url)
    if session.mode != "rehearsal" or path is None or not path.is_file() or path.is_symlink():
        return None
    own = path.resolve() == (session.run_dir / "target.sqlite").resolve()
    keep = (
        "rehearsal_url"
        if not own
        else ("keep_target" if session.plan.plan.rehearsal.keep_target else None)
    )
    facts: dict[str, Any] = {
        "file": _shown(session.plan, path),
        "size": path.stat().st_size,
        "sha256": file_sha256(path),
        "kept": keep,
        "shredded": False,
    }
    if keep is None:
        gone = True
        for each in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))):
            if not os.path.lexists(each):
                continue
            try:
                gone = shred_file(each, expect=file_identity(each)) and gone
            except (NotOurs, OSError):
                gone = False
        facts["shredded"] = gone
    session.recorder.note(
        "rehearsal-target",
        "kept" if keep else ("shredded" if facts["shredded"] else "not verified"),
        file=str(path),
        sha256=facts["sha256"],
        size=facts["size"],
        kept=keep,
    )
    return facts


def settle_imports(session: Session, imports: Imports) -> list[dict[str, Any]]:
    """Each placed import file kept or shredded by the rule above (chained and
    journalled); the report's list of the run's import files."""
    for target in imports.files.values():
        if target.state != "placed":
            continue
        if session.mode != "rehearsal":
            imports.keep(target, "production")
        elif session.plan.plan.rehearsal.keep_target:
            imports.keep(target, "keep_target")
        elif target.layout.spec.rehearsal_path:  # the vendor's test file: ikou shred, media erase
            imports.keep(target, "rehearsal_path")
        else:
            imports.shred_placed(target)
    return imports.facts()
