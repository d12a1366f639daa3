"""What every command shares: the consoles, output that never fails to encode,
the progress bar, the language option, the password prompt, recovery before a
command acts, and what an error after a run's seal says — each line in the
console's language (:mod:`.lang`)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ikou.audit.platform import WarmChild
from ikou.errors import IkouError, InternalError
from ikou.pipeline.cli.lang import CONSOLE, choose, say

if TYPE_CHECKING:
    from ikou.pipeline.recovered import Recovered

__all__ = [
    "after_seal",
    "encodable",
    "err",
    "lang_option",
    "out",
    "password_prompt",
    "progress_bar",
    "recovery_said",
    "replacing_output",
    "warm_expectations",
]


def err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def out() -> Console:
    return Console(highlight=False, soft_wrap=True)


@contextmanager
def replacing_output() -> Iterator[None]:
    """Within the block, stdout and stderr write ``?`` for a character their
    encoding cannot hold, instead of raising.

    A Japanese Windows console redirected to a file or a pipe encodes in
    CP932, which has no ✔, ✘ or 𠮷: a line holding one raised
    UnicodeEncodeError — after a production run was sealed, an "internal
    error" for a run that had succeeded. Every line ikou prints (the rich
    consoles, ``click.echo``, prompts, ``--debug`` tracebacks) goes through
    these two streams, so they are reconfigured here, whatever
    ``PYTHONIOENCODING`` asked for, and restored after.
    """
    before: list[tuple[io.TextIOWrapper, str]] = []
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors != "replace":
            try:
                errors = stream.errors
                stream.reconfigure(errors="replace")
            except (OSError, ValueError):  # closed, or not reconfigurable
                continue
            before.append((stream, errors))
    try:
        yield
    finally:
        for stream, errors in before:
            try:
                stream.reconfigure(errors=errors)
            except (OSError, ValueError):
                pass


def encodable(text: str, fallback: str, console: Console) -> str:
    """``text`` if the console's encoding holds it, else ``fallback`` — for marks
    such as ✔ whose '?' would not say what they meant."""
    try:
        text.encode(console.encoding)
    except (UnicodeEncodeError, LookupError):
        return fallback
    return text


@contextmanager
def after_seal(run_id: str, report: Path | None) -> Iterator[None]:
    """Within the block the run ``run_id`` is already sealed: an unexpected error
    (a bug, exit 3) says so, so that the operator does not take a failure to
    print for a failed run. Errors ikou raises on purpose pass unchanged; the
    sentence names the error's type, never its text (which could hold a value)."""
    try:
        yield
    except IkouError as exc:
        if not isinstance(exc, InternalError):
            raise
        raise InternalError(_sealed(run_id, report, type(exc).__name__)) from exc
    except Exception as exc:
        raise InternalError(_sealed(run_id, report, type(exc).__name__)) from exc


def _sealed(run_id: str, report: Path | None, what: str) -> str:
    written = say("sealed.written", report=report) if report is not None else ""
    return say("sealed", run_id=run_id, written=written, what=what)


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on a terminal; nothing at all otherwise.

    The bar appears with the first update, so prompts before the work begins
    (passwords, the production run's sign-on) are not drawn over.
    """
    console = err()
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
        shown = _stage_said(label)[:28]
        if label.startswith("extract ") and total:
            bar.update(task, description=shown)
        else:
            bar.update(task, description=shown, completed=done)

    try:
        yield update
    finally:
        if started:
            bar.stop()


def _stage_said(label: str) -> str:
    """A progress label (``extract ledger.xls``, ``map tenants``, ``done``) with its
    stage in the console's language; the file or table name as it is."""
    stage, _, rest = label.partition(" ")
    if f"stage.{stage}" not in CONSOLE:
        return label
    return f"{say(f'stage.{stage}')} {rest}".rstrip()


def _lang_given(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """``--lang`` typed on the command line speaks for the console too."""
    if param.name and ctx.get_parameter_source(param.name) is ParameterSource.COMMANDLINE:
        choose(value)
    return value


lang_option = click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default="ja",
    show_default=True,
    callback=_lang_given,
    help="Language of the report (or certificate) and, when given, of the console; "
    "without it the console follows IKOU_LANG and the locale.",
)


def password_prompt() -> Callable[[str], str | None] | None:
    """Ask at a terminal for an encrypted file's password (typed, never echoed);
    with no terminal there is nobody to ask."""
    if not sys.stdin.isatty():
        return None

    def ask(file: str) -> str | None:
        answer = click.prompt(
            say("password", file=file),
            hide_input=True,
            default="",
            show_default=False,
            err=True,
        )
        return answer or None

    return ask


@contextmanager
def recovery_said() -> Iterator[None]:
    """Within the block, each run that died in the workspace and is brought to an
    end when the command opens its session is said on stderr."""
    from ikou.pipeline.recovered import announcing

    with announcing(lambda recovered: err().print(f"ikou: {escape(_recovered(recovered))}")):
        yield


def _recovered(recovered: Recovered) -> str:
    """:meth:`Recovered.sentence` in the console's language."""
    known = ("interrupted", "sealed", "reconciled", "rolled_back", "pending")
    ending = (
        ""
        if recovered.outcome in ("interrupted", "sealed")
        else say(f"recovered.{recovered.outcome}")
        if recovered.outcome in known
        else say("recovered.other", outcome=recovered.outcome)
    )
    return say(
        "recovered",
        run_id=recovered.run_id,
        artifacts=recovered.artifacts,
        rolled=say("recovered.rolled") if recovered.target_rolled_back else "",
        ending=ending,
    )


def _prepare_expectations() -> None:  # pragma: no cover - runs in the warm child
    from ikou.validation.expectations import import_expectations

    import_expectations()


def warm_expectations() -> WarmChild:
    """A child that imports great-expectations from now on, on the other core
    (:class:`~ikou.audit.platform.WarmChild`): started by a command before its
    own imports, handed to the run, which gives it the tables to check."""
    return WarmChild(_prepare_expectations)
