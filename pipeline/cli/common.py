"""What every command shares: the consoles, output that never fails to encode,
the progress bar, the language option, the password prompt, recovery before a
command acts, and what an error after a run's seal says."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ikou.audit.platform import WarmChild
from ikou.errors import IkouError, InternalError

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
    written = f" and its report written at {report}" if report is not None else ""
    return (
        f"the run {run_id} was sealed{written}; this error happened after that, while "
        f"printing its summary ({what}): the run and its record stand"
    )


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
        if label.startswith("extract ") and total:
            bar.update(task, description=label[:28])
        else:
            bar.update(task, description=label[:28], completed=done)

    try:
        yield update
    finally:
        if started:
            bar.stop()


lang_option = click.option(
    "--lang",
    type=click.Choice(["ja", "en"]),
    default="ja",
    show_default=True,
    help="Language of the HTML report's labels.",
)


def password_prompt() -> Callable[[str], str | None] | None:
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


@contextmanager
def recovery_said() -> Iterator[None]:
    """Within the block, each run that died in the workspace and is brought to an
    end when the command opens its session is said on stderr."""
    from ikou.pipeline.recovered import announcing

    with announcing(lambda recovered: err().print(f"ikou: {escape(recovered.sentence())}")):
        yield


def _prepare_expectations() -> None:  # pragma: no cover - runs in the warm child
    from ikou.validation.expectations import import_expectations

    import_expectations()


def warm_expectations() -> WarmChild:
    """A child that imports great-expectations from now on, on the other core
    (:class:`~ikou.audit.platform.WarmChild`): started by a command before its
    own imports, handed to the run, which gives it the tables to check."""
    return WarmChild(_prepare_expectations)
