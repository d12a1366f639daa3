"""The PC's register of removable media, the identity file each one carries, and
the record of every write to one.

The register is the PC's media log (``media.log`` in :func:`media_folder`): an
audit chain of its own, authenticated with the installation's audit key like
every workspace's, holding each registration, retirement, insertion, removal,
write and erasure. A medium is registered by the identity its device reports
(:mod:`.devices`: USB serial and filesystem UUID, or the Windows volume
serial) and carries ``.ikou-medium/identity.json``: its id, holder and that
device identity, tagged with the audit key — so the file proves nothing on
another stick (the device differs) and cannot be made without the key store.
Each write is also appended to ``.ikou-medium/usage.log`` on the medium itself
(when, which run, which file, its hash and rows, who signed on), so the
medium tells its own story wherever it turns up.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ikou.audit.chain import (
    ChainBroken,
    ChainWriteError,
    ChainWriter,
    audit_key,
    canonical_json,
    key_folder,
)
from ikou.errors import MediaError, MediaUnavailableError, TamperedError
from ikou.pipeline.media.devices import Device, devices
from ikou.pipeline.session import utc_now

__all__ = [
    "IDENTITY",
    "USAGE",
    "Medium",
    "check_medium",
    "media_folder",
    "media_log",
    "register",
    "registered",
    "retire",
    "write_record",
]

IDENTITY = Path(".ikou-medium") / "identity.json"
"""The identity file, relative to the medium's root."""
USAGE = Path(".ikou-medium") / "usage.log"
"""The usage log on the medium, relative to its root."""


def media_folder() -> Path:
    """Where the PC's media log lives: ``$IKOU_MEDIA_DIR``, else ``media`` beside
    the key store (``~/.ikou/media``) — the PC's, not a workspace's."""
    override = os.environ.get("IKOU_MEDIA_DIR")
    return Path(override) if override else key_folder().parent / "media"


def _key(create: bool) -> Any:
    try:
        key = audit_key(key_folder(), create=create)
    except ChainWriteError as exc:
        raise TamperedError(f"{exc}") from None
    if key is None:
        raise TamperedError(
            f"the audit key is not in the key store {key_folder()}, so the media log cannot "
            "be authenticated here; set IKOU_KEY_DIR to the key store that holds audit.key."
        )
    return key


def media_log() -> ChainWriter:
    """The PC's media log, verified in full (a log that does not verify is refused)."""
    path = media_folder() / "media.log"
    fresh = not path.exists() or path.stat().st_size == 0
    try:
        return ChainWriter(path, key=_key(create=fresh), key_dir=key_folder(), seals=False)
    except ChainBroken as exc:
        raise TamperedError(
            f"{exc} ikou does nothing with media while their record does not verify; keep the "
            "file as evidence and tell the IT section (docs/media.md)."
        ) from None
    except ChainWriteError as exc:
        raise MediaError(f"{exc}") from None


def note(log: ChainWriter, outcome: str, **facts: Any) -> dict[str, Any]:
    """Append one media event (stage ``media``) to the PC's media log."""
    event = {"time": utc_now(), "stage": "media", "outcome": outcome, **facts}
    try:
        return log.append(event)
    except ChainWriteError as exc:
        raise MediaError(f"{exc}") from None


@dataclass(frozen=True)
class Medium:
    """A registered medium as the media log tells it (no file content)."""

    id: str
    holder: str
    device: dict[str, str]  # what the identity file binds to (Device.identity())
    label: str
    model: str
    registered: str
    retired: str | None = None

    def shown(self) -> str:
        """How messages name it: id, holder and label, never a file name on it."""
        label = f", label {self.label!r}" if self.label else ""
        return f"medium {self.id} (holder {self.holder}{label})"


def registered(log: ChainWriter | None = None) -> dict[str, Medium]:
    """Every medium ever registered on this PC, by id (retired ones included)."""
    log = log or media_log()
    found: dict[str, Medium] = {}
    for event in log.events():
        if event.get("stage") != "media":
            continue
        if event.get("outcome") == "registered":
            found[str(event["medium"])] = Medium(
                id=str(event["medium"]),
                holder=str(event["holder"]),
                device=dict(event["device"]),
                label=str(event.get("label", "")),
                model=str(event.get("model", "")),
                registered=str(event["time"]),
            )
        elif event.get("outcome") == "retired" and str(event.get("medium")) in found:
            old = found[str(event["medium"])]
            found[old.id] = Medium(**{**old.__dict__, "retired": str(event["time"])})
    return found


def _identity_body(medium: Medium, kid: str) -> dict[str, Any]:
    return {
        "format": "ikou medium identity v1",
        "medium": medium.id,
        "holder": medium.holder,
        "device": medium.device,
        "registered": medium.registered,
        "kid": kid,
    }


def _describe(device: Device) -> str:
    label = f", label {device.label!r}" if device.label else ""
    serial = f", serial …{device.serial[-6:]}" if device.serial else ""
    return f"the medium at {device.node}{label}{serial}"


