"""``ikou media erase``: before a medium goes back (a leased PC's stick, a
vendor's), destroy everything ikou wrote on it — by the media log, never by
what happens to lie on it — verify it, retire the medium, and certify it.

What overwriting a file on flash memory can and cannot promise is in
docs/media.md: wear levelling keeps old blocks out of reach of any file
operation, so the certificate says what was done, not that no trace remains.
"""

from __future__ import annotations

import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ikou import __version__
from ikou.audit.hashing import file_sha256
from ikou.audit.shredding import NotOurs, shred_file
from ikou.errors import MediaError
from ikou.pipeline.media.devices import devices
from ikou.pipeline.media.register import (
    IDENTITY,
    USAGE,
    Medium,
    check_medium,
    media_folder,
    media_log,
    note,
    registered,
)
from ikou.pipeline.report import RunReport, write_report
from ikou.pipeline.session import utc_now

__all__ = ["EraseResult", "erase_medium"]

_METHOD = "overwritten with random bytes, fsynced, renamed, unlinked"


@dataclass
class EraseResult:
    """What ``ikou media erase`` destroyed, and its certificate."""

    medium: Medium
    items: list[dict[str, Any]]
    certificate: Path

    @property
    def failed(self) -> int:
        return sum(not i["verified"] for i in self.items)


def erase_medium(medium_id: str, *, witness: str | None, lang: str = "ja") -> EraseResult:
    """Destroy every file the media log says ikou wrote on ``medium_id``, then its
    usage log and identity file; retire it; write the certificate. The medium
    must be present and genuine (:func:`check_medium`)."""
    log = media_log()
    medium = registered(log).get(medium_id)
    if medium is None:
        raise MediaError(f"no medium {medium_id!r} is registered on this PC (ikou media list).")
    if medium.retired is not None:
        raise MediaError(f"{medium.shown()} was retired at {medium.retired}; it was erased then.")
    root = _root_of(medium)
    if check_medium(root / IDENTITY) != medium:
        raise MediaError(f"the medium present is not {medium.shown()}.")
    written: dict[str, dict[str, Any]] = {}
    for event in log.events():
        if event.get("outcome") == "written" and event.get("medium") == medium.id:
            written[str(event["file"])] = event  # the last write of each file
    items: list[dict[str, Any]] = []
    for name, event in written.items():
        items.append(_destroy(root, name, "media_file", str(event["sha256"])))
    for record in (USAGE, IDENTITY):
        items.append(_destroy(root, record.as_posix(), "media_record", None))
    lock = root / USAGE.with_name(USAGE.name + ".lock")  # the usage log's empty lock file
    if lock.is_file() and not lock.is_symlink() and lock.stat().st_size == 0:
        lock.unlink()
    try:
        (root / IDENTITY).parent.rmdir()
    except OSError:
        pass  # something else is in it: left, and the medium is retired anyway
    failed = sum(not i["verified"] for i in items)
    note(log, "erased", medium=medium.id, holder=medium.holder, witness=witness,
         counts={"files": len(items), "failed": failed}, pc=socket.gethostname())  # fmt: skip
    event = note(log, "retired", medium=medium.id, holder=medium.holder, reason="erased")
    folder = media_folder() / "certificates" / f"{medium.id}-{utc_now().replace(':', '')}"
    data = {
        "ikou_version": __version__,
        "run_id": folder.name,
        "mode": "media-erase",
        "generated": utc_now(),
        "plan": {"name": f"{medium.id}（{medium.holder}）"},
        "plan_sha256": None,
        "owner": medium.holder,
        "operator": None,
        "witness": witness,
        "items": items,
        "chain_head": event["hash"],
    }
    folder.mkdir(parents=True, exist_ok=True)
    _, html = write_report(RunReport(data), folder, lang=lang, template="certificate.html")
    return EraseResult(medium, items, html)


def _root_of(medium: Medium) -> Path:
    """Where the medium is mounted now, found through the backend's own list."""
    found = devices().present()
    for device in found:
        if device.identity() == medium.device and device.root is not None:
            return device.root
    raise MediaError(f"{medium.shown()} is not inserted in this PC; insert it and try again.")


def _destroy(root: Path, name: str, kind: str, sha256: str | None) -> dict[str, Any]:
    path = root / name
    item: dict[str, Any] = {"what": kind, "kind": kind, "file": name, "time": utc_now()}
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return {**item, "verified": False, "reason": "absent", "problem": "already gone"}
    if not stat.S_ISREG(info.st_mode):
        return {**item, "verified": False, "reason": "not_ours", "problem": "not a regular file"}
    now = file_sha256(path)
    if sha256 is not None and now != sha256:  # the name ikou wrote now holds other bytes
        problem = "its bytes are not the ones ikou wrote"
        return {**item, "verified": False, "reason": "not_ours", "problem": problem}
    try:
        verified = shred_file(path)
    except (NotOurs, OSError) as exc:
        return {**item, "verified": False, "reason": "not_ours", "problem": str(exc)}
    return {**item, "sha256": now, "bytes": info.st_size, "method": _METHOD, "verified": verified}
