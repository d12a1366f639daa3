"""``ikou shred --certificate``: the end of custody, and its destruction certificate."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ikou import __version__
from ikou.audit.artifacts import Tampered, open_runs, recover_artifacts
from ikou.audit.chain import SEAL, key_folder
from ikou.audit.shredding import FileIdentity, NotOurs, inside, shred_file
from ikou.errors import TamperedError
from ikou.pipeline.importleft import placed_files
from ikou.pipeline.plan import load_plan
from ikou.pipeline.report import RunReport, record_report
from ikou.pipeline.run import (
    open_session,
)
from ikou.pipeline.session import utc_now

__all__ = ["ShredResult", "shred_workspace"]


@dataclass
class ShredResult:
    """What ``ikou shred --certificate`` destroyed, and the certificate."""

    items: list[dict[str, Any]]
    certificate: Path
    chain_head: str


_KINDS = {
    "artifact": "artifact",
    "rehearsal target database": "rehearsal_target",
    "vendor import file": "import_file",
    "record fingerprints": "fingerprints",
    "sealed manifest": "manifest",
    "fingerprint and manifest key": "key",
}

_KEY_ID = re.compile(r"^[0-9a-f]{16}$")


def shred_workspace(plan_path: str | Path, *, witness: str | None, lang: str = "ja") -> ShredResult:
    """Destroy every copy the workspace's runs left and certify it.

    The chain and the journal are verified first (the session's gate); what
    is destroyed is taken from them — never from a name found lying in the
    workspace: any artifact the journal still holds, every rehearsal target
    a run wrote (wherever the plan put it), every vendor import file a run
    placed (once the office confirms the vendor's import), the record fingerprints and
    manifests, and the key that made them (its destruction is the
    cryptographic erase of any copy of them elsewhere). Each file is checked
    to be the one ikou wrote before it is overwritten; one that cannot be
    destroyed, or a key that is missing, is an item the certificate marks as
    failed, not an omission. Keeps the audit log, the journal and the
    reports: they hold no values and are the record.
    """
    plan = load_plan(plan_path)
    workspace = plan.workspace
    session = open_session(plan, "shred")  # verifies, and ends dead runs first
    recorder = session.recorder
    items: list[dict[str, Any]] = []

    def record(what: str, shown: str, **item: Any) -> None:
        items.append({"what": what, "kind": _KINDS[what.split(" (")[0]], "file": shown, **item})
        recorder.note(
            "shred",
            "ok" if item["verified"] else "failed",
            what=what,
            output_sha256=item.get("sha256"),
            counts={"bytes": item.get("bytes") or 0},
            problem=item.get("problem"),
        )

    def destroy(path: Path, what: str, expect: FileIdentity | None = None) -> None:
        inner = path.is_relative_to(workspace)
        shown = path.relative_to(workspace).as_posix() if inner else str(path)
        try:
            data = _read_no_follow(path)
            verified = shred_file(path, expect=expect)
        except (NotOurs, OSError) as exc:
            record(what, shown, verified=False, reason="not_ours", problem=str(exc), time=utc_now())
            return
        record(
            what,
            shown,
            sha256=hashlib.sha256(data).hexdigest(),
            bytes=len(data),
            method="overwritten with random bytes, fsynced, renamed, unlinked",
            verified=verified,
            time=utc_now(),
        )

    try:
        entries = session.journal.entries()
        for run_id in {str(e.get("run_id")) for e in entries} - set(open_runs(entries)):
            left = recover_artifacts(workspace, session.journal, run_id, recorder.note)
            for artifact in left:
                if not artifact.verified:
                    record(
                        f"artifact ({artifact.purpose})",
                        Path(artifact.path).name,
                        verified=False,
                        reason="not_gone",
                        problem="not verified gone",
                        time=utc_now(),
                    )
        for path, expect in _rehearsal_targets(workspace, list(session.writer.events())):
            destroy(path, "rehearsal target database", expect)
        _destroy_import_files(session, destroy, record, items)
        for folder, pattern, what in (
            ("fingerprints", "*.npz", "record fingerprints (keyed digests)"),
            ("manifests", "*.json", "sealed manifest (keyed digests)"),
        ):
            for path in sorted((workspace / folder).glob(pattern)):
                if inside(path, workspace):
                    destroy(path, what)
                else:
                    record(
                        what,
                        path.name,
                        verified=False,
                        reason="link",
                        problem="reached through a link",
                    )
        _destroy_key(workspace, destroy, record)
    except Tampered as exc:
        session.fail(TamperedError(f"{exc}."))
        raise TamperedError(f"{exc}.") from None
    except BaseException as exc:
        session.fail(exc)
        raise
    session.store.shred_all()
    failed = sum(not i["verified"] for i in items)
    head = recorder.note(
        "result",
        "shredded" if not failed else "incomplete",
        counts={"files": len(items), "failed": failed},
        witness=witness or None,
    )
    data = {
        "ikou_version": __version__,
        "run_id": session.run_id,
        "mode": "shred",
        "generated": utc_now(),
        "plan": {"name": plan.plan.plan},
        "plan_sha256": plan.sha256,
        "owner": plan.plan.people.owner if plan.plan.people else None,
        "operator": plan.plan.people.operator if plan.plan.people else None,
        "witness": witness,
        "items": items,
        "chain_head": head,
    }
    report = RunReport(data)
    _, html = record_report(
        report, session.run_dir, recorder.note, lang=lang, template="certificate.html"
    )
    session.end("shredded" if not failed else "incomplete")
    return ShredResult(items, html, head)


def _read_no_follow(path: Path) -> bytes:
    if path.is_symlink():
        raise NotOurs(f"{path} is a link")
    return path.read_bytes()


def _rehearsal_targets(
    workspace: Path, events: list[dict[str, Any]]
) -> list[tuple[Path, FileIdentity | None]]:
    """Every SQLite file a rehearsal wrote, as the chain records it (wherever it
    is), with the identity its commit recorded; and its journal files."""
    found: dict[Path, FileIdentity | None] = {}
    for event in events:
        if event.get("mode") != "rehearsal" or not event.get("target_file"):
            continue
        path = Path(str(event["target_file"]))
        commit = next(
            (
                e
                for e in events
                if e.get("run_id") == event["run_id"] and e.get("stage") == "commit"
            ),
            {},
        )
        identity = commit.get("target_identity")
        expect = (
            FileIdentity(int(identity["device"]), int(identity["inode"]))
            if isinstance(identity, dict)
            else None
        )
        for candidate in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal"))):
            if os.path.lexists(candidate):
                found[candidate] = expect if candidate == path else None
    return sorted(found.items())


def _destroy_import_files(
    session: Any, destroy: Callable[..., None], record: Callable[..., None], items: list[Any]
) -> None:
    """Every vendor import file the journal says a run placed and nothing shredded
    yet (and any a run left under its temporary name), checked to be the file
    ikou wrote; each outcome journalled, so the file is never destroyed twice."""
    sealed = {str(e.get("run_id")) for e in session.writer.events() if e.get("stage") == SEAL}
    for found in placed_files(session.journal.entries(), sealed):
        path = Path(str(found["file"]))
        what = "vendor import file" + (" (unfinished)" if found.get("unfinished") else "")
        if not os.path.lexists(path):
            record(what, str(path), verified=False, reason="absent", problem="already gone",
                   time=utc_now())  # fmt: skip
        else:
            destroy(path, what, found["identity"])
        session.journal.append(
            {"event": "import.shredded", "run_id": found["run_id"], "table": found["table"],
             "path": str(found["path"]), "verified": bool(items[-1]["verified"]),
             "by": session.run_id}
        )  # fmt: skip


def _destroy_key(
    workspace: Path, destroy: Callable[..., None], record: Callable[..., None]
) -> None:
    """The fingerprint and manifest key, named by the workspace's KEY_ID."""
    id_file = workspace / "fingerprints" / "KEY_ID"
    what = "fingerprint and manifest key (cryptographic erase)"
    if not id_file.exists():
        return
    key_id = id_file.read_text(encoding="ascii", errors="replace").strip()
    if not _KEY_ID.match(key_id):
        record(
            what,
            "KEY_ID",
            verified=False,
            reason="key_id",
            problem="the workspace's KEY_ID is not a key id",
        )
        return
    path = key_folder() / f"{key_id}.key"
    if not os.path.lexists(path):
        record(
            what,
            path.name,
            verified=False,
            reason="key_missing",
            problem=f"the key is not in the key store {key_folder()}: it cannot be destroyed "
            "here; destroy it where it is kept, or confirm it is gone",
        )
        return
    destroy(path, what)
