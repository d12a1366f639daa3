"""``ikou media``: the PC's register of removable media (register, list, retire),
its insertion log (watch) and erasing a medium before it goes back (erase)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click

from ikou.errors import CheckFailed
from ikou.pipeline.cli.common import lang_option, out
from ikou.pipeline.cli.lang import say


@click.group()
def media() -> None:
    """Registered USB media: register, list, retire, watch, erase."""


@media.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--holder", required=True, help="Who the medium belongs to (written on it).")
def register(path: Path, holder: str) -> None:
    """Register the removable medium that holds PATH (its mount point) to HOLDER."""
    from ikou.pipeline.media.register import register as register_medium

    medium = register_medium(path, holder)
    said = say("media.registered", id=medium.id, holder=medium.holder, model=medium.model)
    out().print(said, markup=False)


@media.command(name="list")
def list_media() -> None:
    """Every medium registered on this PC, retired ones marked."""
    from ikou.pipeline.media.register import registered

    console = out()
    found = registered()
    if not found:
        console.print(say("media.none"), markup=False)
    for medium in found.values():
        state = (
            say("media.retired_on", date=medium.retired) if medium.retired else say("media.in_use")
        )
        said = say(
            "media.line",
            id=medium.id,
            holder=medium.holder,
            label=medium.label or "-",
            serial=medium.device.get("serial", "")[-6:],
            registered=medium.registered,
            state=state,
        )
        console.print(said, markup=False)


@media.command()
@click.argument("medium_id", metavar="ID")
def retire(medium_id: str) -> None:
    """Take medium ID out of use: ikou writes nothing to it again."""
    from ikou.pipeline.media.register import retire as retire_medium

    medium = retire_medium(medium_id)
    out().print(say("media.retired", id=medium.id, holder=medium.holder), markup=False)


@media.command()
@click.option(
    "--for",
    "seconds",
    type=float,
    default=None,
    help="Stop after this many seconds (default: until Ctrl-C).",
)
def watch(seconds: float | None) -> None:
    """Record every insertion and removal of a removable medium on this PC, registered
    or not, in the PC's media log, until Ctrl-C."""
    from ikou.pipeline.media.watch import watch as watch_media

    stop = threading.Event()
    console = out()
    if seconds is not None:
        threading.Timer(seconds, stop.set).start()
    previous = signal.signal(signal.SIGINT, lambda *_: stop.set())

    def heard(event: dict[str, Any]) -> None:
        medium, outcome = event["medium"], event["outcome"]
        who = f"{medium} ({event['holder']})" if medium else say("media.unregistered")
        if outcome in ("inserted", "removed"):
            outcome = say(f"media.{outcome}")
        said = say("media.heard", at=event["at"], outcome=outcome, node=event["node"], who=who)
        console.print(said, markup=False)

    console.print(say("media.watching"), markup=False)
    try:
        count = watch_media(stop, heard)
    finally:
        signal.signal(signal.SIGINT, previous)
    console.print(say("media.stopped", count=count), markup=False)


@media.command()
@click.argument("medium_id", metavar="ID")
@click.option("--witness", default=None, help="Who witnessed the erasure (printed on it).")
@lang_option
def erase(medium_id: str, witness: str | None, lang: str) -> None:
    """Destroy everything ikou wrote on medium ID, retire it, and certify it."""
    from ikou.pipeline.media.erase import erase_medium

    result = erase_medium(medium_id, witness=witness, lang=lang)
    console = out()
    for item in result.items:
        said = (
            say("media.destroyed", file=item["file"])
            if item["verified"]
            else say("media.not_destroyed", file=item["file"], problem=item.get("problem"))
        )
        console.print(said, markup=False)
    console.print(say("media.certificate", certificate=result.certificate), markup=False)
    if result.failed:
        raise CheckFailed(
            f"{result.failed} file(s) on {result.medium.id} could not be verified destroyed; "
            "the certificate lists them.",
            slug="shred.incomplete",
        )
