"""``ikou migrate``, ``ikou reconcile`` and ``ikou shred``: the production run and
the end of custody."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table

from ikou.errors import CheckFailed
from ikou.pipeline.cli.common import (
    after_seal,
    encodable,
    err,
    lang_option,
    out,
    password_prompt,
    progress_bar,
    warm_expectations,
)
from ikou.pipeline.cli.lang import CONSOLE, console_lang, say
from ikou.pipeline.cli.run import failed_sentence, render_run

if TYPE_CHECKING:
    from ikou.pipeline.production import MigrationResult
    from ikou.pipeline.production.preflight import Check

__all__ = ["migrate", "reconcile", "shred"]


@click.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option(
    "--signoff",
    type=click.Path(path_type=Path),
    default=None,
    help="A YAML file naming the witness and approvers (for automation; the report says so).",
)
@lang_option
def migrate(plan: Path, signoff: Path | None, lang: str) -> None:
    """The supervised production run of PLAN: preflight, sign-on, run once, seal."""
    # before ikou's own imports, the preflight and the sign-on: great-expectations'
    # import (seconds) is done by the time the run needs it
    warm = warm_expectations()
    try:
        from ikou.pipeline.production import migrate as run_migration

        ask = None if signoff is not None else _sign_on_prompt()
        with progress_bar(True) as progress:
            result = run_migration(
                plan,
                signoff_file=signoff,
                ask=ask,
                lang=lang,
                progress=progress,
                password=password_prompt(),
                warm=warm,
            )
    finally:
        warm.close()
    assert result.run_id is not None
    with after_seal(result.run_id, result.report_html):  # the run is sealed from here on
        _render_migration(result)


def _render_migration(result: MigrationResult) -> None:
    """The checklist and the run's summary; the outcome's exit code."""
    console = out()
    if result.checks:
        table = Table(title=say("preflight"))
        for header in (say("preflight.item"), "", say("preflight.reason")):
            table.add_column(header)
        marks = {
            "ok": f"[green]{encodable('✔', 'OK', console)}[/]",
            "warn": "[yellow]![/]",
            "fail": f"[red]{encodable('✘', 'NG', console)}[/]",
        }
        for check in result.checks:
            item, reason = _check_said(check)
            table.add_row(escape(item), marks[check.status], escape(reason))
        console.print(table)
    if result.status == "refused":
        if result.report_html is not None:
            console.print(say("report", path=result.report_html), markup=False)
        raise CheckFailed(
            f"the production run was refused: {result.refusal}.", slug="production.refused"
        )
    assert result.run is not None
    render_run(result.run, as_json=False)
    if result.status != "reconciled":
        raise CheckFailed(
            failed_sentence(result.run.report.data, "production run", result.run.report_html),
            slug=f"run.{result.status}",
        )


def _check_said(check: Check) -> tuple[str, str]:
    """A preflight item and its reason in the console's language: in Japanese the
    report's own words for them (:data:`~ikou.pipeline.report.labels.LABELS`), the
    English ones where the report has none."""
    if console_lang() != "ja":
        return check.item, check.reason
    from ikou.pipeline.report.labels import LABELS

    words = LABELS["ja"]
    item = (
        words.get(f"item_{check.item}", check.item)
        .replace("certification ", words.get("item_certification", "certification "))
        .replace("sign-on ", words.get("item_signon", "sign-on "))
        .replace("witness", words.get("witness", "witness"))
    )
    template = words.get(f"reason_{check.code}")
    try:
        reason = check.reason if template is None else template.format(**check.params)
    except (KeyError, IndexError, ValueError):  # the words lag the check: say it in English
        reason = check.reason
    return item, reason


def _sign_on_prompt() -> Callable[[str, str], tuple[str, str]] | None:
    """Each person types their name and the code on the screen, at the terminal."""
    if not sys.stdin.isatty():
        return None

    def ask(role: str, code: str) -> tuple[str, str]:
        err().print(say("signon.code", role=escape(role), code=code))
        name = click.prompt(say("signon.name", role=role), err=True)
        typed = click.prompt(say("signon.typed", role=role), err=True)
        return name, typed

    return ask


@click.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option(
    "--with-sources",
    is_flag=True,
    help="Also read the production sources again and compare end to end.",
)
@lang_option
def reconcile(plan: Path, with_sources: bool, lang: str) -> None:
    """Compare PLAN's target now with the manifest sealed by its migration."""
    from ikou.pipeline.production import reconcile_later

    result = reconcile_later(plan, lang=lang, with_sources=with_sources, password=password_prompt())
    console = out()
    changes = {"changed": 0, "added": 0, "removed": 0}
    for difference in result.differences:
        changes[difference.change] += 1
    others = say("reconciled.others", rows=result.other_rows) if result.other_rows else ""
    console.print(say("reconciled", rows=result.rows, others=others, **changes), markup=False)
    for found in result.import_files:
        state = found["state"]
        said = say(f"import_file.{state}") if f"import_file.{state}" in CONSOLE else state
        console.print(say("import_file", file=found["file"], state=said), markup=False)
    console.print(say("report", path=result.report_html), markup=False)
    changed = [f["file"] for f in result.import_files if f["state"] == "changed"]
    files = f"; and the import file(s) {', '.join(changed)} are not as placed" if changed else ""
    if result.differences:
        raise CheckFailed(
            f"the target differs from what was migrated in {len(result.differences)} row(s)"
            f"{files}.",
            slug="reconcile.changed",
        )
    if changed:
        raise CheckFailed(
            f"the import file(s) {', '.join(changed)} are not the bytes ikou placed "
            "(another SHA-256, or not a regular file).",
            slug="reconcile.import_file_changed",
        )


@click.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--certificate", is_flag=True, required=True, help="Write a destruction certificate.")
@click.option("--witness", default=None, help="Who witnessed the destruction (printed on it).")
@lang_option
def shred(plan: Path, certificate: bool, witness: str | None, lang: str) -> None:
    """Destroy every copy PLAN's workspace still holds and certify it (project end)."""
    from ikou.pipeline.production import shred_workspace

    result = shred_workspace(plan, witness=witness, lang=lang)
    failed = [i for i in result.items if not i["verified"]]
    out().print(
        say("shredded", count=len(result.items), certificate=result.certificate), markup=False
    )
    if failed:
        raise CheckFailed(
            f"{len(failed)} file(s) could not be verified gone.", slug="shred.incomplete"
        )
