"""``ikou rehearse`` and ``ikou demo``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ikou.errors import CheckFailed
from ikou.pipeline.cli.common import (
    encodable,
    lang_option,
    out,
    password_prompt,
    progress_bar,
    warm_expectations,
)
from ikou.pipeline.cli.lang import CONSOLE, say

__all__ = ["DEMO_EXAMPLES", "demo", "failed_sentence", "rehearse", "render_run", "status_said"]


def _summary(report: dict[str, Any], console: Console) -> Table:
    yes, no = encodable("✔", "OK", console), encodable("✘", "NG", console)
    table = Table(title=say("counts"))
    for column in ("table", "source", "skipped", "rejected", "loaded", "balanced"):
        table.add_column(say(f"counts.{column}"), justify="left" if column == "table" else "right")
    for name, t in report["tables"].items():
        table.add_row(
            name,
            f"{t['source_rows']:,}",
            f"{t['skipped']:,}",
            f"{t['rejected']:,}",
            f"{t['loaded']:,}",
            yes if t["balanced"] else no,
        )
    return table


def render_run(result: Any, as_json: bool) -> None:
    """A run's counts and where its report and record are, in the console's
    language (or report.json, as written)."""
    report = result.report.data
    console = out()
    if as_json:  # the report.json just written: the same text, not encoded twice
        click.echo(result.report_json.read_text(encoding="utf-8"), nl=False)
        return
    console.print(_summary(report, console))
    console.print(say("status", status=status_said(report["status"])), markup=False)
    for line in shortfall_lines(report):
        console.print(line, markup=False)
    console.print(say("report", path=result.report_html), markup=False)
    console.print(say("json", path=result.report_json), markup=False)
    console.print(say("audit", log=result.audit_log, head=report["chain_head_short"]), markup=False)


def shortfall_lines(report: dict[str, Any]) -> list[str]:
    """Why a run failed for loading too little: a line per table, counts only."""
    lines = []
    for s in report.get("shortfalls") or []:
        limit = s.get("max_rejected")
        lines.append(
            say(
                f"shortfall.{s['reason']}",
                table=s["table"],
                source=s["source_rows"],
                rejected=s["rejected"],
                skipped=s["skipped"],
                share="—" if s["rejected_percent"] is None else format(s["rejected_percent"], "g"),
                limit="—" if limit is None else format(limit, "g"),
            )
        )
    return lines


def failed_sentence(report: dict[str, Any], which: str, html: Path) -> str:
    """The sentence a run that did not pass ends on (English, as errors are;
    the catalog's title of ``run.<status>`` says it in Japanese): table names
    and counts, never a value."""
    status = report["status"]
    tables = [s["table"] for s in report.get("shortfalls") or [] if s["reason"] == status]
    if status == "nothing_loaded":
        return (
            f"the {which} loaded no row into table(s) {', '.join(tables)}, so nothing was "
            f"kept; see {html}."
        )
    if status == "too_many_rejected":
        limit = format(report["shortfalls"][0]["max_rejected"], "g")
        return (
            f"the {which} rejected more than rehearsal.max_rejected ({limit} %) of the rows "
            f"of table(s) {', '.join(tables)}, so nothing was kept; see {html}."
        )
    return f"the {which} did not reconcile; see {html}."


def status_said(status: str) -> str:
    """A run's status word (``reconciled``) as the console says it."""
    return say(f"status.{status}") if f"status.{status}" in CONSOLE else status


def _rehearse_and_render(plan: Path, lang: str, as_json: bool) -> None:
    # before ikou's own imports: great-expectations' (seconds) overlaps them
    warm = warm_expectations()
    try:
        from ikou.pipeline.run import rehearse as run_rehearsal

        with progress_bar(not as_json) as progress:
            result = run_rehearsal(
                plan, lang=lang, progress=progress, password=password_prompt(), warm=warm
            )
    finally:
        warm.close()
    render_run(result, as_json)
    if result.report.status != "reconciled":
        raise CheckFailed(
            failed_sentence(result.report.data, "rehearsal", result.report_html),
            slug=f"run.{result.report.status}",
        )


@click.command()
@click.argument("plan", type=click.Path(path_type=Path))
@lang_option
@click.option("--json", "as_json", is_flag=True, help="Print report.json instead of a summary.")
def rehearse(plan: Path, lang: str, as_json: bool) -> None:
    """Dry run of PLAN on its test sources: extract, map, validate, load, reconcile, report."""

    _rehearse_and_render(plan, lang, as_json)


# the examples' names, written here so that ikou --help need not import the
# examples (and their generators); a test holds them equal to EXAMPLES
DEMO_EXAMPLES = ("housing", "tax")


@click.command()
@click.argument("example", type=click.Choice(DEMO_EXAMPLES), default="housing", required=False)
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path),
    default=None,
    help="Keep the demo here instead of a new temporary folder.",
)
@click.option(
    "--rows",
    type=click.IntRange(10, 1_000_000),
    default=None,
    help="Rows of synthetic data: tenants for housing (default 300), taxpayers for tax "
    "(default 200).",
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed for Faker.")
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite the demo's files (plan, mapping, contract, data) already in --dir.",
)
@click.option(
    "--target",
    "target_url",
    default=None,
    metavar="URL",
    help="Housing only: rehearse into this database (postgresql://user@host/db) instead "
    "of a fresh SQLite file; its tables must be absent or empty.",
)
@lang_option
def demo(
    example: str,
    folder: Path | None,
    rows: int | None,
    seed: int,
    force: bool,
    target_url: str | None,
    lang: str,
) -> None:
    """The whole story on bundled synthetic data, rehearsed. EXAMPLE is housing
    (the default: a twin .xls from a profile, a Word table of household members
    and a waiting list) or tax (a CP932 CSV of overdue taxpayers becoming a
    dialer's call list). A --dir that already holds one of the demo's files is
    refused (exit 2) unless --force."""
    if target_url is not None and example == "tax":
        raise click.UsageError(
            "--target is for the housing example only: the tax example writes its one "
            "table to the dialer's import file and uses no database."
        )
    from ikou.pipeline.examples import write_demo

    plan = write_demo(
        folder, example=example, rows=rows, seed=seed, twin=example == "housing", force=force
    )
    if target_url is not None:  # the plan says where, as an office's plan would
        text = plan.read_text(encoding="utf-8")
        quoted = target_url.replace("'", "''")
        plan.write_text(
            text.replace("\ntarget:\n", f"\ntarget:\n  rehearsal_url: '{quoted}'\n", 1),
            encoding="utf-8",
        )
    out().print(say(f"demo.{example}", folder=plan.parent), markup=False)
    if example != "tax":
        _rehearse_and_render(plan, lang, False)
        return
    from ikou.pipeline.examples import demo_medium

    with demo_medium(plan.parent) as stick:  # the call list goes only to a registered stick
        lines = plan.read_text(encoding="utf-8").splitlines(keepends=True)
        at = next(i for i, line in enumerate(lines) if line.startswith("    call_list:"))
        lines.insert(
            at + 1,
            f"      rehearsal_path: {(stick / 'call_list.csv').as_posix()}"
            "  # ikou demo's registered stick (docs/media.md)\n",
        )
        plan.write_text("".join(lines), encoding="utf-8")
        out().print(say("demo.stick", path=plan.parent / stick), markup=False)
        _rehearse_and_render(plan, lang, False)
