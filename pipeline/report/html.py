"""The printable report: HTML with print CSS, in the report's language.

Everything a clerk reads is in the report's language: times in 和暦 and
Japan time (:mod:`.dates`), tables and columns by the contract's ``label:``,
findings by the catalog's sentence, control totals and stages in words. Rows
with findings are grouped by reason with row ranges; the full list of
positions is the worklist (``worklist.csv``) and ``report.json``.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from ikou.findings import describe, lookup
from ikou.pipeline.report.charts import bar_chart, funnel
from ikou.pipeline.report.collisions import places_said
from ikou.pipeline.report.dates import local_date, local_time
from ikou.pipeline.report.labels import LABELS
from ikou.pipeline.report.model import RunReport

__all__ = [
    "HTML_REJECT_LIMIT",
    "RANGE_LIMIT",
    "css_string",
    "render_html",
    "row_ranges",
    "write_report",
]

HTML_REJECT_LIMIT = 500  # differences listed on paper by ikou reconcile; its JSON lists all
RANGE_LIMIT = 24
"""Row ranges printed per reason and sheet; the rest are counted (the worklist has all)."""


def _environment() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(
        lambda name: resources.files("ikou.pipeline.templates").joinpath(name).read_text("utf-8")
    )
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def css_string(text: str) -> markupsafe.Markup:
    """``text`` as a CSS string literal (for the page's running footer)."""
    escaped = "".join(
        f"\\{ord(ch):x} " if ch in '"\\<>&' or ord(ch) < 0x20 else ch for ch in str(text)
    )
    return markupsafe.Markup(f'"{escaped}"')


def row_ranges(rows: Iterable[int], limit: int = RANGE_LIMIT) -> tuple[str, int]:
    """Row numbers as ranges (``3–7, 12, 40``), at most ``limit`` of them, and
    how many rows were left out."""
    ordered = sorted(set(rows))
    spans: list[tuple[int, int]] = []
    for row in ordered:
        if spans and row == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], row)
        else:
            spans.append((row, row))
    shown = spans[:limit]
    left = sum(b - a + 1 for a, b in spans[limit:])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in shown), left


