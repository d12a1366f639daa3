"""The artifact store: every copy ikou makes, journalled, hashed and destroyed.

An *artifact* is any file ikou writes other than the target database, the
reports and the audit log — a decrypted file handed to LibreOffice, a
conversion, an import file. The store is the only way to make one:

1. **register** — a line in the workspace's journal (``custody.journal``,
   fsynced) names the artifact, its purpose and path *before* the file exists;
2. **write** — into the run's private scratch folder (mode 0700, RAM-backed
   where the OS has it), AES-GCM-encrypted under a key that lives in this
   process's memory only, unless an outside program must read it;
3. **close** — the bytes on disk are hashed (SHA-256) and journalled with the
   file's identity (device and inode);
4. **shred** when the run ends, whatever the outcome — overwrite with random
   bytes, fsync, rename to a random name, unlink, verify gone — each step an
   audit event carrying the artifact's hash.

The journal is written in the audit chain's format (:mod:`audit.chain`):
each line hashed, linked and authenticated under the audit key, so that no
line written by anyone else is ever acted on. Every path it names is checked
again before use: it must lie in the run's own scratch folder, reached
without a link, and be the file ikou recorded (:mod:`audit.shredding`).

A run that dies (SIGKILL, power cut) leaves its journal lines without an end;
:func:`recover_artifacts`, called when the next ikou command opens the
workspace, shreds what is left. docs/custody.md says what this can and
cannot promise.
"""

from __future__ import annotations

import os
import re
import secrets
import struct
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ikou.audit.chain import AuditKey, ChainWriter
from ikou.audit.faults import checkpoint
from ikou.audit.hashing import file_sha256
from ikou.audit.platform import ProcessLock, private_dir, ram_scratch_root
from ikou.audit.shredding import FileIdentity, NotOurs, inside, shred_file, shred_tree

__all__ = [
    "JOURNAL",
    "RUN_ID",
    "ArtifactRecord",
    "ArtifactStore",
    "ArtifactWriter",
    "EventSink",
    "Journal",
    "Tampered",
    "recover_artifacts",
    "scratch_folders",
]

JOURNAL = "custody.journal"
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_NAME = re.compile(r"^a\d{3}-[0-9a-f]{12}\.[a-z0-9]{1,8}$")
_MAGIC = b"IKOU-AES-GCM-1\n"
_CHUNK = 1 << 20

EventSink = Callable[..., Any]
"""``sink(stage, outcome, **facts)`` — :meth:`ikou.pipeline.session.StageRecorder.note`."""


class Tampered(Exception):
    """A journal entry names something ikou did not create: nothing was touched."""


@dataclass
class ArtifactRecord:
    """One artifact as the report lists it (no content, no key)."""

    id: str
    purpose: str
    path: str
    encrypted: bool
    size: int | None = None
    sha256: str | None = None
    shredded: bool = False
    verified: bool = False
    device: int | None = None
    inode: int | None = None

    def identity(self) -> FileIdentity | None:
        if self.device is None or self.inode is None:
            return None
        return FileIdentity(self.device, self.inode, self.size, self.sha256)


class Journal:
    """The custody journal: a chain of its own (no seals), verified on opening."""

    def __init__(self, workspace: Path, key: AuditKey, key_dir: Path | None) -> None:
        self.path = workspace / JOURNAL
        self._writer = ChainWriter(self.path, key=key, key_dir=key_dir, seals=False)

    def append(self, entry: dict[str, Any]) -> None:
        self._writer.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        """Every line, as verified (including what other processes appended)."""
        self._writer.refresh()
        return list(self._writer.events())


def scratch_folders(workspace: Path, run_id: str) -> tuple[Path, ...]:
    """Where run ``run_id``'s scratch folder can be: nowhere else is ever shredded."""
    if not RUN_ID.match(run_id):
        raise Tampered(f"the journal names a run {run_id!r} that ikou cannot have made")
    root, _ = ram_scratch_root()
    folders = [workspace / "scratch" / f"ikou-{run_id}"]
    if root is not None:
        folders.insert(0, root / f"ikou-{run_id}")
    return tuple(folders)


def _confined(record: ArtifactRecord, scratch: Path) -> Path:
    """The artifact's path, if it is a name ikou gives, directly in ``scratch``,
    reached from the workspace (or the RAM-backed root) without a link."""
    path = Path(record.path)
    root = scratch.parent.parent if scratch.parent.name == "scratch" else scratch.parent
    if path.parent != scratch or not _NAME.match(path.name) or not inside(path, root):
        raise Tampered(
            f"the journal names {record.path} for artifact {record.id}, which is not a file "
            "ikou makes in its run's scratch folder"
        )
    return path


