"""``ikou audit verify``: read the chain, never write it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ikou.errors import TamperedError
from ikou.pipeline.cli.common import out
from ikou.pipeline.cli.lang import say

if TYPE_CHECKING:
    from ikou.audit.chain import VerifyResult

__all__ = ["audit", "audit_verify"]


@click.group()
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
        raise TamperedError(str(exc)) from None
    result = verify(log, head, key=key, key_dir=folder, seals=log.name != JOURNAL)
    if not result.ok:
        raise TamperedError(f"{log}: {result.sentence()}")
    out().print(f"{log}: {_verified(result)}", markup=False)


def _verified(result: VerifyResult) -> str:
    """:meth:`VerifyResult.sentence` of an intact chain, in the console's language
    (what could not be checked is named in English, as the verifier words it)."""
    tail = ""
    if result.head_found_at is not None:
        after = result.events - result.head_found_at
        tail = say("verified.head_at", at=result.head_found_at)
        tail += say("verified.after", after=after) if after else say("verified.last")
    return say(
        "verified.ok",
        checked=say("verified.authenticated" if result.authenticated else "verified.intact"),
        events=result.events,
        head=result.head,
        tail=tail,
        note=say("verified.unchecked", what="; ".join(result.unchecked))
        if result.unchecked
        else "",
    )