class _View:
    """What the template asks of a report: its words, labels and pictures."""

    def __init__(self, data: dict[str, Any], lang: str) -> None:
        self.data = data
        self.lang = lang
        self.L = LABELS[lang]
        names = data.get("labels") or {}
        self.table_labels: dict[str, str] = names.get("tables", {})
        self.column_labels: dict[str, dict[str, str]] = names.get("columns", {})

    # names -------------------------------------------------------------
    def table(self, name: str) -> markupsafe.Markup:
        label = self.table_labels.get(name)
        if self.lang != "ja" or not label:
            return markupsafe.escape(name)
        return markupsafe.Markup('{} <span class="code">{}</span>').format(label, name)

    def column_word(self, table: str | None, column: str) -> str:
        if self.lang != "ja":
            return column
        labels = self.column_labels.get(table or "", {})
        return "＋".join(labels.get(part, part) for part in column.split("+"))

    def column(self, table: str | None, column: str | None) -> markupsafe.Markup:
        if not column:
            return markupsafe.Markup("—")
        word = self.column_word(table, column)
        if word == column:
            return markupsafe.escape(column)
        return markupsafe.Markup('{} <span class="code">{}</span>').format(word, column)

    def finding(self, slug: str, table: str | None = None, note: bool = False) -> str:
        found = lookup(slug, note=note)
        fields = {}
        if found is not None and found[1].get("column"):
            fields["column"] = self.column_word(table, found[1]["column"])
        if table is not None:
            fields.setdefault(
                "table", self.table_labels.get(table, table) if self.lang == "ja" else table
            )
        return describe(slug, self.lang, note=note, **fields)

    def control(self, name: str, table: str | None = None) -> str:
        if name == "count":
            return self.L["control_count"]
        match = re.fullmatch(r"(sum|count_by)\((\w+)\)", name)
        if match is None:
            return name
        return self.L[f"control_{match[1]}"].format(column=self.column_word(table, match[2]))

    def stage(self, name: str) -> str:
        return self.L.get(f"stage_{name}", name)

    @staticmethod
    def codepoints(text: str) -> str:
        """``U+20BB7`` for 𠮷: a substituted character named beyond doubt (a rule, not a value)."""
        return " ".join(f"U+{ord(ch):04X}" for ch in text)

    def outcome(self, name: str) -> str:
        return self.L.get(f"outcome_{name}", name)

    def expectation(self, name: str) -> markupsafe.Markup:
        words = self.L.get(name)
        if not words:
            return markupsafe.Markup('<span class="code">{}</span>').format(name)
        return markupsafe.Markup('{}<br><span class="code">{}</span>').format(words, name)

    def expect_counts(self, counts: dict[str, Any] | None) -> str:
        """An expectation's counts on one line (how many checked, how many not met)."""
        counts = counts or {}
        if "element_count" in counts and "unexpected_count" in counts:
            return self.L["expect_counts"].format(
                element=_fmt(counts["element_count"]), unexpected=_fmt(counts["unexpected_count"])
            )
        if "observed_value" in counts:
            return self.L["expect_rows"].format(n=_fmt(counts["observed_value"]))
        return "、".join(f"{k}: {_fmt(v)}" for k, v in sorted(counts.items())) or "—"

    # times and numbers --------------------------------------------------
    def percent(self, value: float | None) -> str:
        """A share in percent as the report prints it (``30 %``, ``2.5 %``; ``—`` for none)."""
        if value is None:
            return "—"
        return self.L["percent"].format(n=format(value, "g"))

    def when(self, iso: str | None) -> str:
        return local_time(iso, self.lang)

    def day(self, iso: str) -> str:
        return local_date(iso, self.lang)

    # grouped positions --------------------------------------------------
    def skip_rule(self, rule: str) -> str:
        """A skip rule's name as the page prints it: ikou's own rules (the
        rows after a table's end, its notes, its total rows) in words."""
        return self.L.get(f"skip.{rule}", rule)

    def skip_where(self, table: dict[str, Any], rule: str) -> list[dict[str, Any]]:
        """Where a rule skipped rows: per file and sheet, their row ranges."""
        out = []
        for place in table.get("skipped_where", {}).get(rule, []):
            rows = [r for a, b in place["spans"] for r in range(a, b + 1)]
            text, left = row_ranges(rows)
            out.append({"file": place["file"], "sheet": place["sheet"], "rows": text, "left": left})
        return out

    def groups(
        self,
        places: list[dict[str, Any]],
        table: str,
        note: bool = False,
        duplicates: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Rows with findings grouped by reason: its sentence, how many rows,
        and per file and sheet their row ranges; for a duplicate key, also the
        groups of rows sharing one (``duplicates``, at most :data:`RANGE_LIMIT`
        of them, each with its first positions)."""
        by_reason: dict[str, dict[tuple[str, str], list[int]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for place in places:
            for slug in dict.fromkeys(place["reasons"]):
                by_reason[slug][(place["file"], place["sheet"])].append(int(place["row"]))
        out = []
        for slug in sorted(by_reason, key=lambda s: (-sum(map(len, by_reason[s].values())), s)):
            where = []
            for (file, sheet), rows in by_reason[slug].items():
                text, left = row_ranges(rows)
                where.append(
                    {"file": file, "sheet": sheet, "rows": text, "left": left, "n": len(rows)}
                )
            same = [g for g in duplicates or [] if g["slug"] == slug]
            out.append(
                {
                    "slug": slug,
                    "sentence": self.finding(slug, table, note=note),
                    "n": sum(w["n"] for w in where),
                    "where": where,
                    "same_key": [self.same_key(g) for g in same[:RANGE_LIMIT]],
                    "same_key_n": len(same),
                    "same_key_left": max(0, len(same) - RANGE_LIMIT),
                }
            )
        return out

    def same_key(self, group: dict[str, Any]) -> str:
        """One group of rows sharing a key, by position: its first rows, and how
        many more."""
        said = places_said(group["rows"], self.lang)
        left = int(group["size"]) - len(group["rows"])
        if left > 0:
            said += " " + self.L["group_more_rows"].format(n=_fmt(left))
        return said

    # pictures -------------------------------------------------------------
    def funnel(self, name: str, t: dict[str, Any]) -> markupsafe.Markup:
        parts = [
            (self.L["loaded"], int(t["loaded"]), "seg-loaded"),
            (self.L["rejected"], int(t["rejected"]), "seg-rejected"),
            (self.L["skipped"], int(t["skipped"]), "seg-skipped"),
        ]
        return funnel(
            int(t["source_rows"]),
            parts,
            source_label=self.L["source_rows"],
            summary=self.funnel_text(name, t),
        )

    def funnel_text(self, name: str, t: dict[str, Any]) -> str:
        label = self.table_labels.get(name, name) if self.lang == "ja" else name
        return self.L["funnel_text"].format(
            table=label,
            source=f"{t['source_rows']:,}",
            skipped=f"{t['skipped']:,}",
            rejected=f"{t['rejected']:,}",
            loaded=f"{t['loaded']:,}",
        )

    def reasons_chart(self, name: str, counts: dict[str, int]) -> markupsafe.Markup:
        items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return bar_chart(
            [(self.finding(slug, name), n) for slug, n in items],
            summary=self.L["reasons_chart"].format(
                table=self.table_labels.get(name, name) if self.lang == "ja" else name
            ),
        )


def render_html(report: RunReport, lang: str = "ja", template_name: str = "report.html") -> str:
    """The printable HTML report in ``lang`` (``ja`` or ``en``)."""
    view = _View(report.data, lang)
    template = _environment().get_template(template_name)
    return template.render(
        r=report.data,
        L=view.L,
        v=view,
        lang=lang,
        limit=HTML_REJECT_LIMIT,
        fmt=_fmt,
        css=css_string,
        reason=lambda check: _reason(check, view.L),
        finding=view.finding,
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
    if isinstance(value, dict):  # a count by value: a line each, so a printed column stays narrow
        lines = [markupsafe.escape(f"{k}: {_fmt(v)}") for k, v in sorted(value.items())]
        return markupsafe.Markup("<br>").join(lines) if lines else "—"
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
