"""The privacy council's decision, recorded against the exact plan it decided on.

A council approves a plan, not a promise (DESIGN.md, principle 7). ``ikou
council record`` writes the decision — the council, the agenda item, the
day, approved / conditional / rejected, and the council's conditions — into
the plan's workspace audit chain as one authenticated ``council`` event,
together with the plan's SHA-256 and the SHA-256 of every file behind it
(plan, mapping, contract, lookup tables, 外字表). The production preflight
reads the latest decision back from the verified chain only
(:func:`latest_decision`), so a line written by anyone without this
installation's audit key never counts.

The conditions are the council's words, not personal data: they are kept in
the chain and printed on the sign-off sheet for the witness to tick.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ikou.errors import BadInput
from ikou.pipeline.importspec import gaiji_files
from ikou.pipeline.plan import LoadedPlan, load_plan
from ikou.pipeline.session import open_session

__all__ = [
    "DECISIONS",
    "STAGE",
    "Decision",
    "changed_files",
    "council_facts",
    "latest_decision",
    "plan_files",
    "read_conditions",
    "record_decision",
]

DECISIONS = ("approved", "conditional", "rejected")
STAGE = "council"
"""The chain event's ``stage`` (and the mode of the run that records it)."""
MAX_CONDITIONS_BYTES = 64 * 1024
"""A council's conditions fill a page, not a megabyte (an audit line's limit)."""
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Decision:
    """One council decision as the chain holds it (no value of any source)."""

    body: str
    item: str
    date: str
    decision: str
    conditions: tuple[str, ...]
    plan: str
    plan_sha256: str
    files: dict[str, str]
    recorded: str
    recorded_by: str

    def as_dict(self) -> dict[str, Any]:
        """For report.json: every field, the conditions as a list."""
        return {**asdict(self), "conditions": list(self.conditions)}


def _shown(path: Path, base: Path) -> str:
    """``path`` as written from the plan's folder (its name alone across drives)."""
    try:
        return Path(os.path.relpath(path, base)).as_posix()
    except ValueError:
        return path.name


def plan_files(plan: LoadedPlan) -> dict[str, str]:
    """Every file behind the plan's SHA-256, by its path from the plan's folder
    (``mapping.yaml``, ``estates.csv``) → its SHA-256."""
    gaiji = gaiji_files(plan.plan.target.files, plan.base)
    own = {"plan": plan.path, "mapping": plan.mapping_path, "contract": plan.contract_path}
    named: dict[str, str] = {}
    for role, digest in plan.file_sha256.items():
        kind, _, rest = role.partition(":")
        if role in own:
            named[_shown(own[role], plan.base)] = digest
        elif kind == "lookup":
            path = Path(os.path.normpath(plan.mapping_path.parent / rest))
            named[_shown(path, plan.base)] = digest
        elif kind == "gaiji" and rest in gaiji:
            named[_shown(gaiji[rest], plan.base)] = digest
        else:
            named[role] = digest
    return named


def _checked_date(day: str) -> str:
    """The council's day as ``YYYY-MM-DD``, not after today (BadInput otherwise)."""
    try:
        if not _ISO_DATE.fullmatch(day):
            raise ValueError
        parsed = dt.date.fromisoformat(day)
    except ValueError:
        raise BadInput(
            f"--date {day!r} is not a day written YYYY-MM-DD (e.g. 2010-10-07).", key="--date"
        ) from None
    if parsed > dt.date.today():
        raise BadInput(f"--date {day} is after today: record a decision once it is made.")
    return parsed.isoformat()


