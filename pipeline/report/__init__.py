"""The run report: ``report.json`` for machines, ``report.html`` for people and paper.

Both come from one dictionary (:mod:`.model`), so they cannot disagree. It
holds counts, rule names, finding slugs, positions (file, sheet, row) and
hashes — never a cell value. The HTML (:mod:`.html`) is printable (A4, print
CSS) with Japanese labels (:mod:`.labels`) by default and English with
``lang="en"``. :func:`record_report` writes both — and a run's
``worklist.csv`` of positions to follow up — and chains their hashes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ikou.audit.hashing import file_sha256
from ikou.pipeline.report.html import HTML_REJECT_LIMIT, render_html, write_report
from ikou.pipeline.report.labels import LABELS
from ikou.pipeline.report.model import (
    RunReport,
    build_failed_report,
    build_report,
    redact,
    short_head,
)
from ikou.pipeline.report.worklist import WORKLIST, write_worklist

__all__ = [
    "HTML_REJECT_LIMIT",
    "LABELS",
    "WORKLIST",
    "RunReport",
    "build_failed_report",
    "build_report",
    "record_report",
    "redact",
    "render_html",
    "short_head",
    "write_report",
]


def record_report(
    report: RunReport,
    run_dir: Path,
    note: Any,
    *,
    lang: str = "ja",
    template: str = "report.html",
    worklist: bool = False,
) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` — and, for a run, the office's
    ``worklist.csv`` (:mod:`.worklist`) — and chain their SHA-256 (the ``report``
    event, through ``note`` — a recorder's :meth:`note`)."""
    json_path, html_path = write_report(report, run_dir, lang=lang, template=template)
    hashes = {
        "report_json_sha256": file_sha256(json_path),
        "report_html_sha256": file_sha256(html_path),
    }
    if worklist:
        hashes["worklist_sha256"] = file_sha256(write_worklist(report.data, run_dir, lang))
    note("report", "written", **hashes)
    return json_path, html_path
