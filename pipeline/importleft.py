"""What later runs do with the import files a run left: the dead run's, and ikou shred's.

A run writes its import file under a temporary name and places it with its
commit (:mod:`ikou.pipeline.importfiles`). A run killed in between leaves the
temporary file; the next command that opens a session on the workspace ends it
(:func:`settle_left`), and ``ikou shred`` destroys every file a run placed
(:func:`placed_files`). Both act only on what the verified custody journal
says a run wrote, by the name ikou gives it and, once written, by its identity.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from ikou.audit.chain import SEAL
from ikou.audit.hashing import file_sha256
from ikou.audit.shredding import FileIdentity, NotOurs, shred_file
from ikou.errors import ImportFileError
from ikou.pipeline.session import Session

__all__ = [
    "fsync_folder",
    "move_no_replace",
    "placed_files",
    "placed_states",
    "settle_left",
    "temp_for",
]


def temp_for(path: Path, run_id: str) -> Path:
    """Where run ``run_id`` writes ``path`` before its commit places it."""
    return path.with_name(f".{path.name}.{run_id}.part")


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the OS can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows cannot open a folder
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _journal_records(entries: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Each (run, table)'s import file as the journal tells it, its lines merged."""
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        event = str(entry.get("event", ""))
        if not event.startswith("import."):
            continue
        key = (str(entry.get("run_id")), str(entry.get("table")))
        record = records.setdefault(key, {"order": len(records)})
        record.update({k: v for k, v in entry.items() if k != "event"})
        record[event.removeprefix("import.")] = True
    return records


def settle_left(session: Session) -> None:
    """End the import files of runs that died: a temporary file left by a run the
    chain now seals ``reconciled`` (it died after its commit) is placed when it is
    still the file written; any other is shredded. Chained by this run, journalled
    under the dead run's id."""
    entries = session.journal.entries()
    seals = {
        str(e.get("run_id")): str(e.get("outcome"))
        for e in session.writer.events()
        if e.get("stage") == SEAL
    }
    for (run_id, table), record in _journal_records(entries).items():
        if run_id == session.run_id or record.get("placed") or record.get("discarded"):
            continue
        if run_id not in seals or not record.get("registered"):
            continue  # alive, or not yet ended by recovery: left alone
        path, temp = Path(str(record["path"])), Path(str(record["temp"]))
        if temp != temp_for(path, run_id):
            continue  # not a name ikou gives: never touched
        note = _dead_recorder(session, run_id)
        if not os.path.lexists(temp):
            note("discarded", table, path, temp=str(temp), verified=True, absent=True)
            continue
        identity = None
        if record.get("written"):
            identity = FileIdentity(int(record["device"]), int(record["inode"]),
                                    int(record["size"]), str(record["sha256"]))  # fmt: skip
        ours = identity is not None and is_the_file(temp, identity)
        if not ours:  # not the file the journal records (a link, a copy, a stranger's):
            note("discarded", table, path, temp=str(temp), verified=False, reason="not_ours")
            continue  # never overwritten, renamed or removed — the certificate says so
        if seals[run_id] == "reconciled" and _placed(temp, path, identity):
            note("placed", table, path, sha256=record["sha256"], size=record["size"],
                 rows=record.get("rows"), device=record["device"], inode=record["inode"],
                 recovered=True)  # fmt: skip
            continue
        try:
            verified = shred_file(temp, expect=identity)
        except (NotOurs, OSError):
            verified = False
        note("discarded", table, path, temp=str(temp), verified=verified)


def move_no_replace(temp: Path, path: Path, identity: FileIdentity) -> None:
    """Give the file at ``temp`` the name ``path`` without ever replacing a file
    there: a hard link (which fails when ``path`` exists), checked to be the
    file ikou wrote, then the temporary name removed. Where the filesystem has
    no hard links, a rename after the check above (a narrow window remains;
    ``ikou reconcile`` hashes the placed file again)."""
    plain = {"follow_symlinks": False} if os.link in os.supports_follow_symlinks else {}
    try:
        os.link(temp, path, **plain)
    except FileExistsError:
        raise ImportFileError(
            f"{path} appeared during the run; the import file stays at {temp} "
            "(ikou shred destroys it).",
            file=str(path),
        ) from None
    except (OSError, NotImplementedError):
        os.rename(temp, path)
        return
    if not is_the_file(path, identity):  # swapped between the check and the link
        os.unlink(path)  # the name this call made, never the file behind it
        raise ImportFileError(
            f"{temp} was replaced while it was placed; nothing was placed.", file=str(temp)
        )
    os.unlink(temp)


