"""Section 7 of the brief: every kind of copy ikou can make for this plan.

Which kinds apply, and how, follows from the plan alone (docs/custody.md,
docs/targets.md, docs/media.md): a database target or only import files, a
rehearsal target kept or shredded, an office's own rehearsal database, import
files written to a vendor's path. Each kind is a code here; what it is, where
it lives, how it is protected, journalled, destroyed and certified are the
brief's sentences (:mod:`.labels`).
"""

from __future__ import annotations

from typing import Any

from ikou.pipeline.plan import LoadedPlan

__all__ = ["COPY_KINDS", "VARIANTS", "copies_section"]

COPY_KINDS = (
    "rehearsal_target",
    "rehearsal_import",
    "scratch",
    "target",
    "import_file",
    "fingerprints",
    "manifest",
    "records",
)
"""Every kind of copy, in the order the brief lists them: the rehearsal's, a
run's scratch, the production run's, then what stays as the record."""

VARIANTS = {
    "rehearsal_target": ("shredded", "kept", "office"),
    "rehearsal_import": ("shredded", "kept"),
    "import_file": ("path", "run_folder"),
}
"""The ways a plan can have a kind of copy (any other kind: ``default``)."""


def _rehearsal_target(plan: LoadedPlan) -> str:
    """``office``: a database the office named (kept; it holds test data only);
    ``kept`` or ``shredded``: the run folder's SQLite file."""
    p = plan.plan
    if p.target.rehearsal_url is not None:
        return "office"
    return "kept" if p.rehearsal.keep_target else "shredded"


def copies_section(plan: LoadedPlan) -> dict[str, Any]:
    """The kinds of copy that apply to this plan, each with the variant the
    plan chose (``variant``), in :data:`COPY_KINDS` order."""
    p = plan.plan
    tables = list(plan.mapping.tables)
    files = [t for t in p.target.files if t in tables]
    database = [t for t in tables if t not in p.target.files]
    found: list[dict[str, Any]] = []
    if database:
        found.append({"kind": "rehearsal_target", "variant": _rehearsal_target(plan)})
    if files:
        kept = any(p.target.files[t].rehearsal_path for t in files) or p.rehearsal.keep_target
        found.append({"kind": "rehearsal_import", "variant": "kept" if kept else "shredded"})
    found.append({"kind": "scratch", "variant": "default"})
    if database:
        found.append({"kind": "target", "variant": "default"})
    if files:
        placed = any(p.target.files[t].path for t in files)
        found.append({"kind": "import_file", "variant": "path" if placed else "run_folder"})
    for kind in ("fingerprints", "manifest", "records"):
        found.append({"kind": kind, "variant": "default"})
    return {"copies": found, "warnings": []}
