"""A run's media rule: the insertions of its window for its report, and — for a
production run whose plan says ``media: none`` or ``media: {watch: required}``
— the check made before its commit."""

from __future__ import annotations

from typing import Any

from ikou.errors import CheckFailed
from ikou.pipeline.media.register import media_folder
from ikou.pipeline.media.watch import insertions_between, watching
from ikou.pipeline.session import Session, utc_now

__all__ = ["media_window", "watch_needed"]


def watch_needed(rule: Any) -> bool:
    """Whether the plan's ``media`` rule needs ``ikou media watch`` running."""
    return rule == "none" or (rule is not None and rule.watch == "required")


def _started(session: Session) -> str:
    for event in session.writer.events():
        if event.get("run_id") == session.run_id and event.get("stage") == "run":
            return str(event["time"])
    return utc_now()


def media_window(session: Session, extra: dict[str, Any]) -> None:
    """The run's window in the PC's media log, as ``extra["media"]`` for the report
    (nothing when the plan has no media rule and the PC has no media log); raises
    :class:`CheckFailed` for a production run that breaks its plan's rule —
    inside the load's transaction, so nothing is committed."""
    rule = session.plan.plan.media
    if rule is None and not (media_folder() / "media.log").exists():
        return
    events, covered = insertions_between(_started(session), utc_now())
    watched = covered and watching()
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
    inserted = [e for e in events if e.action == "inserted"]
    if rule == "none" and inserted:
        raise CheckFailed(
            f"{len(inserted)} removable medium insertion(s) during the run, which the plan "
            "forbids (media: none); nothing was committed. The report lists when and which.",
            slug="media.inserted",
        )
