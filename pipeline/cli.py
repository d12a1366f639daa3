"""The ``ikou`` command line: parse, call one library function, render, exit.

Exit codes are decided in :func:`main` alone: 0 success, 1 a check failed
(unbalanced run, tampered chain), 2 bad input or usage — with one sentence
naming the file, sheet, row or key, and a traceback only with ``--debug``.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ikou import __version__
from ikou.errors import IkouError

__all__ = ["CheckFailed", "cli", "main"]

EXIT_OK, EXIT_CHECK, EXIT_INPUT = 0, 1, 2


class CheckFailed(Exception):
    """A check ran and failed (exit 1); the message is one sentence."""


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on a terminal; nothing at all otherwise.

    The bar appears with the first update, so prompts before the work begins
    (passwords, the production run's sign-on) are not drawn over.
    """
    console = _err()
    if not (enabled and console.is_terminal):
        yield None
        return
    bar = Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = bar.add_task("ikou", total=6)
    started = False

    def update(label: str, done: int, total: int) -> None:
        nonlocal started
        if not started:
            bar.start()
            started = True
        if label.startswith("extract ") and total:
            bar.update(task, description=label[:28])
        else:
            bar.update(task, description=label[:28], completed=done)

    try:
        yield update
    finally:
        if started:
            bar.stop()


_lang_option = click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default="ja",
    show_default=True,
    help="Language of the HTML report's labels.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ikou")
