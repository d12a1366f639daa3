"""``ikou brief``: the migration explained to the privacy council, from the plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ikou.pipeline.cli.common import lang_option, out
from ikou.pipeline.cli.lang import console_lang, say

__all__ = ["brief"]


@click.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(path_type=Path),
    default=None,
    help="A structure-only profile (ikou profile) of the live files: records per sheet.",
)
@lang_option
@click.option(
    "--out",
    "folder",
    type=click.Path(path_type=Path),
    default=None,
    help="Write into this folder instead of a new one under the workspace's briefs/.",
)
@click.option(
    "--production-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    metavar="YYYY-MM-DD",
    help="The planned production date, for the certifications (default: today).",
)
def brief(
    plan: Path,
    profile_file: Path | None,
    lang: str,
    folder: Path | None,
    production_date: dt.datetime | None,
) -> None:
    """Write brief.html and brief.json explaining PLAN to the privacy council:
    the data, the work, the copies and the people, from the plan alone (no
    source file is opened). An existing brief is never replaced (exit 2)."""
    from ikou.pipeline.brief import warning_text, write_brief

    result = write_brief(
        plan,
        profile=profile_file,
        lang=lang,
        out=folder,
        production_date=production_date.date() if production_date else None,
    )
    console = out()
    warnings = result.warnings
    spoken = console_lang()
    for warning in warnings:
        text = warning_text(result.data, warning, spoken)
        console.print(say("brief.warning", text=text), markup=False)
    console.print(say("brief.html", path=result.html), markup=False)
    console.print(say("json", path=result.json), markup=False)
    short, count = result.data["plan"]["short"], len(warnings)
    console.print(say("brief.plan", short=short, count=count), markup=False)