def read_conditions(path: Path) -> tuple[str, ...]:
    """The council's conditions: one per non-blank line of a UTF-8 text file."""
    try:
        size = path.stat().st_size
        if size > MAX_CONDITIONS_BYTES:
            raise BadInput(
                f"the conditions file {path} holds {size:,} bytes, more than a council's "
                f"conditions ({MAX_CONDITIONS_BYTES:,}); give the conditions alone.",
                file=str(path),
            )
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise BadInput(
            f"cannot read the conditions file {path}: {exc.strerror}.", file=str(path)
        ) from None
    except UnicodeDecodeError as exc:
        raise BadInput(
            f"the conditions file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8.",
            file=str(path),
        ) from None
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def record_decision(
    plan_path: str | Path,
    *,
    body: str,
    item: str,
    date: str,
    decision: str,
    conditions_file: Path | None = None,
) -> Decision:
    """Record the council's ``decision`` on the plan at ``plan_path`` in its
    workspace's audit chain (verified first), bound to the plan's SHA-256 and
    every plan file's. Everything given is checked before anything is written."""
    if decision not in DECISIONS:
        raise BadInput(f"--decision must be one of {', '.join(DECISIONS)}.", key="--decision")
    for option, text in (("--body", body), ("--item", item)):
        if not text.strip():
            raise BadInput(f"{option} is empty: write it as the council's record does.")
    day = _checked_date(date)
    conditions = read_conditions(conditions_file) if conditions_file is not None else ()
    if decision == "conditional" and not conditions:
        raise BadInput(
            "a conditional decision needs its conditions: --conditions FILE, one per line."
        )
    plan = load_plan(plan_path)
    files = plan_files(plan)
    session = open_session(plan, STAGE)  # verifies the chain before it is written
    try:
        session.recorder.note(
            STAGE,
            decision,
            body=body.strip(),
            item=item.strip(),
            date=day,
            conditions=list(conditions),
            plan=plan.plan.plan,
            plan_sha256=plan.sha256,
            files=files,
        )
    except BaseException as exc:
        session.fail(exc)
        raise
    session.end("recorded")
    found = latest_decision(list(session.writer.events()), plan.plan.plan)
    assert found is not None
    return found


def _decision(event: dict[str, Any]) -> Decision | None:
    """The decision an authenticated ``council`` event holds (``None`` if malformed)."""
    conditions, files = event.get("conditions"), event.get("files")
    fields = [event.get(k) for k in ("body", "item", "date", "plan", "plan_sha256", "time")]
    if not all(isinstance(f, str) for f in fields) or event.get("outcome") not in DECISIONS:
        return None
    if not isinstance(conditions, list) or not isinstance(files, dict):
        return None
    body, item, date, plan, sha256, time = (str(f) for f in fields)
    return Decision(
        body=body,
        item=item,
        date=date,
        decision=str(event["outcome"]),
        conditions=tuple(str(c) for c in conditions),
        plan=plan,
        plan_sha256=sha256,
        files={str(k): str(v) for k, v in files.items()},
        recorded=time,
        recorded_by=str(event.get("actor", "unknown")),
    )


def latest_decision(events: list[dict[str, Any]], plan_name: str) -> Decision | None:
    """The most recent council decision recorded for the plan named ``plan_name``.

    ``events`` must be the verified chain (``session.writer.events()``): each
    event's authentication tag was checked under this installation's key.
    """
    for event in reversed(events):
        if event.get("stage") == STAGE and event.get("mode") == STAGE:
            if event.get("plan") == plan_name and (found := _decision(event)) is not None:
                return found
    return None


def changed_files(plan: LoadedPlan, decision: Decision) -> list[str]:
    """The plan's files whose SHA-256 differs from the decision's, or that were
    added or removed since, by name."""
    now = plan_files(plan)
    names = sorted(set(now) | set(decision.files))
    return [name for name in names if now.get(name) != decision.files.get(name)]


def council_facts(plan: LoadedPlan, events: list[dict[str, Any]]) -> dict[str, Any]:
    """What the production report says of the council (report.json's ``council``):
    not required and why, or the latest decision (``decision: None`` if none)."""
    rule = plan.plan.council
    if not rule.required:
        return {"required": False, "reason": rule.reason}
    found = latest_decision(events, plan.plan.plan)
    if found is None:
        return {"required": True, "decision": None}
    return {"required": True, **found.as_dict(), "this_plan": found.plan_sha256 == plan.sha256}