def register(path: Path, holder: str) -> Medium:
    """Register the removable medium holding ``path`` to ``holder``: recorded in
    the media log and written on it as its identity file."""
    holder = holder.strip()
    if not holder:
        raise MediaError("a medium is registered to a person: give --holder NAME.")
    device = devices().medium_of(Path(path))
    if device is None or device.root is None:
        raise MediaError(
            f"{path} is not on a removable medium this PC can identify; nothing was registered."
        )
    if not device.serial and not device.fs_uuid:
        raise MediaError(
            f"{_describe(device)} reports neither a serial number nor a filesystem UUID, so "
            "it could not be told from another stick; nothing was registered."
        )
    log = media_log()
    media = registered(log)
    for medium in media.values():
        if medium.device == device.identity() and medium.retired is None:
            raise MediaError(
                f"{_describe(device)} is already registered as {medium.shown()}; retire it "
                "first (ikou media retire) to register it again."
            )
    medium = Medium(
        id=f"USB-{len(media) + 1:03d}",
        holder=holder,
        device=device.identity(),
        label=device.label,
        model=device.model,
        registered=utc_now(),
    )
    key = _key(create=False)
    body = _identity_body(medium, key.kid)
    data = json.dumps({**body, "tag": key.tag(canonical_json(body))}, ensure_ascii=False, indent=1)
    target = device.root / IDENTITY
    try:
        target.parent.mkdir(exist_ok=True)
        _write_new(target, (data + "\n").encode("utf-8"))
    except FileExistsError:
        raise MediaError(
            f"{_describe(device)} already carries an identity file ({IDENTITY.as_posix()}); "
            "a medium registered elsewhere is erased and retired there first."
        ) from None
    except OSError as exc:
        raise MediaError(
            f"cannot write the identity file on {device.node}: {exc.strerror}."
        ) from None
    note(
        log,
        "registered",
        medium=medium.id,
        holder=holder,
        device=medium.device,
        label=device.label,
        model=device.model,
        node=device.node,
        pc=socket.gethostname(),
    )
    return medium


def retire(medium_id: str) -> Medium:
    """Take a medium out of use: nothing is written to it again."""
    log = media_log()
    medium = registered(log).get(medium_id)
    if medium is None:
        raise MediaError(f"no medium {medium_id!r} is registered on this PC (ikou media list).")
    if medium.retired is not None:
        raise MediaError(f"{medium.shown()} was retired at {medium.retired}.")
    event = note(log, "retired", medium=medium.id, holder=medium.holder)
    return Medium(**{**medium.__dict__, "retired": str(event["time"])})


def check_medium(path: Path) -> Medium | None:
    """``None`` when ``path`` is not on a removable medium; else the registered,
    genuine medium it is on — or :class:`MediaError` naming the medium: not
    registered, retired, its identity file missing, not made with this PC's key,
    or made for another device (copied from another stick)."""
    try:
        device = devices().medium_of(Path(path))
    except MediaUnavailableError:
        return None  # the OS cannot tell; a plan's media rule fails on its own (watch)
    if device is None:
        return None
    log = media_log()
    matches = [
        m for m in registered(log).values() if m.device == device.identity() and m.retired is None
    ]
    if not matches:
        raise MediaError(
            f"{_describe(device)} is not a registered medium; ikou writes only to media "
            "registered on this PC (ikou media register). Nothing was written.",
            file=str(path),
        )
    (medium,) = matches
    if device.root is None:
        raise MediaError(f"{medium.shown()} is not mounted.", file=str(path))
    found = _read_identity(device.root / IDENTITY)
    if found is None:
        raise MediaError(
            f"{medium.shown()} carries no readable identity file ({IDENTITY.as_posix()}); "
            "nothing was written.",
            file=str(path),
        )
    key = _key(create=False)
    tag = found.pop("tag", "")
    body = _identity_body(medium, key.kid)
    if not hmac.compare_digest(key.tag(canonical_json(found)), str(tag)):
        raise MediaError(
            f"the identity file on {medium.shown()} was not written by ikou on this PC (its "
            "authentication does not verify); nothing was written.",
            file=str(path),
        )
    if found != body:
        raise MediaError(
            f"the identity file on {_describe(device)} belongs to another medium (copied from "
            f"{found.get('medium')!r}); nothing was written.",
            file=str(path),
        )
    return medium


def _read_identity(path: Path) -> dict[str, Any] | None:
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_new(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_record(
    medium: Medium,
    file: Path,
    *,
    run_id: str,
    rows: int | None,
    by: list[str],
) -> dict[str, Any]:
    """Record a file ikou wrote onto ``medium``: in its usage log on the medium and
    in the PC's media log — when, which run, the file (its path on the medium,
    SHA-256, size, rows) and who signed on for it. The facts, for the run's chain."""
    device = devices().medium_of(file)
    if device is None or device.root is None or device.identity() != medium.device:
        raise MediaError(f"{file} is no longer on {medium.shown()}.", file=str(file))
    data_hash = hashlib.sha256(file.read_bytes()).hexdigest()
    facts = {
        "medium": medium.id,
        "holder": medium.holder,
        "file": file.relative_to(device.root).as_posix(),
        "sha256": data_hash,
        "size": file.stat().st_size,
        "rows": rows,
        "run_id": run_id,
        "by": by,
        "pc": socket.gethostname(),
    }
    key = _key(create=False)
    try:
        usage = ChainWriter(device.root / USAGE, key=key, seals=False)
        usage.append({"time": utc_now(), "stage": "media", "outcome": "written", **facts})
    except ChainBroken:
        raise MediaError(
            f"the usage log on {medium.shown()} does not verify; nothing more is written to it "
            "(keep the medium as evidence).",
            file=str(file),
        ) from None
    except ChainWriteError as exc:
        raise MediaError(f"{exc}", file=str(file)) from None
    note(media_log(), "written", **facts)
    return facts
