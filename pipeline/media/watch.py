"""The PC's insertion log: ``ikou media watch`` records every insertion and
removal of a removable medium while it runs, registered or not, in the PC's
media log; a run reads back the ones in its own window.

Only one watcher runs at a time: it holds ``watch.lock`` in the media folder.
A lock says little on its own — anyone who can open the file can hold it, and
a watcher can be killed (no ``watch-stopped``) or stopped (SIGSTOP: the lock
held, nothing seen) — so a run believes a watcher only when the log shows one
running from before the run with no stop, restart or gap in the window, and
the watcher answers the run's ping (:func:`answered`) through the log, which
only ikou with the key store can write. The watcher notices its own gaps: a
tick of its clock that comes seconds late means it was stopped, and it says so
in the log (``watch-gap``) before it answers anything.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ikou.audit.chain import ChainBroken, ChainWriter
from ikou.audit.platform import ProcessLock
from ikou.errors import MediaError, TamperedError
from ikou.pipeline.media.devices import DeviceEvent, devices
from ikou.pipeline.media.register import broken, media_folder, media_log, note, registered
from ikou.pipeline.session import utc_now

__all__ = ["Insertion", "answered", "insertions_between", "watch", "watching"]

_TICK = 0.5  # seconds between two looks of the watcher's clock and pings
_GAP = 3.0  # a tick this late: the watcher was stopped (or starved) and may have missed media
_PING = "watch-ping-"
_PING_NAME = re.compile(r"watch-ping-[0-9a-f]{32}")
_PINGS_PER_TICK = 8  # a folder full of pings makes a long log, not a stuck watcher


def _lock() -> ProcessLock | None:
    """The watch lock, or None when ``watch.lock`` is a link or not a plain file
    (opening it would create or lock whatever it points to)."""
    path = media_folder() / "watch.lock"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return ProcessLock(path)
    except OSError:
        return None
    return ProcessLock(path) if stat.S_ISREG(info.st_mode) else None


def watching() -> bool:
    """Whether something holds the watch lock now — a watcher, probably; a run
    also asks :func:`answered`. A lock that is a link, a folder or unreadable is
    no watcher (False), never an error."""
    lock = _lock()
    if lock is None:
        return False
    try:
        if lock.acquire():
            lock.release()
            return False
    except OSError:
        return False
    return True


def watch(stop: threading.Event, heard: Callable[[dict[str, Any]], None] | None = None) -> int:
    """Record every insertion and removal until ``stop`` is set; how many.

    Each event names the device (serial, filesystem UUID, label, model, node)
    and, when it is registered, the medium and its holder. Alongside, a ticker
    records gaps in the watcher's own time and answers runs' pings."""
    lock = _lock()
    try:
        held = lock is not None and lock.acquire()
    except OSError:
        held = False
    if lock is None or not held:
        raise MediaError(
            f"another ikou media watch is already running on this PC, or its lock file is not "
            f"a plain file ({media_folder() / 'watch.lock'}).",
            file=str(media_folder() / "watch.lock"),
        )
    try:
        backend = devices()
        events = backend.events(stop)  # raises where the OS gives no events: nothing logged
        log = media_log()
        guard = threading.Lock()  # one writer, two threads
        note(log, "watch-started", backend=backend.name)
    except BaseException:
        lock.release()
        raise
    count = 0
    ended = threading.Event()  # the ticker's own stop: the loop may also end by an error
    ticker = threading.Thread(target=_tick, args=(log, guard, stop, ended), daemon=True)
    ticker.start()
    try:
        for event in events:
            count += 1
            with guard:
                log.refresh()  # registrations and retirements since: the medium as it is now
                facts = _facts(event, log)
                note(log, event.action, **facts)
            if heard is not None:
                heard({"outcome": event.action, **facts})
    finally:
        try:
            ended.set()
            ticker.join()
            with guard:
                note(log, "watch-stopped", counts={"events": count})
        finally:
            lock.release()
    return count


def _tick(
    log: ChainWriter, guard: threading.Lock, stop: threading.Event, ended: threading.Event
) -> None:
    """Every half second: record a gap if the last tick was seconds ago (the
    process was stopped), then answer new pings. A ticker that dies answers no
    ping, so runs then count the PC as not watched."""
    answered_pings: set[str] = set()
    last, since = time.monotonic(), utc_now()
    while not ended.wait(_TICK) and not stop.is_set():
        now = time.monotonic()
        if now - last > _GAP:
            with guard:
                note(log, "watch-gap", since=since, seconds=int(now - last))
        last, since = now, utc_now()
        for name in _pings(answered_pings):
            answered_pings.add(name)
            with guard:
                note(log, "watch-alive", ping=name[len(_PING) :])


def _pings(seen: set[str]) -> list[str]:
    """The ping files in the media folder not answered yet (a few per tick)."""
    try:
        with os.scandir(media_folder()) as entries:
            names = [e.name for e in entries if _PING_NAME.fullmatch(e.name)]
    except OSError:
        return []
    return [name for name in sorted(names) if name not in seen][:_PINGS_PER_TICK]


def answered(timeout: float = 3.0) -> bool:
    """Whether a watcher answers a ping now: a new random name in the media folder
    that only a live, running watcher turns into a ``watch-alive`` event of the
    log. A killed watcher whose lock someone else holds, or a stopped one, does not."""
    nonce = secrets.token_hex(16)
    ping = media_folder() / f"{_PING}{nonce}"
    try:
        os.close(os.open(ping, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # never a link
    except OSError:
        return False
    try:
        log = media_log()
        seen = 0
        deadline = time.monotonic() + timeout
        while True:
            events = list(log.events())
            if any(
                e.get("outcome") == "watch-alive" and e.get("ping") == nonce for e in events[seen:]
            ):
                return True
            seen = len(events)
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
            try:
                log.refresh()
            except ChainBroken as exc:
                raise broken(log.path, exc) from None
    finally:
        try:
            ping.unlink()
        except OSError:
            pass


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


def insertions_between(
    start: str, end: str, *, backend: str | None = None
) -> tuple[list[Insertion], bool]:
    """Every insertion and removal the media log holds from ``start`` to ``end``
    (UTC ISO times, to the second), and whether one watcher covered the whole
    window: started at or before ``start`` (through ``backend``'s devices, when
    given — a watcher of the folder simulation sees no real stick), and neither
    stopped, started again (the one before was killed) nor stopped for seconds
    (``watch-gap``) inside it. The caller also asks :func:`answered`: a
    watcher killed or stopped now leaves no event saying so.

    Events are read in the log's order and each is judged by its own time, so
    a clock set back during the window hides nothing after it."""
    found: list[Insertion] = []
    watched = broken = False
    watcher: Any = None
    log = media_log()
    for number, event in enumerate(log.events(), start=1):
        if event.get("stage") != "media":
            continue
        time_, outcome = event.get("time"), event.get("outcome")
        if not isinstance(time_, str) or not isinstance(outcome, str):
            raise _malformed(log, number)
        if time_ > end:
            continue
        if outcome == "watch-started":
            if time_ <= start:
                watched, broken, watcher = True, False, event.get("backend")
            else:
                broken = True  # a watcher began in the window: the one before had died
        elif outcome == "watch-stopped":
            if time_ <= start:
                watched = False
            else:
                broken = True
        elif outcome == "watch-gap" and time_ >= start:
            broken = True  # recorded as the watcher woke: the gap reached into the window
        elif outcome in ("inserted", "removed") and time_ >= start:
            found.append(_insertion(event, outcome, time_, log, number))
    if backend is not None and watcher != backend:
        watched = False
    return found, watched and not broken


def _insertion(event: dict[str, Any], outcome: str, time_: str, log: Any, n: int) -> Insertion:
    device = event.get("device") or {}
    texts = [event.get("at", time_), event.get("label", ""), event.get("model", "")]
    named = [event.get("medium"), event.get("holder")]
    if (
        not isinstance(device, dict)
        or not isinstance(device.get("serial", ""), str)
        or not all(isinstance(text, str) for text in texts)
        or not all(name is None or isinstance(name, str) for name in named)
    ):
        raise _malformed(log, n)
    return Insertion(
        time=texts[0],
        action=outcome,
        medium=named[0],
        holder=named[1],
        label=texts[1],
        model=texts[2],
        serial_tail=device.get("serial", "")[-6:],
    )


def _malformed(log: Any, number: int) -> TamperedError:
    path: Path = log.path
    return TamperedError(
        f"event {number} of the media log {path} is not an event ikou writes; ikou does "
        "nothing with media until the IT section has looked (docs/media.md)."
    )
