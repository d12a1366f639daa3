"""``ikou media erase``: before a medium goes back (a leased PC's stick, a
vendor's), destroy everything ikou wrote on it — by the media log, never by
what happens to lie on it — verify it, retire the medium, and certify it.

What overwriting a file on flash memory can and cannot promise is in
docs/media.md: wear levelling keeps old blocks out of reach of any file
operation, so the certificate says what was done, not that no trace remains.

Someone who can write the medium can put a link, a hard link or another file
where ikou's was. So a file is destroyed only when it is reached from the
medium's root with no link on the way and no ``..``, has no other name, holds
what ikou wrote (the bytes the media log records; for the usage log and the
identity file, a chain and a tag that verify as this medium's), and is the
very inode that was checked when it is overwritten. The certificate's folder
is made before anything is destroyed, so it cannot be sent elsewhere by a link.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ikou import __version__
from ikou.audit.hashing import file_sha256
from ikou.audit.shredding import FileIdentity, NotOurs, inside, shred_file
from ikou.errors import MediaError, TamperedError
from ikou.pipeline.media.devices import devices
from ikou.pipeline.media.register import (
    IDENTITY,
    USAGE,
    Medium,
    identity_problem,
    media_folder,
    media_log,
    note,
    registered,
    usage_problem,
)
from ikou.pipeline.report import RunReport, write_report
from ikou.pipeline.session import utc_now

__all__ = ["EraseResult", "erase_medium"]

_METHOD = "overwritten with random bytes, fsynced, renamed, unlinked"
_SHA256 = re.compile(r"[0-9a-f]{64}")


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
    must be present and carry its genuine identity file (:func:`identity_problem`);
    a usage log that does not verify is listed as not destroyed, not a refusal."""
    log = media_log()
    media = registered(log)
    medium = media.get(medium_id)
    if medium is None:
        raise MediaError(f"no medium {medium_id!r} is registered on this PC (ikou media list).")
    if medium.retired is not None:
        raise MediaError(f"{medium.shown()} was retired at {medium.retired}; it was erased then.")
    root = _root_of(medium)
    problem = identity_problem(root, medium)  # not check_medium: a bad usage log is erased too
    if problem is not None:
        raise MediaError(
            f"{problem}: the medium present is not {medium.shown()}; nothing was erased."
        )
    written: dict[str, str] = {}
    for number, event in enumerate(log.events(), start=1):
        if event.get("outcome") == "written" and event.get("medium") == medium.id:
            name, digest = event.get("file"), event.get("sha256")
            if not isinstance(name, str) or not isinstance(digest, str):
                raise TamperedError(
                    f"event {number} of the media log is not a write ikou records; nothing "
                    "was erased (the IT section looks first)."
                )
            written[name] = digest  # the last write of each file
    folder = _certificate_folder(medium)  # before anything is destroyed
    items: list[dict[str, Any]] = []
    for name, digest in written.items():
        items.append(_destroy(root, name, "media_file", _bytes_are(digest)))
    items.append(_destroy(root, USAGE.as_posix(), "media_record", _usage_of(medium, media)))
    items.append(_destroy(root, IDENTITY.as_posix(), "media_record", _identity_of(medium)))
    lock = root / USAGE.with_name(USAGE.name + ".lock")  # the usage log's empty lock file
    try:
        if inside(lock, root) and lock.is_file() and not lock.is_symlink():
            if lock.stat().st_size == 0:
                lock.unlink()
        if inside(root / IDENTITY, root):
            (root / IDENTITY).parent.rmdir()
    except OSError:
        pass  # something else is in it, or the medium was taken out: left, and retired anyway
    failed = sum(not i["verified"] for i in items)
    note(log, "erased", medium=medium.id, holder=medium.holder, witness=witness,
         counts={"files": len(items), "failed": failed}, pc=socket.gethostname())  # fmt: skip
    event = note(log, "retired", medium=medium.id, holder=medium.holder, reason="erased")
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
    _, html = write_report(RunReport(data), folder, lang=lang, template="certificate.html")
    return EraseResult(medium, items, html)


def _root_of(medium: Medium) -> Path:
    """Where the medium is mounted now, found through the backend's own list."""
    found = devices().present()
    for device in found:
        if device.identity() == medium.device and device.root is not None:
            return device.root
    raise MediaError(f"{medium.shown()} is not inserted in this PC; insert it and try again.")


def _certificate_folder(medium: Medium) -> Path:
    """A new folder for the certificate under the media folder's ``certificates``,
    neither reached through a link nor one that was there before (its name ends
    in a random part, so nobody can prepare it)."""
    base = media_folder() / "certificates"
    stamp = utc_now().replace(":", "")
    folder = base / f"{medium.id}-{stamp}-{secrets.token_hex(4)}"
    try:
        base.mkdir(parents=True, exist_ok=True)
        if os.path.islink(base) or os.path.islink(media_folder()):
            raise MediaError(
                f"{base} is a link; the certificate is written only into the media folder "
                "itself. Nothing was erased."
            )
        folder.mkdir()
    except OSError as exc:
        raise MediaError(
            f"cannot make the certificate folder {folder}: {exc.strerror}. Nothing was erased."
        ) from None
    return folder


Check = Callable[[Path], str | None]
"""Whether the file found is what ikou wrote: None, or the problem in words."""


def _bytes_are(sha256: str) -> Check:
    def check(path: Path) -> str | None:
        if not _SHA256.fullmatch(sha256):
            return "the media log records no hash for it"
        if file_sha256(path) != sha256:  # the name ikou wrote now holds other bytes
            return "its bytes are not the ones ikou wrote"
        return None

    return check


def _usage_of(medium: Medium, media: dict[str, Medium]) -> Check:
    def check(path: Path) -> str | None:
        return usage_problem(path.parents[1], medium, media)

    return check


def _identity_of(medium: Medium) -> Check:
    def check(path: Path) -> str | None:
        return identity_problem(path.parents[1], medium)

    return check


def _destroy(root: Path, name: str, kind: str, ours: Check) -> dict[str, Any]:
    """Destroy ``root/name`` if it is the file ikou wrote (``ours``), else say why not.

    The inode checked is the one overwritten: :func:`shred_file` is given its
    device and inode (and SHA-256) and refuses another one swapped in meanwhile."""
    path = root / name
    item: dict[str, Any] = {"what": kind, "kind": kind, "file": name, "time": utc_now()}

    def refused(problem: str, reason: str = "not_ours") -> dict[str, Any]:
        return {**item, "verified": False, "reason": reason, "problem": problem}

    if Path(name).is_absolute() or not inside(path, root):
        return refused("it is reached through a link, or lies outside the medium")
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            return refused("not a regular file")
        if info.st_nlink != 1:
            return refused("it has another name as well (a hard link), which ikou did not write")
        problem = ours(path)
        if problem is not None:
            return refused(problem)
        now = file_sha256(path)
        expect = FileIdentity(info.st_dev, info.st_ino, info.st_size, now)
        verified = shred_file(path, expect=expect)
    except FileNotFoundError:
        return refused("already gone", reason="absent")
    except NotOurs as exc:
        return refused(str(exc))
    except OSError as exc:
        return refused(
            f"it could not be read or overwritten ({exc.strerror}); was the medium taken out?"
        )
    return {**item, "sha256": now, "bytes": info.st_size, "method": _METHOD, "verified": verified}
