"""The PC's insertion log: ``ikou media watch`` records every insertion and
removal of a removable medium while it runs, registered or not, in the PC's
media log; a run reads back the ones in its own window.

Only one watcher runs at a time: it holds ``watch.lock`` in the media folder,
which is also how a run tells that a watcher is running (a plan may require
one: ``media: {watch: required}``, and ``media: none`` needs one to prove that
nothing was inserted).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ikou.audit.platform import ProcessLock
from ikou.errors import MediaError
from ikou.pipeline.media.devices import DeviceEvent, devices
from ikou.pipeline.media.register import media_folder, media_log, note, registered

__all__ = ["Insertion", "insertions_between", "watch", "watching"]


def _lock() -> ProcessLock:
    return ProcessLock(media_folder() / "watch.lock")


def watching() -> bool:
    """Whether a watcher is running on this PC now (it holds the watch lock)."""
    lock = _lock()
    if lock.acquire():
        lock.release()
        return False
    return True


def watch(stop: threading.Event, heard: Callable[[dict[str, Any]], None] | None = None) -> int:
    """Record every insertion and removal until ``stop`` is set; how many.

    Each event names the device (serial, filesystem UUID, label, model, node)
    and, when it is registered, the medium and its holder."""
    lock = _lock()
    if not lock.acquire():
        raise MediaError(
            f"another ikou media watch is already running on this PC ({media_folder()}).",
            file=str(media_folder() / "watch.lock"),
        )
    backend = devices()
    log = media_log()
    count = 0
    try:
        events = backend.events(stop)  # raises where the OS gives no events
        note(log, "watch-started", backend=backend.name)
        for event in events:
            count += 1
            facts = _facts(event, log)
            note(log, event.action, **facts)
            if heard is not None:
                heard({"outcome": event.action, **facts})
    finally:
        try:
            note(log, "watch-stopped", counts={"events": count})
        finally:
            lock.release()
    return count


def _facts(event: DeviceEvent, log: Any) -> dict[str, Any]:
    device = event.device
    medium = next(
        (m for m in registered(log).values() if m.device == device.identity() and not m.retired),
        None,
    )
    return {
        "at": event.time,
        "device": device.identity(),
        "label": device.label,
        "model": device.model,
        "node": device.node,
        "medium": medium.id if medium else None,
        "holder": medium.holder if medium else None,
    }


@dataclass(frozen=True)
class Insertion:
    """A medium inserted (or removed) on this PC, from the media log."""

    time: str
    action: str  # "inserted" or "removed"
    medium: str | None  # None: not registered
    holder: str | None
    label: str
    model: str
    serial_tail: str  # the last 6 characters of the serial: enough to find the stick

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def insertions_between(start: str, end: str) -> tuple[list[Insertion], bool]:
    """Every insertion and removal the media log holds from ``start`` to ``end``
    (UTC ISO times, to the second), and whether a watcher was running at
    ``start`` and did not stop before ``end`` (the caller also asks
    :func:`watching`: a watcher killed without its ``watch-stopped``)."""
    found: list[Insertion] = []
    watched = stopped = False
    for event in media_log().events():
        if event.get("stage") != "media":
            continue
        time, outcome = str(event["time"]), event.get("outcome")
        if time > end:
            break
        if outcome == "watch-started" and time <= start:
            watched = True
        elif outcome == "watch-stopped":
            if time <= start:
                watched = False
            else:
                stopped = True
        elif outcome in ("inserted", "removed") and time >= start:
            device = dict(event.get("device") or {})
            found.append(
                Insertion(
                    time=str(event.get("at") or time),
                    action=str(outcome),
                    medium=event.get("medium"),
                    holder=event.get("holder"),
                    label=str(event.get("label", "")),
                    model=str(event.get("model", "")),
                    serial_tail=str(device.get("serial", ""))[-6:],
                )
            )
    return found, watched and not stopped
