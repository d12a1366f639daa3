"""A run's media rule: the insertions of its window for its report, and — for a
production run whose plan says ``media: none`` or ``media: {watch: required}``
— the check made before its commit.

A run counts as watched only when the media log shows one watcher of this
PC's own devices over the whole window (:func:`~.watch.insertions_between`)
*and* that watcher answers a ping now (:func:`~.watch.answered`): a lock file
held by someone else, a killed or stopped watcher, or one watching the folder
simulation does not pass. Under ``media: none`` a removal in the window fails
the run as an insertion does (the stick was in the PC during the run), and so
does a medium still mounted at the commit.
"""

from __future__ import annotations

from typing import Any

from ikou.errors import CheckFailed, MediaUnavailableError
from ikou.pipeline.media.devices import devices
from ikou.pipeline.media.register import media_folder
from ikou.pipeline.media.watch import answered, insertions_between, watching
from ikou.pipeline.session import Session, utc_now

__all__ = ["media_window", "mounted_now", "watch_needed"]


def watch_needed(rule: Any) -> bool:
    """Whether the plan's ``media`` rule needs ``ikou media watch`` running."""
    return rule == "none" or (rule is not None and rule.watch == "required")


def _started(session: Session) -> str:
    for event in session.writer.events():
        if event.get("run_id") == session.run_id and event.get("stage") == "run":
            return str(event["time"])
    return utc_now()


def _backend() -> str | None:
    """The name of this process's device backend (None: the OS gives none)."""
    try:
        return devices().name
    except MediaUnavailableError:
        return None


def mounted_now() -> int:
    """How many removable media are mounted now (0 where the OS cannot tell)."""
    try:
        return sum(device.root is not None for device in devices().present())
    except MediaUnavailableError:
        return 0


def media_window(session: Session, extra: dict[str, Any]) -> None:
    """The run's window in the PC's media log, as ``extra["media"]`` for the report
    (nothing when the plan has no media rule and the PC has no media log); raises
    :class:`CheckFailed` for a production run that breaks its plan's rule —
    inside the load's transaction, so nothing is committed."""
    rule = session.plan.plan.media
    if rule is None and not (media_folder() / "media.log").exists():
        return
    alive = watching() and answered()  # first: the window then reaches past the answer
    backend = _backend()
    events, covered = insertions_between(_started(session), utc_now(), backend=backend)
    watched = covered and alive and backend is not None
    unregistered = [e for e in events if e.action == "inserted" and e.medium is None]
    window = {
        "rule": None if rule is None else ("none" if rule == "none" else f"watch {rule.watch}"),
        "watched": watched,
        "events": [e.as_dict() for e in events],
        "unregistered": len(unregistered),
    }
    extra["media"] = window
    if session.mode != "production" or rule is None:
        return
    if watch_needed(rule) and not watched:
        raise CheckFailed(
            "no ikou media watch recorded this PC's removable media over the whole run, which "
            "the plan's media rule requires; nothing was committed.",
            slug="media.not_watched",
        )
    if rule == "none" and events:
        raise CheckFailed(
            f"{len(events)} removable medium insertion(s) or removal(s) during the run, which "
            "the plan forbids (media: none); nothing was committed. The report lists when and "
            "which.",
            slug="media.inserted",
        )
    mounted = mounted_now() if rule == "none" else 0
    if mounted:
        raise CheckFailed(
            f"{mounted} removable medium (media) mounted in this PC at the commit, which the plan "
            "forbids (media: none); nothing was committed. Take it out and run again.",
            slug="media.inserted",
        )
