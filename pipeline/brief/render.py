"""The printable brief: HTML with the report's print CSS, in the brief's language.

The page rules are the report's (``templates/print.css``): A4, its type and
tables, and a running footer that carries the plan's hash in short form and
"page n / N" on every page — here the plan's hash where a report prints its
chain head. Dates are 和暦 in Japanese (:mod:`ikou.pipeline.report.dates`).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2
import markupsafe

from ikou.pipeline.brief.labels import LABELS
from ikou.pipeline.report.dates import local_date, local_time
from ikou.pipeline.report.html import css_string

__all__ = ["render_brief", "warning_text"]


def _environment() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(
        lambda name: resources.files("ikou.pipeline.templates").joinpath(name).read_text("utf-8")
    )
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


class _View:
    """What the template asks of a brief: its words, names and dates."""

    def __init__(self, data: dict[str, Any], lang: str) -> None:
        self.data = data
        self.lang = lang
        self.L = LABELS[lang]

    def when(self, iso: str | None) -> str:
        return local_time(iso, self.lang)

    def day(self, iso: str | None) -> str:
        """A date (``2027-03-31``) or time as the office writes the day."""
        return local_date(iso, self.lang) if iso else "—"

    def warning(self, warning: dict[str, Any]) -> str:
        params = dict(warning.get("params") or {})
        if "expires" in params:
            params["expires"] = self.day(params["expires"])
        return self.L[f"warn_{warning['code']}"].format(**params)

    def warnings_of(self, section: str) -> list[str]:
        return [self.warning(w) for w in self.data[section]["warnings"]]

    @staticmethod
    def named(label: str | None, name: str) -> markupsafe.Markup:
        """The contract's label with the SQL name beside it, small."""
        if not label:
            return markupsafe.Markup('<span class="code">{}</span>').format(name)
        return markupsafe.Markup('{} <span class="code">{}</span>').format(label, name)

    def source_column(self, name: str) -> str:
        """A mapping's ``from``: a header, or the sheet's name, file's name, a title cell."""
        if name == "=sheet":
            return self.L["from_sheet"]
        if name == "=file":
            return self.L["from_file"]
        if name.startswith("="):
            return self.L["from_cell"].format(cell=name[1:])
        return name

    def target(self, found: dict[str, Any] | None) -> str:
        if found is None:
            return self.L["written_target_missing"]
        kind = self.L.get(f"kind_{found['kind']}", found["kind"])
        return self.L["written_target"].format(kind=kind, where=found["where"] or "—")

    def import_file(self, item: dict[str, Any]) -> str:
        return self.L["written_import"].format(
            table=item["table"],
            format=item["format"].upper(),
            encoding=item["encoding"],
            path=item["path"] or self.L["written_import_run_folder"],
        )

    def copy(self, item: dict[str, Any], part: str) -> str:
        """One cell of the copies table: ``where``, ``protect`` or ``end`` of a kind."""
        kind, variant = item["kind"], item["variant"]
        if part == "where" and kind == "target":
            return self.target(self.data["flow"]["target"])
        for key in (
            f"copy_{kind}_{part}_{variant}",
            f"copy_{kind}_{part}",
            f"copy_{kind}_{part}_default",
        ):
            if key in self.L:
                return self.L[key]
        return "—"

    def hashed_file(self, name: str) -> str:
        """A file the plan's hash covers, in words: the plan, mapping, contract, a
        lookup table or a 外字表 (``lookup:estates.csv``, ``gaiji:applicants``)."""
        kind, _, rest = name.partition(":")
        word = self.L.get(f"hashed_{kind}", name)
        return f"{word} {rest}".strip() if rest else word


def warning_text(data: dict[str, Any], warning: dict[str, Any], lang: str = "ja") -> str:
    """One of the brief's warnings as the printed brief says it."""
    return _View(data, lang).warning(warning)


def render_brief(data: dict[str, Any], lang: str = "ja") -> str:
    """The printable brief (``brief.html``) of ``data`` (``brief.json``) in ``lang``."""
    view = _View(data, lang)
    environment = _environment()
    # print.css's running footer, carrying the plan's hash where a report has its chain's
    footer = {
        "plan": {"name": data["plan"]["name"]},
        "run_id": data["plan"]["short"],
        "chain_head_short": data["plan"]["short"],
    }
    page_css = environment.get_template("print.css").render(
        r=footer,
        L={"run_id": view.L["footer_plan"], "chain_short_footer": view.L["footer_plan"]},
        css=css_string,
    )
    return environment.get_template("brief.html").render(
        b=data,
        L=view.L,
        v=view,
        lang=lang,
        css=css_string,
        page_css=markupsafe.Markup(page_css),
    )