@click.option("--debug", is_flag=True, help="Show a traceback when something goes wrong.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """ikou (移行): verified migration of personal data out of legacy Office files."""
    ctx.obj = {"debug": debug}


def _summary(report: dict[str, Any], lang: str) -> Table:
    ja = lang == "ja"
    table = Table(title="件数の内訳" if ja else "Row counts")
    for header in (
        ["テーブル", "移行元", "除外", "不採用", "登録", "一致"]
        if ja
        else ["table", "source", "skipped", "rejected", "loaded", "balanced"]
    ):
        table.add_column(header, justify="left" if header in ("テーブル", "table") else "right")
    for name, t in report["tables"].items():
        table.add_row(
            name,
            f"{t['source_rows']:,}",
            f"{t['skipped']:,}",
            f"{t['rejected']:,}",
            f"{t['loaded']:,}",
            "✔" if t["balanced"] else "✘",
        )
    return table


def _render_run(result: Any, lang: str, as_json: bool) -> None:
    report = result.report.data
    out = _out()
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    out.print(_summary(report, lang))
    status = report["status"]
    out.print(f"status: {status}")
    out.print(f"report: {result.report_html}")
    out.print(f"json:   {result.report_json}")
    out.print(f"audit:  {result.audit_log}  head {report['chain_head_short']}")


def _password_prompt() -> Callable[[str], str | None] | None:
    """Ask at a terminal for an encrypted file's password (typed, never echoed);
    with no terminal there is nobody to ask."""
    if not sys.stdin.isatty():
        return None

    def ask(file: str) -> str | None:
        answer = click.prompt(
            f"password for {file} (empty to stop)",
            hide_input=True,
            default="",
            show_default=False,
            err=True,
        )
        return answer or None

    return ask


def _recover(plan: Path) -> None:
    """Before anything else on a workspace: verify its record and bring runs that
    died there to an end (each said on stderr)."""
    from ikou.pipeline.plan import load_plan
    from ikou.pipeline.session import recover_workspace

    for recovered in recover_workspace(load_plan(plan)):
        _err().print(f"ikou: {escape(recovered.sentence())}")


def _rehearse_and_render(plan: Path, lang: str, as_json: bool) -> None:
    from ikou.pipeline.run import rehearse as run_rehearsal

    _recover(plan)
    with _progress(not as_json) as progress:
        result = run_rehearsal(plan, lang=lang, progress=progress, password=_password_prompt())
    _render_run(result, lang, as_json)
    if result.report.status != "reconciled":
        raise CheckFailed(f"the rehearsal did not reconcile; see {result.report_html}.")


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@_lang_option
@click.option("--json", "as_json", is_flag=True, help="Print report.json instead of a summary.")
def rehearse(plan: Path, lang: str, as_json: bool) -> None:
    """Dry run of PLAN on its test sources: extract, map, validate, load, reconcile, report."""

    _rehearse_and_render(plan, lang, as_json)


@cli.command()
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
    default=300,
    show_default=True,
    help="Tenants in the synthetic ledger.",
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Seed for Faker.")
@_lang_option
def demo(folder: Path | None, rows: int, seed: int, lang: str) -> None:
    """The whole story on bundled synthetic data: a twin .xls from a profile and a
    Word table of household members, rehearsed."""
    from ikou.pipeline.examples import write_demo

    plan = write_demo(folder, rows=rows, seed=seed, twin=True)
    _out().print(f"synthetic ledger, members and plan: {plan.parent}")
    _rehearse_and_render(plan, lang, False)


@cli.group()
def audit() -> None:
    """Work with the audit chain."""


@audit.command("verify")
@click.argument("log", type=click.Path(path_type=Path))
@click.option(
    "--head", default=None, help="The chain head printed on the signed report (full or short form)."
)
def audit_verify(log: Path, head: str | None) -> None:
    """Check every line of the audit LOG (or a custody.journal); name the first bad one.

    Links, hashes and authentication under this installation's audit key,
    and that the log was not rolled back; writes nothing."""
    from ikou.audit.artifacts import JOURNAL
    from ikou.audit.chain import ChainWriteError, audit_key, key_folder, verify

    if not log.is_file():
        raise click.UsageError(f"{log} is not a file; give the audit.log of a workspace.")
    folder = key_folder()
    try:
        key = audit_key(folder)
    except ChainWriteError as exc:
        raise CheckFailed(str(exc)) from None
    result = verify(log, head, key=key, key_dir=folder, seals=log.name != JOURNAL)
    if not result.ok:
        raise CheckFailed(f"{log}: {result.sentence()}")
    _out().print(f"{log}: {result.sentence()}")


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option(
    "--signoff",
    type=click.Path(path_type=Path),
    default=None,
    help="A YAML file naming the witness and approvers (for automation; the report says so).",
)
@_lang_option
def migrate(plan: Path, signoff: Path | None, lang: str) -> None:
    """The supervised production run of PLAN: preflight, sign-on, run once, seal."""
    from ikou.pipeline.production import migrate as run_migration

    _recover(plan)
    ask = None if signoff is not None else _sign_on_prompt()
    with _progress(True) as progress:
        result = run_migration(
            plan,
            signoff_file=signoff,
            ask=ask,
            lang=lang,
            progress=progress,
            password=_password_prompt(),
        )
    out = _out()
    if result.checks:
        table = Table(title="事前確認" if lang == "ja" else "Preflight")
        for header in ("item", "", "reason"):
            table.add_column(header)
        marks = {"ok": "[green]✔[/]", "warn": "[yellow]![/]", "fail": "[red]✘[/]"}
        for check in result.checks:
            table.add_row(escape(check.item), marks[check.status], escape(check.reason))
        out.print(table)
    if result.status == "refused":
        if result.report_html is not None:
            out.print(f"report: {result.report_html}")
        raise CheckFailed(f"the production run was refused: {result.refusal}.")
    assert result.run is not None
    _render_run(result.run, lang, as_json=False)
    if result.status != "reconciled":
        raise CheckFailed(f"the production run did not reconcile; see {result.run.report_html}.")


def _sign_on_prompt() -> Callable[[str, str], tuple[str, str]] | None:
    """Each person types their name and the code on the screen, at the terminal."""
    if not sys.stdin.isatty():
        return None

    def ask(role: str, code: str) -> tuple[str, str]:
        _err().print(f"[bold]{escape(role)}[/]: code [bold]{code}[/]")
        name = click.prompt(f"{role} — name", err=True)
        typed = click.prompt(f"{role} — code shown above", err=True)
        return name, typed

    return ask


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option(
    "--with-sources",
    is_flag=True,
    help="Also read the production sources again and compare end to end.",
)
@_lang_option
def reconcile(plan: Path, with_sources: bool, lang: str) -> None:
    """Compare PLAN's target now with the manifest sealed by its migration."""
    from ikou.pipeline.production import reconcile_later

    _recover(plan)
    result = reconcile_later(
        plan, lang=lang, with_sources=with_sources, password=_password_prompt()
    )
    out = _out()
    changes = {"changed": 0, "added": 0, "removed": 0}
    for difference in result.differences:
        changes[difference.change] += 1
    out.print(
        f"{result.rows:,} row(s) in the target; changed {changes['changed']}, "
        f"added {changes['added']}, removed {changes['removed']}"
    )
    out.print(f"report: {result.report_html}")
    if result.differences:
        raise CheckFailed(
            f"the target differs from what was migrated in {len(result.differences)} row(s)."
        )


@cli.command()
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--certificate", is_flag=True, required=True, help="Write a destruction certificate.")
@click.option("--witness", default=None, help="Who witnessed the destruction (printed on it).")
@_lang_option
def shred(plan: Path, certificate: bool, witness: str | None, lang: str) -> None:
    """Destroy every copy PLAN's workspace still holds and certify it (project end)."""
    from ikou.pipeline.production import shred_workspace

    _recover(plan)
    result = shred_workspace(plan, witness=witness, lang=lang)
    failed = [i for i in result.items if not i["verified"]]
    _out().print(f"shredded {len(result.items)} file(s); certificate: {result.certificate}")
    if failed:
        raise CheckFailed(f"{len(failed)} file(s) could not be verified gone.")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="The profile to write."
)
@click.option(
    "--keep-values",
    default="",
    help="Comma-separated columns that are not personal (団地名,税目): their values are copied.",
)
@click.option("--header-row", type=int, default=None, help="The header's row, if not the guess.")
def profile(
    files: tuple[Path, ...], output: Path, keep_values: str, header_row: int | None
) -> None:
    """Write a structure-only profile of legacy FILES (no cell values) for ikou synth."""
    import yaml

    from ikou.pipeline.twin import profile_files

    keep = tuple(name.strip() for name in keep_values.split(",") if name.strip())
    data = profile_files(list(files), keep_values=keep, header_row=header_row)
    head = (
        "# ikou profile: the structure of legacy files, without their values\n"
        "# (except the distinct values of keep_values columns). Review it before it leaves\n"
        "# the office; then: ikou synth THIS_FILE -o twin/\n"
    )
    output.write_text(
        head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    sheets = sum(len(f["sheets"]) for f in data["files"])
    for file in data["files"]:
        for sheet in file["sheets"]:
            if sheet.get("header_note"):
                where = file["name"] + (f", sheet {sheet['name']!r}" if sheet["name"] else "")
                _out().print(f"{where}: {sheet['header_note']}", markup=False)
    _out().print(f"profiled {len(files)} file(s), {sheets} sheet(s): {output}")


@cli.command()
@click.argument("profile_file", metavar="PROFILE", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="Folder for the twin."
)
@click.option("--rows", type=int, default=None, help="Data rows per sheet (default: as profiled).")
@click.option("--seed", type=int, default=2026, show_default=True, help="Faker and layout seed.")
def synth(profile_file: Path, output: Path, rows: int | None, seed: int) -> None:
    """Write synthetic twins of the files a PROFILE describes (Faker ja_JP data)."""
    import yaml

    from ikou.pipeline.twin import synthesize

    try:
        data = yaml.safe_load(profile_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise click.UsageError(f"cannot read the profile {profile_file}: {exc}") from None
    if not isinstance(data, dict) or data.get("ikou_profile") != 1:
        raise click.UsageError(f"{profile_file} is not an ikou profile (ikou_profile: 1).")
    for path in synthesize(data, output, rows=rows, seed=seed):
        _out().print(f"wrote {path}")


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--plan",
    "plan_path",
    required=True,
    type=click.Path(path_type=Path),
    help="The plan whose workspace knows the sources, artifacts and fingerprints.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def sweep(paths: tuple[Path, ...], plan_path: Path, as_json: bool) -> None:
    """Find copies of the migration's data under PATHS (folders or files).

    Exact copies (a source file or artifact, by SHA-256) and derived ones (a
    re-saved workbook, a CSV export, a text paste, by keyed record
    fingerprints). Prints paths, kinds and record counts — never a value.
    Exit 1 if anything is found.
    """
    from dataclasses import asdict

    from ikou.audit.chain import audit_key, key_folder
    from ikou.audit.sweep import load_knowledge
    from ikou.audit.sweep import sweep as run_sweep
    from ikou.pipeline.plan import load_plan
    from ikou.pipeline.session import open_chain

    workspace = load_plan(plan_path).workspace
    if audit_key() is not None:
        _recover(plan_path)
        events = list(open_chain(workspace)[0].events())
    else:  # another machine: look for copies, knowing the log is unauthenticated
        events = _unauthenticated_events(workspace / "audit.log")
    knowledge = load_knowledge(workspace, events)
    if knowledge.key_missing:
        _err().print(
            "ikou: the key of this workspace's record fingerprints is not in "
            f"{escape(str(key_folder()))}; only exact copies can be found (set IKOU_KEY_DIR "
            "to the folder that holds it)."
        )
    if not knowledge.exact and not knowledge.indexes:
        raise click.UsageError(
            f"the workspace {workspace} has no run to look for yet; rehearse the plan first."
        )
    with _sweep_progress(not as_json) as progress:
        result = run_sweep(paths, knowledge, progress=progress)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "findings": [asdict(f) for f in result.findings],
                    "files": result.files,
                    "bytes": result.bytes,
                    "skipped": [{"path": p, "reason": r} for p, r in result.skipped],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        _render_sweep(result, knowledge)
    if result.findings:
        raise CheckFailed(f"{len(result.findings)} file(s) hold the migration's data.")


def _unauthenticated_events(log: Path) -> list[dict[str, Any]]:
    """The events of a log this installation has no key for: links and hashes
    verified, and the user told that authentication was not."""
    from ikou.audit.chain import key_folder, verify

    if not log.exists():
        return []
    result = verify(log, keep=True)
    if not result.ok:
        raise CheckFailed(f"{log}: {result.sentence()}")
    _err().print(
        f"ikou: no audit key in {escape(str(key_folder()))}: the audit log's links and hashes "
        "verify, but it could not be authenticated on this machine."
    )
    return list(result.entries)


@contextmanager
def _sweep_progress(enabled: bool) -> Iterator[Callable[[str, int], None] | None]:
    console = _err()
    if not (enabled and console.is_terminal):
        yield None
        return
    with Progress(
        TextColumn("{task.description:<40}"),
        TextColumn("{task.completed:,} files"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("sweep", total=None)

        def update(path: str, size: int) -> None:
            bar.update(task, description=path[-40:], advance=1)

        yield update


def _render_sweep(result: Any, knowledge: Any) -> None:
    out = _out()
    if result.findings:
        table = Table(title="copies found")
        for header in ("path", "kind", "of", "records", "bytes", "modified (UTC)"):
            table.add_column(header, justify="right" if header in ("records", "bytes") else "left")
        for f in result.findings:
            table.add_row(
                escape(f.path), f.kind, f.what, f"{f.records:,}", f"{f.size:,}", f.modified
            )
        out.print(table)
    out.print(
        f"looked at {result.files:,} file(s), {result.bytes / 1e6:,.1f} MB, for "
        f"{len(knowledge.exact)} known file hash(es) and {knowledge.records:,} record(s); "
        f"found {len(result.findings)}."
    )
    for path, reason in result.skipped[:20]:
        _err().print(f"skipped {escape(path)}: {escape(reason)}")
    if len(result.skipped) > 20:
        _err().print(f"… and {len(result.skipped) - 20} more skipped (see --json).")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn every outcome into one exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="ikou", standalone_mode=False)
    except CheckFailed as exc:
        _err().print(f"[bold red]ikou:[/] {escape(str(exc))}")
        return EXIT_CHECK
    except IkouError as exc:
        if debug:
            traceback.print_exc()
        _err().print(f"[bold red]ikou:[/] {escape(exc.message)}")
        return exc.exit_code
    except click.exceptions.Abort:
        _err().print("ikou: aborted.")
        return EXIT_INPUT
    except click.ClickException as exc:
        exc.show()
        return EXIT_INPUT
    except KeyboardInterrupt:
        _err().print("ikou: interrupted.")
        return EXIT_INPUT
    except Exception:
        if debug:
            traceback.print_exc()
            return EXIT_CHECK
        _err().print(
            "ikou: an internal error occurred (a bug, not your input); run again with "
            "--debug to see the traceback, and check it for personal data before sharing."
        )
        return EXIT_CHECK
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
