"""The printable report: HTML with print CSS, in the report's language."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from ikou.findings import describe
from ikou.pipeline.report.labels import LABELS
from ikou.pipeline.report.model import RunReport

__all__ = ["HTML_REJECT_LIMIT", "render_html", "write_report"]

HTML_REJECT_LIMIT = 500  # rows listed on paper per table; report.json lists all


def _environment() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(
        lambda name: resources.files("ikou.pipeline.templates").joinpath(name).read_text("utf-8")
    )
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def render_html(report: RunReport, lang: str = "ja", template_name: str = "report.html") -> str:
    """The printable HTML report in ``lang`` (``ja`` or ``en``)."""
    labels = LABELS[lang]
    template = _environment().get_template(template_name)
    return template.render(
        r=report.data,
        L=labels,
        lang=lang,
        limit=HTML_REJECT_LIMIT,
        fmt=_fmt,
        reason=lambda check: _reason(check, labels),
        finding=lambda slug, note=False, **fields: describe(slug, lang, note=note, **fields),
    )


def _reason(check: dict[str, Any], labels: dict[str, str]) -> str:
    """A preflight check's reason in the report's language (English if none is known)."""
    text = labels.get(f"reason_{check.get('code')}")
    if text is None:
        return str(check.get("reason", ""))
    return text.format(**check.get("params", {}))


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "✔" if value else "✘"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return (
            markupsafe.Markup("<br>").join(f"{k}: {_fmt(v)}" for k, v in sorted(value.items()))
            or "—"
        )
    if value is None:
        return "—"
    return str(value)


def write_report(
    report: RunReport, run_dir: Path, *, lang: str = "ja", template: str = "report.html"
) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` (from ``template``) into ``run_dir``."""
    json_path = run_dir / "report.json"
    html_path = run_dir / "report.html"
    json_path.write_text(
        json.dumps(report.data, ensure_ascii=False, indent=2, sort_keys=False) + "\n",
        encoding="utf-8",
    )
    html_path.write_text(render_html(report, lang, template), encoding="utf-8")
    return json_path, html_path
