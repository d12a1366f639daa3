"""What a report holds — ``report.json`` — assembled from a run's results: counts,
positions, hashes and slugs, never a cell's value."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ikou import __version__
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.report.collisions import collision_facts
from ikou.pipeline.session import StageEvent, utc_now
from ikou.pipeline.stages.extract import RawTable
from ikou.validation.reconcile import TableReconciliation
from ikou.validation.schema import ValidatedTable

__all__ = ["RunReport", "build_failed_report", "build_report", "redact", "short_head"]


@dataclass(frozen=True)
class RunReport:
    """The report's data (JSON-ready) and the status that decides the exit code."""

    data: dict[str, Any]

    @property
    def status(self) -> str:
        """``reconciled``, or why not: ``unbalanced``, ``expectations_failed``,
        ``nothing_loaded``, ``too_many_rejected``, ``refused`` or ``failed``."""
        return str(self.data["status"])


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def short_head(head: str) -> str:
    """First 16 hex digits in groups of four, for reading aloud (``1a2b-3c4d-…``)."""
    return "-".join(head[i : i + 4] for i in range(0, 16, 4))


def _positions(
    findings: pd.DataFrame,
    raw: RawTable,
    collides: dict[tuple[int, str], dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Each row with findings, in row order: file, sheet, row and its slugs in the
    order found (never a value); a duplicate also the rows it ``collides`` with."""
    if findings.empty:
        return []
    ordered = findings.sort_values("row", kind="stable")
    rows = ordered["row"].to_numpy()
    slugs = ordered["slug"].tolist()
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    ends = np.r_[starts[1:], len(rows)]
    at = raw.positions.index.get_indexer(rows[starts])
    files = raw.positions["file"].to_numpy(dtype=object)[at]
    sheets = raw.positions["sheet"].to_numpy(dtype=object)[at]
    numbers = raw.positions["row"].to_numpy(dtype=object)[at]
    places = [
        {"file": str(f), "sheet": str(s), "row": int(r), "reasons": slugs[a:b]}
        for f, s, r, a, b in zip(
            files, sheets, numbers, starts.tolist(), ends.tolist(), strict=True
        )
    ]
    if collides:
        for place, row in zip(places, rows[starts].tolist(), strict=True):
            found = [
                collides[(row, slug.removesuffix("_kept"))]
                for slug in place["reasons"]
                if (row, slug.removesuffix("_kept")) in collides
            ]
            if found:
                place["collides"] = found
    return places


def redact(url: str) -> str:
    """A target URL without its password, for reports and the chain."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(unparseable URL)"


def _identity(run_id: str, mode: str, plan: LoadedPlan) -> dict[str, Any]:
    """The keys every report opens with: which run, which plan."""
    return {
        "ikou_version": __version__,
        "run_id": run_id,
        "mode": mode,
        "generated": utc_now(),
        "plan": {"name": plan.plan.plan, "path": plan.path.name, "files": plan.file_sha256},
        "plan_sha256": plan.sha256,
        "labels": _labels(plan),
    }


def _labels(plan: LoadedPlan) -> dict[str, Any]:
    """The contract's words for its tables and columns (``label:``), for the
    printed report; names without one are left out."""
    tables = plan.contract.tables
    return {
        "tables": {name: t.label for name, t in tables.items() if t.label},
        "columns": {
            name: {c: col.label for c, col in t.columns.items() if col.label}
            for name, t in tables.items()
        },
    }


def _record(
    events: list[StageEvent], chain_head: str, run_dir: Path, custody: dict[str, Any]
) -> dict[str, Any]:
    """The keys every report closes with: stages, artifacts and the chain head."""
    return {
        "stages": [
            {
                "stage": e.stage,
                "outcome": e.outcome,
                "input_sha256": e.input_sha256,
                "output_sha256": e.output_sha256,
                "counts": e.counts,
                "duration_ms": e.duration_ms,
                "event_hash": e.event_hash,
                "error": e.error_slug,
            }
            for e in events
        ],
        "artifacts": custody["artifacts"],
        "scratch": custody["scratch"],
        "chain_head": chain_head,
        "chain_head_short": short_head(chain_head),
        "audit_log": str(run_dir.parent.parent / "audit.log"),
    }


def _skipped_where(skipped: pd.Series, raw: RawTable) -> dict[str, list[dict[str, Any]]]:
    """Per skip rule, per file and sheet, the skipped rows as spans of row
    numbers (``[[40, 62]]``): where the rows after a table's end, its notes
    and its total rows were. Positions only."""
    if skipped.empty:
        return {}
    at = raw.positions.index.get_indexer(skipped.index)
    frame = pd.DataFrame(
        {
            "rule": skipped.to_numpy(dtype=object),
            "file": raw.positions["file"].to_numpy(dtype=object)[at],
            "sheet": raw.positions["sheet"].to_numpy(dtype=object)[at],
            "row": raw.positions["row"].to_numpy(dtype=object)[at].astype(int),
        }
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for (rule, file, sheet), rows in frame.groupby(["rule", "file", "sheet"], sort=False)["row"]:
        spans: list[list[int]] = []
        for row in sorted(rows.tolist()):
            if spans and row == spans[-1][1] + 1:
                spans[-1][1] = row
            else:
                spans.append([row, row])
        out.setdefault(str(rule), []).append(
            {"file": str(file), "sheet": str(sheet), "spans": spans}
        )
    return out


def build_report(
    *,
    run_id: str,
    mode: str,
    plan: LoadedPlan,
    status: str,
    raws: dict[str, RawTable],
    validated: dict[str, ValidatedTable],
    reconciled: dict[str, TableReconciliation],
    events: list[StageEvent],
    chain_head: str,
    target_url: str | None,
    run_dir: Path,
    custody: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> RunReport:
    """Assemble the report dictionary (no values: counts, positions, hashes).

    ``extra`` adds keys (a production run's preflight, sign-on and seal).
    """
    tables: dict[str, Any] = {}
    for name, table in validated.items():
        rec = reconciled[name]
        reasons = table.rejects["slug"].value_counts().sort_index()
        notes = table.notes["slug"].value_counts().sort_index()
        cleared = table.cleared["slug"].value_counts().sort_index()
        skipped = table.skipped.value_counts().sort_index()
        raw = raws[table.source]
        collides, groups = collision_facts(
            table.collisions, raw, set(table.rejects["row"].tolist())
        )
        tables[name] = {
            "source": table.source,
            "source_rows": rec.source_rows,
            "skipped": rec.skipped,
            "rejected": rec.rejected,
            "loaded": rec.loaded,
            "balanced": rec.balanced,
            "skipped_by_rule": {str(k): int(v) for k, v in skipped.items()},
            "skipped_where": _skipped_where(table.skipped, raws[table.source]),
            "rejects_by_reason": {str(k): int(v) for k, v in reasons.items()},
            "rejects": _positions(table.rejects, raw, collides),
            "duplicate_groups": groups,
            "notes_by_reason": {str(k): int(v) for k, v in notes.items()},
            "notes": _positions(table.notes, raw, collides),
            "cleared_by_reason": {str(k): int(v) for k, v in cleared.items()},
            "cleared": _positions(table.cleared, raws[table.source]),
            "controls": [
                {"name": c.name, "source": c.source, "target": c.target, "ok": c.ok}
                for c in rec.controls
            ],
            "totals": [t.as_dict() for t in rec.totals],
            "findings": dict(rec.finding_counts),
        }
    data = {
        **_identity(run_id, mode, plan),
        "status": status,
        "target": "—" if target_url is None else redact(target_url),
        "sources": {
            name: {
                "rows": len(raw.frame),
                "files": [
                    {
                        "name": f.name,
                        "size": f.size,
                        "sha256": f.sha256,
                        "opened": f.opened,  # plain, password or default (Excel's own)
                        **({"reader": f.reader} if f.reader else {}),
                    }
                    for f in raw.files
                ],
            }
            for name, raw in raws.items()
        },
        "tables": tables,
        **(extra or {}),
        **_record(events, chain_head, run_dir, custody),
    }
    return RunReport(_jsonable(data))


def build_failed_report(
    *,
    run_id: str,
    mode: str,
    plan: LoadedPlan,
    error: Any,
    events: list[StageEvent],
    chain_head: str,
    run_dir: Path,
    custody: dict[str, Any],
    status: str = "failed",
    extra: dict[str, Any] | None = None,
) -> RunReport:
    """The record of a run stopped by bad input: which stage, which finding, no tables.

    ``error`` is an :class:`~mappings.errors.IkouError`, whose message names
    files, sheets, rows and keys — never a cell's value.
    """
    data = {
        **_identity(run_id, mode, plan),
        "status": status,
        **({"error": {"slug": error.slug, "message": error.message}} if error is not None else {}),
        "target": "—",
        "sources": {},
        "tables": {},
        **(extra or {}),
        **_record(events, chain_head, run_dir, custody),
    }
    return RunReport(_jsonable(data))
