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

Longer than 500 lines: the register, the identity file and the usage log are
one trust boundary — each check of the identity file needs the register's
record and the log's head — and reading them side by side is how a reviewer
sees that no path writes to a medium without all three.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    verify,
)
from ikou.audit.platform import LockFileRefused, ProcessLock
from ikou.audit.shredding import inside
from ikou.errors import MediaError, MediaUnavailableError, TamperedError
from ikou.pipeline.media.devices import Device, devices
from ikou.pipeline.session import utc_now

__all__ = [
    "IDENTITY",
    "USAGE",
    "Medium",
    "broken",
    "check_medium",
    "identity_problem",
    "media_folder",
    "media_log",
    "register",
    "registered",
    "retire",
    "usage_problem",
    "write_record",
]

IDENTITY = Path(".ikou-medium") / "identity.json"
"""The identity file, relative to the medium's root."""
USAGE = Path(".ikou-medium") / "usage.log"
"""The usage log on the medium, relative to its root."""
_IDENTITY_LIMIT = 64 * 1024  # bytes; ikou's identity file is a few hundred


MEDIA_DIR_VARIABLE = "IKOU_MEDIA_DIR"
"""The environment variable that moves the PC's media log (tests, the demo)."""


def media_folder() -> Path:
    """Where the PC's media log lives: ``$IKOU_MEDIA_DIR``, else ``media`` beside
    the key store (``~/.ikou/media``) — the PC's, not a workspace's."""
    override = os.environ.get(MEDIA_DIR_VARIABLE)
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
    """The PC's media log, verified in full (a log that does not verify is refused).

    The chain's own record of the log in the key store is keyed by its *resolved*
    path, so a ``media.log`` (or media folder) replaced by a link to an earlier
    copy would be a log it has never seen; the log and its lock must therefore be
    plain files, and a second record keyed by the path as configured
    (:func:`_anchor`) catches a folder swapped for a link to an older copy."""
    path = media_folder() / "media.log"
    for name in (path, path.with_name(path.name + ".lock")):
        if os.path.islink(name) or (os.path.lexists(name) and not name.is_file()):
            raise TamperedError(
                f"{name} is a link or not a file; ikou does nothing with media until the IT "
                "section has looked (keep the folder as evidence; docs/media.md)."
            )
    fresh = not path.exists() or path.stat().st_size == 0
    try:
        log = ChainWriter(path, key=_key(create=fresh), key_dir=key_folder(), seals=False)
    except ChainBroken as exc:
        raise broken(path, exc) from None
    except ChainWriteError as exc:
        raise MediaError(f"{exc}") from None
    _check_anchor(log)
    return log


def broken(path: Path, exc: ChainBroken) -> TamperedError:
    """The refusal of a media log or usage log that does not verify, naming the
    line only: the verifier's own sentence can quote a key or a value from the
    line, which whoever wrote the file chose (a cell value, even)."""
    line = f" at line {exc.result.bad_line}" if exc.result.bad_line else ""
    return TamperedError(
        f"the log {path} does not verify{line} (edited, cut short, rolled back or not written "
        "by ikou); ikou does nothing with media while their record does not verify. Keep the "
        "file as evidence and tell the IT section; python -m ikou.audit.chain names the fault "
        "(docs/media.md)."
    )


def _anchor(log: ChainWriter) -> Path:
    """The key store's record of the last media event ikou wrote to the log at this
    path as configured (not resolved: a link put in its place is still this log)."""
    name = hashlib.sha256(os.fsencode(os.path.abspath(log.path))).hexdigest()[:32]
    return key_folder() / "heads" / f"media-{name}.json"


def _check_anchor(log: ChainWriter) -> None:
    """Refuse a log that lacks the event the key store says ikou last wrote to it."""
    try:
        record = json.loads(_anchor(log).read_text(encoding="utf-8"))
        seq, head = int(record["seq"]), str(record["head"])
    except FileNotFoundError:
        return
    except (OSError, ValueError, KeyError, TypeError):
        raise TamperedError(f"the key store's record of {log.path} is unreadable.") from None
    events = list(log.events())
    if seq == len(events):
        found = log.head
    else:  # the hash of event ``seq`` is the ``prev`` of the one after it
        found = events[seq].get("prev") if seq < len(events) else None
    if found != head:
        raise TamperedError(
            f"the media log {log.path} is not the one ikou last wrote here (it ends before "
            f"event {seq}, or was replaced): rolled back or swapped. ikou does nothing with "
            "media until the IT section has looked (docs/media.md)."
        )


