"""The artifact store: every copy ikou makes, journalled, hashed and destroyed.

An *artifact* is any file ikou writes other than the target database, the
reports and the audit log — a decrypted file handed to LibreOffice, a
conversion, an import file. The store is the only way to make one:

1. **register** — a line in the workspace's journal (``custody.journal``,
   fsynced) names the artifact, its purpose and path *before* the file exists;
2. **write** — into the run's private scratch folder (mode 0700, RAM-backed
   where the OS has it), AES-GCM-encrypted under a key that lives in this
   process's memory only, unless an outside program must read it;
3. **close** — the bytes on disk are hashed (SHA-256) and the hash journalled;
4. **shred** when the run ends, whatever the outcome — overwrite with random
   bytes, fsync, rename to a random name, unlink, verify gone — each step an
   audit event carrying the artifact's hash.

A run that dies (SIGKILL, power cut) leaves its journal lines without an end.
:func:`recover_workspace`, called by the next ikou command on the workspace,
finds them, shreds what is left, rolls back the dead run's SQLite target, and
chains an ``aborted`` event. docs/custody.md says what this can and cannot
promise.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import struct
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from audit.faults import checkpoint
from audit.platform import ProcessLock, private_dir, ram_scratch_root

__all__ = [
    "JOURNAL",
    "ArtifactRecord",
    "ArtifactStore",
    "ArtifactWriter",
    "EventSink",
    "Recovered",
    "recover_workspace",
    "shred_file",
]

JOURNAL = "custody.journal"
_MAGIC = b"IKOU-AES-GCM-1\n"
_CHUNK = 1 << 20

EventSink = Callable[..., Any]
"""``sink(stage, outcome, **facts)`` — :meth:`pipeline.stage.StageRecorder.note`."""


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


class Journal:
    """Append-only JSON lines, each fsynced before the call returns."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, entry: dict[str, Any]) -> None:
        new = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:
            _fsync_dir(self.path.parent)

    def entries(self) -> list[dict[str, Any]]:
        """Every complete line (a line torn by a crash is ignored)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        out = []
        for line in raw.split(b"\n"):
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - Windows cannot open a folder to fsync it
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def shred_file(path: Path, emit: Callable[[str, bool], None] | None = None) -> bool:
    """Overwrite with random bytes, fsync, rename at random, unlink, verify gone.

    ``emit(step, ok)`` is told about each step. Returns whether the file is
    verifiably gone under both names. What overwriting can promise on SSDs
    and copy-on-write filesystems is in docs/custody.md.
    """
    say = emit or (lambda step, ok: None)
    size = path.stat().st_size
    with path.open("r+b") as handle:
        left = size
        while left > 0:
            step = min(_CHUNK, left)
            handle.write(secrets.token_bytes(step))
            left -= step
        handle.flush()
        os.fsync(handle.fileno())
    say("overwrite", True)
    renamed = path.with_name(secrets.token_hex(12))
    os.replace(path, renamed)
    _fsync_dir(path.parent)
    say("rename", True)
    os.unlink(renamed)
    _fsync_dir(path.parent)
    say("unlink", True)
    gone = not path.exists() and not renamed.exists()
    say("verify", gone)
    return gone


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

    def __init__(self, workspace: Path, run_id: str, mode: str, events: EventSink) -> None:
        self.workspace = workspace
        self.run_id = run_id
        self.mode = mode
        self._events = events
        self._journal = Journal(workspace / JOURNAL)
        root, self.scratch_note = ram_scratch_root()
        self.ram_backed = root is not None
        base = root if root is not None else workspace / "scratch"
        self.scratch = base / f"ikou-{run_id}"
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
        self._journal.append(
            {"event": "artifact.registered", "run_id": self.run_id, **asdict(record)}
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
            _shred_record(record, self._journal, self._events, self.run_id)

    def adopt(self, record: ArtifactRecord) -> ArtifactRecord:
        """Hash a file an outside program wrote at ``record.path``."""
        self._closed(record)
        return record

    def _closed(self, record: ArtifactRecord) -> None:
        path = Path(record.path)
        record.size = path.stat().st_size
        record.sha256 = _file_sha256(path)
        self._journal.append(
            {
                "event": "artifact.closed",
                "run_id": self.run_id,
                "id": record.id,
                "size": record.size,
                "sha256": record.sha256,
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

    def finish(self, outcome: str) -> list[ArtifactRecord]:
        """Shred every artifact, remove the scratch folder, journal the end."""
        for record in self.records:
            if not record.shredded:
                _shred_record(record, self._journal, self._events, self.run_id)
        _remove_scratch(self.scratch, self._journal, self._events, self.run_id)
        self._journal.append({"event": "run.end", "run_id": self.run_id, "outcome": outcome})
        self._lock.release()
        _unlink_quietly(self._lock.path)
        return self.records

    def summary(self) -> dict[str, Any]:
        """The report's view: where scratch was, and every artifact's fate."""
        return {
            "scratch": {"ram_backed": self.ram_backed, "note": self.scratch_note},
            "artifacts": [
                {k: v for k, v in asdict(r).items() if k != "path"} for r in self.records
            ],
        }


def _shred_record(record: ArtifactRecord, journal: Journal, events: EventSink, run_id: str) -> None:
    path = Path(record.path)
    facts = {"artifact": record.id, "purpose": record.purpose, "output_sha256": record.sha256}
    if path.exists():
        if record.sha256 is None:  # killed before it was closed: hash what is there
            record.sha256 = _file_sha256(path)
            record.size = path.stat().st_size
            facts["output_sha256"] = record.sha256
        record.verified = shred_file(
            path, lambda step, ok: events(f"artifact.{step}", "ok" if ok else "failed", **facts)
        )
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


def _remove_scratch(scratch: Path, journal: Journal, events: EventSink, run_id: str) -> None:
    """Shred anything in the scratch folder the journal does not know, then remove it."""
    if not scratch.exists():
        return
    stray = 0
    for path in sorted(p for p in scratch.rglob("*") if p.is_file()):
        shred_file(path)
        stray += 1
    shutil.rmtree(scratch, ignore_errors=True)
    if stray:
        events("artifact.stray", "shredded", counts={"files": stray})


def _unlink_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


@dataclass(frozen=True)
class Recovered:
    """A dead run found and cleaned up by :func:`recover_workspace`."""

    run_id: str
    artifacts: int
    target_rolled_back: bool

    def sentence(self) -> str:
        return (
            f"recovered interrupted run {self.run_id}: {self.artifacts} artifact(s) shredded"
            + (", its target's unfinished load rolled back" if self.target_rolled_back else "")
            + "."
        )


def recover_workspace(
    workspace: Path, sink_for: Callable[[str, str], EventSink], *, current: str | None = None
) -> list[Recovered]:
    """Clean up after every run in ``workspace`` that started and never ended.

    A run whose lock is still held is alive and left alone. For a dead one:
    shred its artifacts (hashing any it never closed), remove its scratch
    folder, let SQLite roll back its rehearsal target's unfinished transaction,
    and chain an ``aborted`` event. ``sink_for(run_id, mode)`` gives the event
    sink that writes in that run's name.
    """
    journal = Journal(workspace / JOURNAL)
    entries = journal.entries()
    started: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry.get("event") == "run.start":
            started[entry["run_id"]] = entry
        elif entry.get("event") == "run.end":
            started.pop(entry.get("run_id"), None)
    found = []
    for run_id, start in started.items():
        if run_id == current:
            continue
        lock = ProcessLock(workspace / "locks" / f"{run_id}.lock")
        if not lock.acquire():
            continue  # alive
        try:
            events = sink_for(run_id, str(start.get("mode", "unknown")))
            records = _records_of(entries, run_id)
            for record in records:
                if not record.shredded:
                    _shred_record(record, journal, events, run_id)
            _remove_scratch(Path(start["scratch"]), journal, events, run_id)
            rolled_back = _roll_back_target(workspace / "runs" / run_id / "target.sqlite")
            events(
                "run",
                "aborted",
                counts={"artifacts_shredded": sum(1 for r in records if r.shredded)},
                target_rolled_back=rolled_back,
            )
            journal.append({"event": "run.end", "run_id": run_id, "outcome": "aborted"})
            found.append(Recovered(run_id, len(records), rolled_back))
        finally:
            lock.release()
            _unlink_quietly(lock.path)
    return found


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
            records[entry["id"]].size = entry["size"]
            records[entry["id"]].sha256 = entry["sha256"]
        elif kind == "artifact.shredded" and entry["id"] in records:
            records[entry["id"]].shredded = True
            records[entry["id"]].verified = bool(entry["verified"])
    return list(records.values())


def _roll_back_target(path: Path) -> bool:
    """Open a dead run's SQLite target so SQLite rolls back its hot journal."""
    journal = path.with_name(path.name + "-journal")
    if not path.exists():
        return False
    hot = journal.exists() and journal.stat().st_size > 0
    connection = sqlite3.connect(path)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        connection.close()
    return hot
