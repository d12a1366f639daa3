"""``ikou media``: the PC's register of removable media (register, list, retire),
its insertion log (watch) and erasing a medium before it goes back (erase)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from ikou.errors import CheckFailed
from ikou.pipeline.cli.common import lang_option, out


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
    out().print(escape(f"registered {medium.id}: holder {medium.holder}, {medium.model}"))


@media.command(name="list")
def list_media() -> None:
    """Every medium registered on this PC, retired ones marked."""
    from ikou.pipeline.media.register import registered

    console = out()
    found = registered()
    if not found:
        console.print("no medium is registered on this PC")
    for medium in found.values():
        state = f"retired {medium.retired}" if medium.retired else "in use"
        serial = medium.device.get("serial", "")[-6:]
        console.print(
            escape(
                f"{medium.id}  {medium.holder}  {medium.label or '-'}  …{serial}  "
                f"registered {medium.registered}  {state}"
            )
        )


@media.command()
@click.argument("medium_id", metavar="ID")
def retire(medium_id: str) -> None:
    """Take medium ID out of use: ikou writes nothing to it again."""
    from ikou.pipeline.media.register import retire as retire_medium

    medium = retire_medium(medium_id)
    out().print(escape(f"retired {medium.id} (holder {medium.holder})"))


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
        who = f"{event['medium']} ({event['holder']})" if event["medium"] else "NOT REGISTERED"
        console.print(escape(f"{event['at']}  {event['outcome']}  {event['node']}  {who}"))

    console.print("watching for removable media; Ctrl-C stops")
    try:
        count = watch_media(stop, heard)
    finally:
        signal.signal(signal.SIGINT, previous)
    console.print(f"stopped; {count} event(s) recorded")


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
        state = "destroyed" if item["verified"] else f"NOT destroyed: {item.get('problem')}"
        console.print(escape(f"{item['file']}: {state}"))
    console.print(f"certificate: {result.certificate}")
    if result.failed:
        raise CheckFailed(
            f"{result.failed} file(s) on {result.medium.id} could not be verified destroyed; "
            "the certificate lists them.",
            slug="shred.incomplete",
        )