def _remember(log: ChainWriter) -> None:
    """Write the anchor: the log's last event as this process saw it. Two processes
    may write it in either order; an older anchor is still an event of the log."""
    record = _anchor(log)
    record.parent.mkdir(parents=True, exist_ok=True)
    temporary = record.with_name(f"{record.name}.{os.getpid()}.{threading.get_ident()}")
    seq = sum(1 for _ in log.events())
    temporary.write_text(json.dumps({"seq": seq, "head": log.head}), encoding="utf-8")
    os.replace(temporary, record)


def note(log: ChainWriter, outcome: str, **facts: Any) -> dict[str, Any]:
    """Append one media event (stage ``media``) to the PC's media log."""
    event = {"time": utc_now(), "stage": "media", "outcome": outcome, **facts}
    try:
        written = log.append(event)
        _remember(log)
    except ChainBroken as exc:
        raise broken(log.path, exc) from None
    except (ChainWriteError, OSError) as exc:
        raise MediaError(f"{exc}") from None
    return written


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
    """Every medium ever registered on this PC, by id (retired ones included).

    A line that verifies but is not shaped as ikou writes it (a bug, or the key
    store in the wrong hands) is refused in one sentence, never guessed at."""
    log = log or media_log()
    found: dict[str, Medium] = {}
    for number, event in enumerate(log.events(), start=1):
        if event.get("stage") != "media":
            continue
        if event.get("outcome") == "registered":
            medium = _medium_of(event)
            if medium is None:
                raise TamperedError(
                    f"event {number} of the media log {log.path} is not a registration ikou "
                    "writes; ikou does nothing with media until the IT section has looked."
                )
            found.setdefault(medium.id, medium)  # an id is never given twice
        elif event.get("outcome") == "retired" and str(event.get("medium")) in found:
            old = found[str(event["medium"])]
            if old.retired is None:
                found[old.id] = Medium(**{**old.__dict__, "retired": str(event.get("time"))})
    return found


def _medium_of(event: dict[str, Any]) -> Medium | None:
    """The medium a registration event names, or None when a field has another type."""
    device = event.get("device")
    texts = [event.get(name, "") for name in ("medium", "holder", "time", "label", "model")]
    if not isinstance(device, dict) or not all(isinstance(v, str) for v in device.values()):
        return None
    if not all(isinstance(text, str) for text in texts) or not texts[0]:
        return None
    when = event.get("registered", event.get("time"))
    return Medium(
        id=texts[0],
        holder=texts[1],
        device=dict(device),
        label=texts[3],
        model=texts[4],
        registered=str(when),
    )


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


_REGISTER_WAIT = 30.0  # seconds a registration waits for another one to end
_REGISTER_POLL = 0.05  # seconds between two tries of the lock


@contextmanager
def _one_registration() -> Iterator[None]:
    """Hold ``register.lock`` in the media folder: one registration at a time on
    this PC (processes and threads alike), so that two never read the same count
    of media and choose the same id. A lock that is a link is refused."""
    path = media_folder() / "register.lock"
    lock = ProcessLock(path)
    deadline = time.monotonic() + _REGISTER_WAIT
    try:
        while not lock.acquire():
            if time.monotonic() > deadline:
                raise MediaError(
                    "another registration of a medium is still under way on this PC after "
                    f"{_REGISTER_WAIT:.0f} s; nothing was registered: try again when it ends."
                )
            time.sleep(_REGISTER_POLL)
    except LockFileRefused as exc:
        raise TamperedError(f"{exc}") from None
    except OSError as exc:
        raise MediaError(f"cannot take the lock {path}: {exc.strerror}.") from None
    try:
        yield
    finally:
        lock.release()


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
    with _one_registration():  # the id is chosen and taken under one lock
        return _register_locked(device, holder)


def _register_locked(device: Device, holder: str) -> Medium:
    """:func:`register` under the registration lock: the media log read, the device
    checked not in use, the next id chosen, the identity file written, the event
    appended."""
    assert device.root is not None
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
        if not inside(target, device.root):  # a link would put it on another medium
            raise MediaError(
                f"{IDENTITY.parent.as_posix()} on {_describe(device)} is a link or leaves the "
                "medium; nothing was registered."
            )
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
        registered=medium.registered,  # the time in the identity file, to the letter
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
    or made for another device (copied from another stick), or its usage log
    not ikou's story of this stick."""
    try:
        device = devices().medium_of(Path(path))
    except MediaUnavailableError:
        return None  # the OS cannot tell; a plan's media rule fails on its own (watch)
    if device is None:
        return None
    log = media_log()
    media = registered(log)
    matches = [m for m in media.values() if m.device == device.identity() and m.retired is None]
    if not matches:
        raise MediaError(
            f"{_describe(device)} is not a registered medium; ikou writes only to media "
            "registered on this PC (ikou media register). Nothing was written.",
            file=str(path),
        )
    medium = matches[0]  # register() refuses a second one for a device in use
    if device.root is None:
        raise MediaError(f"{medium.shown()} is not mounted.", file=str(path))
    for problem in (
        identity_problem(device.root, medium),
        usage_problem(device.root, medium, media),
    ):
        if problem is not None:
            raise MediaError(f"{problem}; nothing was written.", file=str(path))
    return medium


