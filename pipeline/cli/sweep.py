"""``ikou sweep``: find scattered copies of the migration's data."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import Progress, TextColumn, TimeElapsedColumn

from ikou.errors import CheckFailed, TamperedError
from ikou.pipeline.cli.common import err, out
from ikou.pipeline.cli.lang import CONSOLE, console_lang, say, words

__all__ = ["sweep"]


@click.command()
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
    re-saved workbook, a CSV export, a text paste, rows in a SQLite database,
    by keyed record fingerprints). Prints paths, kinds, tables, rows and record
    counts — never a value — what was searched, and what could not be.
    Exit 1 if anything is found or a file could not be searched; exit 2 if a
    PATH does not exist or cannot be read.
    """
    from ikou.audit.chain import audit_key, key_folder
    from ikou.audit.sweep import check_paths, load_knowledge
    from ikou.audit.sweep import sweep as run_sweep
    from ikou.mappings.normalise import fingerprint_text
    from ikou.pipeline.plan import load_plan
    from ikou.pipeline.session import recover_workspace

    check_paths(paths)  # a mistyped path is exit 2 before anything is done
    plan = load_plan(plan_path)
    workspace = plan.workspace
    if audit_key() is not None:  # verified, and runs that died here ended, first
        events = list(recover_workspace(plan)[0].events())
    else:  # another machine: look for copies, knowing the log is unauthenticated
        events = _unauthenticated_events(workspace / "audit.log")
    knowledge = load_knowledge(workspace, events, fingerprint_text)
    if knowledge.key_missing:
        err().print(say("sweep.key_missing", folder=key_folder()), markup=False)
    if not knowledge.exact and not knowledge.indexes:
        raise click.UsageError(
            f"the workspace {workspace} has no run to look for yet; rehearse the plan first."
        )
    with _sweep_progress(not as_json) as progress:
        result = run_sweep(paths, knowledge, progress=progress)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        _render_sweep(result, knowledge)
    missed = (
        f"{len(result.not_searched)} file(s) or folder(s) could not be searched (listed with "
        "the reason); make them readable and sweep them again"
    )
    if result.findings:
        raise CheckFailed(
            f"{len(result.findings)} file(s) hold the migration's data"
            + (f", and {missed}." if not result.complete else "."),
            slug="sweep.copies_found",
        )
    if not result.complete:
        raise CheckFailed(
            f"no copy was found, but this is no all-clear: {missed}.", slug="sweep.incomplete"
        )


def _unauthenticated_events(log: Path) -> list[dict[str, Any]]:
    """The events of a log this installation has no key for: links and hashes
    verified, and the user told that authentication was not."""
    from ikou.audit.chain import key_folder, verify

    if not log.exists():
        return []
    result = verify(log, keep=True)
    if not result.ok:
        raise TamperedError(f"{log}: {result.sentence()}")
    err().print(say("sweep.unauthenticated", folder=key_folder()), markup=False)
    return list(result.entries)


@contextmanager
def _sweep_progress(enabled: bool) -> Iterator[Callable[[str, int], None] | None]:
    console = err()
    if not (enabled and console.is_terminal):
        yield None
        return
    with Progress(
        TextColumn("{task.description:<40}"),
        TextColumn(words("sweep.files")),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("sweep", total=None)

        def update(path: str, size: int) -> None:
            bar.update(task, description=path[-40:], advance=1)

        yield update


def _render_sweep(result: Any, knowledge: Any) -> None:
    from ikou.audit.sweep import KINDS

    console = out()  # a line per file, whole paths: read on a narrow console, or grepped
    if result.findings:
        console.print(say("sweep.found", count=len(result.findings)), markup=False)
        for f in result.findings:
            console.print(_copy_said(f), markup=False)
    kinds = words("sweep.kinds.join").join(
        say("sweep.kind", count=result.searched[kind], label=_kind_said(kind, label))
        for kind, label in KINDS.items()
        if kind in result.searched
    )
    passed = [
        say(key, count=count)
        for count, key in ((result.links, "sweep.links"), (result.special, "sweep.special"))
        if count
    ]
    joined = words("sweep.passed.join").join(passed)
    said = say(
        "sweep.searched",
        files=sum(result.searched.values()),
        mb=result.bytes / 1e6,
        kinds=say("sweep.kinds", kinds=kinds) if kinds else "",
        hashes=len(knowledge.exact),
        records=knowledge.records,
        found=len(result.findings),
        passed=say("sweep.passed", passed=joined) if passed else "",
    )
    console.print(said, markup=False)
    if result.not_searched:
        console.print(say("sweep.missed", count=len(result.not_searched)), markup=False)
        for path, reason in result.not_searched[:50]:
            console.print(f"  {escape(path)}: {escape(reason)}")
        if len(result.not_searched) > 50:
            console.print(say("sweep.more", count=len(result.not_searched) - 50), markup=False)


def _kind_said(kind: str, label: str) -> str:
    """A searched file's kind (:data:`ikou.audit.sweep.KINDS`) as the console says it."""
    return say(f"sweep.{kind}") if f"sweep.{kind}" in CONSOLE else label


def _copy_said(found: Any) -> str:
    """One copy found: its path, kind, what it copies and where in it — never a value."""
    if found.kind == "derived":
        what = say("sweep.records", records=found.records)
    else:
        known = f"sweep.{found.what}"
        what = say("sweep.a", what=say(known) if known in CONSOLE else found.what)
    places = [_place_said(place) for place in found.places]
    return say(
        "sweep.copy",
        path=found.path,
        kind=say(f"sweep.{found.kind}") if f"sweep.{found.kind}" in CONSOLE else found.kind,
        what=what,
        where="".join(say("sweep.place", place=place) for place in places),
        size=found.size,
        modified=found.modified,
    )


def _place_said(place: Any) -> str:
    """A table and its rows (:class:`ikou.audit.sweep.Place`) as the console says it."""
    if console_lang() != "ja":
        return str(place)
    runs = "、".join(f"{a}～{b}" if b > a else str(a) for a, b in place.rows[:6])  # CP932 has ～
    more = "、…" if len(place.rows) > 6 else ""
    return say("sweep.table_rows", table=place.table, rows=runs + more)
