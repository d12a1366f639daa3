"""What every command shares: the consoles, the progress bar, the language
option, the password prompt, and recovery before a command acts."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ikou.audit.platform import WarmChild

__all__ = [
    "err",
    "lang_option",
    "out",
    "password_prompt",
    "progress_bar",
    "recovery_said",
    "warm_expectations",
]


def err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def out() -> Console:
    return Console(highlight=False, soft_wrap=True)


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