def identity_problem(root: Path, medium: Medium) -> str | None:
    """What is wrong with the identity file under ``root`` for ``medium``, in words
    naming the medium (never a value of the file), or None when it is genuine:
    a plain file on the medium (no link on the way), at most 64 KiB of JSON,
    tagged with this PC's audit key, naming this very registration."""
    found = _read_identity(root)
    if found is None:
        return (
            f"{medium.shown()} carries no readable identity file ({IDENTITY.as_posix()}, a "
            "plain file on the medium)"
        )
    key = _key(create=False)
    tag = found.pop("tag", "")
    if not hmac.compare_digest(key.tag(canonical_json(found)), str(tag)):
        return (
            f"the identity file on {medium.shown()} was not written by ikou on this PC (its "
            "authentication does not verify)"
        )
    if found != _identity_body(medium, key.kid):
        copied = found.get("medium")
        shown = repr(copied) if isinstance(copied, str) and len(copied) < 40 else "another id"
        return (
            f"the identity file on {medium.shown()} belongs to another medium (copied from {shown})"
        )
    return None


def usage_problem(root: Path, medium: Medium, media: dict[str, Medium]) -> str | None:
    """What is wrong with the usage log under ``root``, or None: absent, or a plain
    file on the medium whose chain verifies under the audit key and tells only of
    this device's registrations (``media``: :func:`registered`) — not a log copied
    from another stick."""
    path = root / USAGE
    if not os.path.lexists(path):
        return None
    if not inside(path, root) or os.path.islink(path) or not path.is_file():
        return f"the usage log on {medium.shown()} is a link or not a file"
    result = verify(path, key=_key(create=False), seals=False, keep=True)
    if not result.ok:  # the line only: the verifier's sentence can quote what is on it
        return f"the usage log on {medium.shown()} does not verify (line {result.bad_line})"
    ours = {m.id for m in media.values() if m.device == medium.device}
    if any(event.get("medium") not in ours for event in result.entries):
        return f"the usage log on {medium.shown()} tells of another medium (copied from a stick)"
    return None


def _read_identity(root: Path) -> dict[str, Any] | None:
    """The identity file as JSON, or None: reached through a link, not a plain
    file, larger than any ikou writes, not UTF-8 JSON, holding a non-integer
    number, nested deeper than the parser goes, or not an object."""
    path = root / IDENTITY
    try:
        if not inside(path, root) or path.is_symlink() or not path.is_file():
            return None
        with path.open("rb") as handle:
            raw = handle.read(_IDENTITY_LIMIT + 1)
        if len(raw) > _IDENTITY_LIMIT:
            return None
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_number, parse_float=_no_number)
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _no_number(text: str) -> Any:
    raise ValueError("ikou's identity file holds no non-integer number")


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
    SHA-256, size, rows) and who signed on for it. The facts, for the run's chain.

    The file must still be a plain file on that very medium and the usage log
    reached with no link on the way, so a stick pulled out or a folder swapped
    for a link is one sentence, and nothing is written off the medium."""
    device = devices().medium_of(file)
    if device is None or device.root is None or device.identity() != medium.device:
        raise MediaError(f"{file} is no longer on {medium.shown()}.", file=str(file))
    root = device.root
    real = Path(os.path.realpath(file.parent)) / file.name  # as the device found it
    try:
        if not real.is_relative_to(root) or real.is_symlink() or not real.is_file():
            raise MediaError(f"{file} is not a plain file on {medium.shown()}.", file=str(file))
        data_hash = hashlib.sha256(real.read_bytes()).hexdigest()
        size = real.stat().st_size
    except OSError as exc:
        raise MediaError(
            f"{file} cannot be read back on {medium.shown()} ({exc.strerror}); was the medium "
            "taken out?",
            file=str(file),
        ) from None
    facts = {
        "medium": medium.id,
        "holder": medium.holder,
        "file": real.relative_to(root).as_posix(),
        "sha256": data_hash,
        "size": size,
        "rows": rows,
        "run_id": run_id,
        "by": by,
        "pc": socket.gethostname(),
    }
    key = _key(create=False)
    usage = root / USAGE
    problem = usage_problem(root, medium, registered())
    if problem is not None or not inside(usage.with_name(usage.name + ".lock"), root):
        raise MediaError(
            f"{problem or 'the usage log folder is a link'}; nothing more is written to it "
            "(keep the medium as evidence).",
            file=str(file),
        )
    try:
        log = ChainWriter(usage, key=key, seals=False)
        log.append({"time": utc_now(), "stage": "media", "outcome": "written", **facts})
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
