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
        err().print(
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
    err().print(
        f"ikou: no audit key in {escape(str(key_folder()))}: the audit log's links and hashes "
        "verify, but it could not be authenticated on this machine."
    )
    return list(result.entries)


@contextmanager
def _sweep_progress(enabled: bool) -> Iterator[Callable[[str, int], None] | None]:
    console = err()
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
    from ikou.audit.sweep import KINDS

    console = out()  # a line per file, whole paths: read on a narrow console, or grepped
    if result.findings:
        console.print(f"copies found ({len(result.findings):,}):")
        for f in result.findings:
            what = f"{f.records:,} record(s)" if f.kind == "derived" else f"a {f.what}"
            where = "".join(f"; {place}" for place in f.places)
            console.print(
                f"  {escape(f.path)}: {f.kind} copy of {what}{escape(where)} "
                f"({f.size:,} bytes, modified {f.modified})"
            )
    kinds = ", ".join(
        f"{result.searched[kind]:,} {label}"
        for kind, label in KINDS.items()
        if kind in result.searched
    )
    passed = [
        f"{count:,} {what}"
        for count, what in (
            (result.links, "symbolic link(s) not followed"),
            (result.special, "pipe(s), socket(s) or device(s) passed over"),
        )
        if count
    ]
    console.print(
        f"searched {sum(result.searched.values()):,} file(s), {result.bytes / 1e6:,.1f} MB"
        + (f" ({kinds})" if kinds else "")
        + f", for {len(knowledge.exact)} known file hash(es) and {knowledge.records:,} "
        f"record(s); found {len(result.findings)}." + (f" {'; '.join(passed)}." if passed else "")
    )
    if result.not_searched:
        console.print(f"could not be searched ({len(result.not_searched):,}):")
        for path, reason in result.not_searched[:50]:
            console.print(f"  {escape(path)}: {escape(reason)}")
        if len(result.not_searched) > 50:
            console.print(f"  … and {len(result.not_searched) - 50:,} more (see --json).")