def _placed(temp: Path, path: Path, identity: FileIdentity | None) -> bool:
    """Place a dead run's file; ``False`` when a file took its name meanwhile or
    it was swapped (then it is shredded like any other leftover, or left)."""
    if identity is None or os.path.lexists(path):
        return False
    try:
        move_no_replace(temp, path, identity)
    except ImportFileError:
        return False
    fsync_folder(path.parent)
    return True


def is_the_file(path: Path, identity: FileIdentity) -> bool:
    """Whether ``path`` is, itself and not through a link, the regular file ikou
    wrote: the same device and inode, and the same bytes as recorded."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (
        identity.device,
        identity.inode,
    ):
        return False
    return identity.sha256 is None or file_sha256(path) == identity.sha256


def _dead_recorder(session: Session, run_id: str) -> Any:
    """Record what became of a dead run's file: in the chain by this run (a sealed
    run's chain takes nothing more), naming the dead one; in the journal under the
    dead run's id, where its file's lines are."""

    def note(outcome: str, table: str, path: Path, **facts: Any) -> None:
        session.recorder.note(
            "import-file", outcome, of_run=run_id, table=table, file=str(path), **facts
        )
        session.journal.append(
            {"event": f"import.{outcome}", "run_id": run_id, "table": table,
             "path": str(path), "by": session.run_id, **facts}
        )  # fmt: skip

    return note


def placed_files(entries: list[dict[str, Any]], sealed: set[str]) -> list[dict[str, Any]]:
    """What ``ikou shred`` destroys: each import file placed and not yet shredded
    (the latest at a path, with the identity it was placed with), and any
    temporary file a run left unended (of a ``sealed`` run only: a live run's
    file is its own)."""
    records = sorted(_journal_records(entries).items(), key=lambda kv: kv[1]["order"])
    latest: dict[str, dict[str, Any]] = {}
    for (run_id, table), record in records:
        if not record.get("registered"):
            continue
        item = {"run_id": run_id, "table": table, **record}
        if record.get("placed"):
            latest[str(record["path"])] = item
        elif run_id not in sealed or record.get("discarded"):
            continue
        elif os.path.lexists(str(record.get("temp"))):
            latest[str(record["temp"])] = {**item, "unfinished": True}
    out = []
    for where, item in latest.items():
        if item.get("shredded"):
            continue
        identity = None
        if item.get("device") is not None and item.get("inode") is not None:
            identity = FileIdentity(int(item["device"]), int(item["inode"]),
                                    int(item["size"]), str(item["sha256"]))  # fmt: skip
        out.append({**item, "file": where, "identity": identity})
    return out


def placed_states(entries: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    """What became of each import file run ``run_id`` placed, for ``ikou
    reconcile``: ``unchanged`` (its bytes still have the SHA-256 it was placed
    with), ``changed``, ``shredded`` (by ``ikou shred``) or ``absent`` (moved
    or deleted outside ikou — the vendor's loader may have taken it). A path
    that is a link or not a regular file is ``changed``: ikou never reads
    through it."""
    out = []
    for (run, table), record in _journal_records(entries).items():
        if run != run_id or not record.get("placed"):
            continue
        path = Path(str(record["path"]))
        if record.get("shredded"):
            state = "shredded"
        elif not os.path.lexists(path):
            state = "absent"
        elif not stat.S_ISREG(os.lstat(path).st_mode):
            state = "changed"
        else:
            state = "unchanged" if file_sha256(path) == record.get("sha256") else "changed"
        out.append({"table": table, "file": str(path), "sha256": record.get("sha256"),
                    "rows": record.get("rows"), "state": state})  # fmt: skip
    return out