class ArtifactWriter:
    """Bytes into one artifact; encrypted in chunks when the artifact is."""

    def __init__(self, store: ArtifactStore, record: ArtifactRecord, fd: int) -> None:
        self._store = store
        self.record = record
        self._handle = os.fdopen(fd, "wb")
        self._index = 0
        if record.encrypted:
            self._handle.write(_MAGIC)

    @property
    def path(self) -> Path:
        return Path(self.record.path)

    def write(self, data: bytes) -> None:
        if not self.record.encrypted:
            self._handle.write(data)
            return
        for start in range(0, len(data), _CHUNK):
            chunk = data[start : start + _CHUNK]
            nonce = secrets.token_bytes(12)
            sealed = self._store._cipher.encrypt(nonce, chunk, self._aad())
            self._handle.write(struct.pack(">I", len(sealed)) + nonce + sealed)
            self._index += 1

    def _aad(self) -> bytes:
        return f"{self.record.id}:{self._index}".encode("ascii")

    def close(self) -> ArtifactRecord:
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._store._closed(self.record)
        return self.record

    def __enter__(self) -> ArtifactWriter:
        return self

    def __exit__(self, *_: object) -> None:
        if not self._handle.closed:
            self.close()


class ArtifactStore:
    """The artifacts of one run: scratch folder, key, journal, shredding."""

    def __init__(
        self, workspace: Path, run_id: str, mode: str, events: EventSink, journal: Journal
    ) -> None:
        self.workspace = workspace
        self.run_id = run_id
        self.mode = mode
        self._events = events
        self._journal = journal
        root, self.scratch_note = ram_scratch_root()
        self.ram_backed = root is not None
        self.scratch = scratch_folders(workspace, run_id)[0]
        self._cipher = AESGCM(AESGCM.generate_key(bit_length=256))  # this process only
        self._lock = ProcessLock(workspace / "locks" / f"{run_id}.lock")
        self.records: list[ArtifactRecord] = []
        self._started = False

    def start(self) -> None:
        """Hold the run's lock and journal its start (before any artifact)."""
        if not self._lock.acquire():
            raise RuntimeError(f"run {self.run_id} is already running")
        self._journal.append(
            {
                "event": "run.start",
                "run_id": self.run_id,
                "mode": self.mode,
                "pid": os.getpid(),
                "scratch": str(self.scratch),
                "ram_backed": self.ram_backed,
            }
        )
        self._started = True

    def _scratch_dir(self) -> Path:
        if not self.scratch.exists():
            private_dir(self.scratch)
        return self.scratch

    def _register(
        self, purpose: str, encrypted: bool, suffix: str, name: str | None = None
    ) -> ArtifactRecord:
        if not self._started:
            raise RuntimeError("the artifact store has not been started")
        number = len(self.records) + 1
        name = name or f"a{number:03d}-{secrets.token_hex(6)}{suffix}"
        record = ArtifactRecord(
            f"a{number:03d}", purpose, str(self._scratch_dir() / name), encrypted
        )
        _confined(record, self.scratch)
        self._journal.append(
            {
                "event": "artifact.registered",
                "run_id": self.run_id,
                "id": record.id,
                "purpose": purpose,
                "path": record.path,
                "encrypted": encrypted,
            }
        )
        self.records.append(record)
        checkpoint("artifact.registered")
        return record

    def create(
        self, purpose: str, *, encrypted: bool = True, suffix: str = ".bin"
    ) -> ArtifactWriter:
        """A new artifact to write: registered first, then created (mode 0600).

        ``encrypted=False`` only for a file an outside program must read.
        """
        record = self._register(purpose, encrypted, suffix if not encrypted else ".enc")
        fd = os.open(record.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        return ArtifactWriter(self, record, fd)

    def expect(self, purpose: str, suffix: str, *, name: str | None = None) -> ArtifactRecord:
        """Register a plaintext file an outside program is about to write (at
        ``name`` in scratch, when the program chooses the name); call
        :meth:`adopt` when it has."""
        return self._register(purpose, False, suffix, name)

    def shred(self, record: ArtifactRecord) -> None:
        """Destroy one artifact now, rather than when the run ends."""
        if not record.shredded:
            _shred_record(record, self.scratch, self._journal, self._events, self.run_id)

    def adopt(self, record: ArtifactRecord) -> ArtifactRecord:
        """Hash a file an outside program wrote at ``record.path``."""
        self._closed(record)
        return record

    def _closed(self, record: ArtifactRecord) -> None:
        path = Path(record.path)
        info = os.lstat(path)
        record.size, record.device, record.inode = info.st_size, info.st_dev, info.st_ino
        record.sha256 = file_sha256(path)
        self._journal.append(
            {
                "event": "artifact.closed",
                "run_id": self.run_id,
                "id": record.id,
                "size": record.size,
                "sha256": record.sha256,
                "device": record.device,
                "inode": record.inode,
            }
        )
        self._events(
            "artifact.closed",
            "ok",
            artifact=record.id,
            purpose=record.purpose,
            encrypted=record.encrypted,
            counts={"bytes": record.size},
            output_sha256=record.sha256,
        )
        checkpoint("artifact.written")

    def read(self, record: ArtifactRecord) -> bytes:
        """An artifact's content (decrypted when it is encrypted)."""
        data = Path(record.path).read_bytes()
        if not record.encrypted:
            return data
        if not data.startswith(_MAGIC):
            raise ValueError(f"artifact {record.id} is not an ikou encrypted artifact")
        out, position, index = [], len(_MAGIC), 0
        while position < len(data):
            (length,) = struct.unpack(">I", data[position : position + 4])
            nonce = data[position + 4 : position + 16]
            sealed = data[position + 16 : position + 16 + length]
            out.append(self._cipher.decrypt(nonce, sealed, f"{record.id}:{index}".encode("ascii")))
            position += 16 + length
            index += 1
        return b"".join(out)

    def shred_all(self) -> list[ArtifactRecord]:
        """Shred every artifact and remove the scratch folder (the run goes on
        recording its ending in the chain; :meth:`close` ends it in the journal)."""
        for record in self.records:
            if not record.shredded:
                _shred_record(record, self.scratch, self._journal, self._events, self.run_id)
        _remove_scratch(self.scratch, self._events)
        return self.records

    def close(self, outcome: str) -> None:
        """Journal the run's end and let go of its lock."""
        self._journal.append({"event": "run.end", "run_id": self.run_id, "outcome": outcome})
        self._lock.release()
        _unlink_quietly(self._lock.path)

    def summary(self) -> dict[str, Any]:
        """The report's view: where scratch was, and every artifact's fate."""
        hidden = ("path", "device", "inode")
        return {
            "scratch": {"ram_backed": self.ram_backed, "note": self.scratch_note},
            "artifacts": [
                {k: v for k, v in asdict(r).items() if k not in hidden} for r in self.records
            ],
        }


def _shred_record(
    record: ArtifactRecord, scratch: Path, journal: Journal, events: EventSink, run_id: str
) -> None:
    path = _confined(record, scratch)
    facts = {"artifact": record.id, "purpose": record.purpose, "output_sha256": record.sha256}
    if os.path.lexists(path):
        try:
            record.verified = shred_file(
                path,
                expect=record.identity(),
                emit=lambda step, ok: events(f"artifact.{step}", "ok" if ok else "failed", **facts),
            )
        except NotOurs as exc:
            raise Tampered(f"artifact {record.id}: {exc}; nothing was touched") from None
    else:  # registered, never created (or already gone): nothing on disk to destroy
        record.verified = True
        events("artifact.verify", "ok", absent=True, **facts)
    record.shredded = True
    journal.append(
        {
            "event": "artifact.shredded",
            "run_id": run_id,
            "id": record.id,
            "sha256": record.sha256,
            "verified": record.verified,
        }
    )


def _remove_scratch(scratch: Path, events: EventSink) -> None:
    """Shred anything in the scratch folder the journal does not know, then remove it."""
    try:
        stray = shred_tree(scratch)
    except NotOurs as exc:
        raise Tampered(f"{exc}; nothing in it was touched") from None
    if stray:
        events("artifact.stray", "shredded", counts={"files": stray})


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def open_runs(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Runs whose journal has a start and no end: run id → its start entry."""
    started: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry.get("event") == "run.start":
            started[str(entry.get("run_id"))] = entry
        elif entry.get("event") == "run.end":
            started.pop(str(entry.get("run_id")), None)
    return started


def recover_artifacts(
    workspace: Path, journal: Journal, run_id: str, events: EventSink
) -> list[ArtifactRecord]:
    """Shred what dead run ``run_id`` left: its artifacts (hashing any it never
    closed, recording as absent any never created) and its scratch folder.

    Every path is checked against where that run's scratch folder can be
    (:func:`scratch_folders`) before anything is touched; a path elsewhere is
    :class:`Tampered`.
    """
    entries = journal.entries()
    start = next(
        (e for e in entries if e.get("event") == "run.start" and e.get("run_id") == run_id), None
    )
    allowed = scratch_folders(workspace, run_id)
    scratch = Path(str(start["scratch"])) if start is not None else allowed[0]
    if scratch not in allowed:
        raise Tampered(f"the journal gives run {run_id} the scratch folder {scratch}")
    records = _records_of(entries, run_id)
    for record in records:
        if not record.shredded:
            _shred_record(record, scratch, journal, events, run_id)
    _remove_scratch(scratch, events)
    return records


def _records_of(entries: list[dict[str, Any]], run_id: str) -> list[ArtifactRecord]:
    records: dict[str, ArtifactRecord] = {}
    for entry in entries:
        if entry.get("run_id") != run_id:
            continue
        kind = entry.get("event")
        if kind == "artifact.registered":
            records[entry["id"]] = ArtifactRecord(
                entry["id"], entry["purpose"], entry["path"], bool(entry["encrypted"])
            )
        elif kind == "artifact.closed" and entry["id"] in records:
            record = records[entry["id"]]
            record.size, record.sha256 = entry["size"], entry["sha256"]
            record.device, record.inode = entry.get("device"), entry.get("inode")
        elif kind == "artifact.shredded" and entry["id"] in records:
            records[entry["id"]].shredded = True
            records[entry["id"]].verified = bool(entry["verified"])
    return list(records.values())
