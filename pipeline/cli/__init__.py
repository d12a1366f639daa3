"""The ``ikou`` command line: parse, call one library function, render, exit.

One module per group of commands — :mod:`.run` (rehearse, demo),
:mod:`.production` (migrate, reconcile, shred), :mod:`.audit` (audit verify),
:mod:`.twin` (profile, synth), :mod:`.sweep`, :mod:`.media` (register, list,
retire, watch, erase), :mod:`.council` (council record), :mod:`.brief` — and
:mod:`.common` for what
they share. Exit codes are decided in :func:`main` alone, from the branch of
the one exception tree (:data:`ikou.errors.EXIT_CODES`): 0 success, 1 a
check failed (an unbalanced run, a refusal, a tampered record), 2 bad input
or usage, 3 an internal error — with one sentence naming the file, sheet,
row or key, and a traceback only with ``--debug`` (the exit code stays the
same). Whatever the console's encoding, printing never raises: a character it
cannot hold is written as ``?`` (:func:`.common.replacing_output`).
"""

from __future__ import annotations

import sys
import traceback

import click
from rich.markup import escape

from ikou import __version__
from ikou.errors import EXIT_CODES, IkouError, InternalError
from ikou.findings import CATALOG
from ikou.pipeline.cli import audit, brief, council, media, production, run, sweep, twin
from ikou.pipeline.cli.common import err, recovery_said, replacing_output
from ikou.pipeline.cli.lang import console_lang, error_lines, say, speaking

__all__ = ["EXIT_CHECK", "EXIT_INPUT", "EXIT_INTERNAL", "EXIT_OK", "cli", "main"]

EXIT_OK, EXIT_CHECK, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ikou")
@click.option("--debug", is_flag=True, help="Show a traceback when something goes wrong.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """ikou (移行): verified migration of personal data out of legacy Office files."""
    ctx.obj = {"debug": debug}


for command in (
    run.rehearse,
    run.demo,
    production.migrate,
    production.reconcile,
    production.shred,
    audit.audit,
    twin.profile,
    twin.synth,
    sweep.sweep,
    media.media,
    council.council,
    brief.brief,
):
    cli.add_command(command)


def exit_code(error: IkouError) -> int:
    """The exit code of an error's branch of the exception tree."""
    return next((code for kind, code in EXIT_CODES if isinstance(error, kind)), EXIT_INTERNAL)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn every outcome into one exit code, said in
    the console's language (:mod:`.lang`)."""
    args = list(sys.argv[1:] if argv is None else argv)
    with replacing_output(), speaking():  # before anything is printed, and for everything
        return _run(args)


def _run(args: list[str]) -> int:
    debug = "--debug" in args
    try:
        with recovery_said():  # a run that died in the workspace is said as it is ended
            cli.main(args=args, prog_name="ikou", standalone_mode=False)
    except IkouError as exc:
        if debug:
            traceback.print_exc()
        if isinstance(exc, InternalError):
            return _internal(exc.message)
        first, *details = error_lines(exc)
        err().print(f"[bold red]ikou:[/] {escape(first)}")
        for line in details:
            err().print(escape(line))
        return exit_code(exc)
    except click.exceptions.Abort:
        err().print(say("aborted"))
        return EXIT_INPUT
    except click.ClickException as exc:
        _usage(exc)
        return EXIT_INPUT
    except KeyboardInterrupt:
        err().print(say("interrupted"))
        return EXIT_INPUT
    except Exception:
        if debug:
            traceback.print_exc()
        return _internal()
    return EXIT_OK


def _internal(said: str | None = None) -> int:
    """The internal-error line; first what is known of it (``said``: that the run
    was sealed before it happened, say)."""
    if said:
        err().print(escape(say("internal.said", said=said)))
    err().print(escape(say("internal")))
    return EXIT_INTERNAL


def _usage(exc: click.ClickException) -> None:
    """A usage error: click's own lines in English; in Japanese, the catalog's
    line, click's sentence as the detail and where the usage is shown."""
    if console_lang() != "ja":
        exc.show()
        return
    line = say("error", title=CATALOG["usage.invalid"].ja, where="", slug="usage.invalid")
    err().print(f"[bold red]ikou:[/] {escape(line)}")
    err().print(escape(say("error.detail", message=exc.format_message())))
    ctx = getattr(exc, "ctx", None)
    err().print(escape(say("usage.help", command=ctx.command_path if ctx else "ikou")))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
