"""The audit chain: an append-only JSON-lines log where each event hashes the last.

This module uses only the Python standard library, on purpose: an auditor can
read it in full and run ``python -m audit.chain LOG`` without trusting (or
installing) the rest of ikou.

Format — one JSON object per line, UTF-8, ``\\n``-terminated::

    {"seq": 1, "prev": "000…0", "time": "2026-11-26T14:00:59Z", "run_id": "…",
     "mode": "rehearsal", "stage": "extract", "actor": "…", …, "hash": "…"}

* ``seq`` counts from 1 with no gaps;
* ``prev`` is the ``hash`` of the line before (64 zeros for the first line);
* ``hash`` is SHA-256 over the canonical JSON of the object *without* its
  ``hash`` key: keys sorted, no insignificant whitespace, UTF-8, no floats.

Editing, inserting, deleting or reordering a line breaks ``hash``, ``prev`` or
``seq`` at the first line affected, and :func:`verify` names it. Deleting the
*last* lines cannot be seen from the log alone — that is why the head hash is
printed on the signed report and can be checked with ``head=``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "GENESIS",
    "ChainWriteError",
    "ChainWriter",
    "VerifyResult",
    "canonical_json",
    "event_hash",
    "verify",
]

GENESIS = "0" * 64
_REQUIRED = ("seq", "prev", "time", "stage", "hash")


class ChainWriteError(Exception):
    """The log cannot be appended to (unwritable, or it ends in a torn line)."""


def canonical_json(obj: Any) -> bytes:
    """The one byte encoding that event hashes are computed over."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def event_hash(event: dict[str, Any]) -> str:
    """SHA-256 of an event without its own ``hash`` key."""
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    """What :func:`verify` found. ``ok`` is true only for an intact, untorn chain."""

    ok: bool
    events: int
    head: str | None
    bad_line: int | None = None
    problem: str | None = None
    torn: bool = False
    head_found_at: int | None = None
    runs: tuple[str, ...] = field(default_factory=tuple)

    def sentence(self) -> str:
        """One sentence for a person, naming the first bad line if any."""
        if self.ok:
            tail = ""
            if self.head_found_at is not None:
                after = self.events - self.head_found_at
                tail = f"; the signed head is event {self.head_found_at}"
                tail += f" ({after} event(s) appended after it)" if after else " (the last one)"
            return f"intact: {self.events} event(s), head {self.head}{tail}."
        return f"line {self.bad_line}: {self.problem}"


def _read_lines(path: Path) -> tuple[list[bytes], bool]:
    data = path.read_bytes()
    if not data:
        return [], False
    ends_clean = data.endswith(b"\n")
    lines = data.split(b"\n")
    if ends_clean:
        lines = lines[:-1]
    return lines, not ends_clean


def _torn(number: int, prev: str) -> VerifyResult:
    return VerifyResult(
        False,
        number - 1,
        prev if number > 1 else None,
        number,
        f"torn last line (a crash while writing); the {number - 1} event(s) before it verify.",
        torn=True,
    )


def verify(path: str | os.PathLike[str], head: str | None = None) -> VerifyResult:
    """Check every line of the chain at ``path``; stop at the first bad one.

    ``head`` (full hash or a prefix of at least 8 hex digits, as printed on a
    signed report) must be the hash of some event in the chain; events after it
    are allowed (a later reconciliation appends to the same log).
    """
    lines, unterminated = _read_lines(Path(path))
    prev = GENESIS
    runs: list[str] = []
    head_at: int | None = None
    wanted = head.strip().lower().replace(" ", "").replace("-", "") if head else None
    if wanted is not None and (len(wanted) < 8 or any(c not in "0123456789abcdef" for c in wanted)):
        return VerifyResult(False, 0, None, 0, "the head to check must be at least 8 hex digits.")
    for number, raw in enumerate(lines, start=1):
        last = number == len(lines)
        try:
            event = json.loads(raw.decode("utf-8"))
            if not isinstance(event, dict):
                raise ValueError("not an object")
        except (UnicodeDecodeError, ValueError):
            if last and unterminated:
                return _torn(number, prev)
            return VerifyResult(False, number - 1, None, number, "not a JSON object.")
        missing = [k for k in _REQUIRED if k not in event]
        if missing:
            return VerifyResult(False, number - 1, None, number, f"missing key {missing[0]!s}.")
        if event["seq"] != number:
            return VerifyResult(
                False,
                number - 1,
                None,
                number,
                f"sequence number is {event['seq']}, expected {number} "
                "(a line was inserted, deleted or moved).",
            )
        if event["prev"] != prev:
            return VerifyResult(
                False,
                number - 1,
                None,
                number,
                "does not follow the line before it (a line was inserted, deleted or moved).",
            )
        if event_hash(event) != event["hash"]:
            return VerifyResult(False, number - 1, None, number, "edited: its hash does not match.")
        if last and unterminated:
            return _torn(number, prev)
        prev = event["hash"]
        run_id = event.get("run_id")
        if isinstance(run_id, str) and run_id not in runs:
            runs.append(run_id)
        if wanted is not None and head_at is None and prev.startswith(wanted):
            head_at = number
    if wanted is not None and head_at is None:
        return VerifyResult(
            False,
            len(lines),
            prev,
            None,
            "the head printed on the signed report is not in this chain "
            "(events were removed, or this is another log).",
        )
    return VerifyResult(
        True,
        len(lines),
        prev if lines else None,
        None,
        None,
        head_found_at=head_at,
        runs=tuple(runs),
    )


class _Lock:
    """An exclusive lock on ``<log>.lock`` for one append, released on exit.

    The operating system releases it if the process dies, so a crash never
    leaves the log locked. ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on
    Windows — the only OS-specific lines in this module.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> _Lock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            msvcrt.locking(self.fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *_: object) -> None:
        try:
            if os.name == "nt":  # pragma: no cover
                import msvcrt

                os.lseek(self.fd, 0, os.SEEK_SET)
                msvcrt.locking(self.fd, msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)


def _last_line(path: Path) -> tuple[bytes | None, bool]:
    """The log's last line and whether it lacks its newline, reading from the end."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size == 0:
            return None, False
        block, data = 4096, b""
        position = size
        while position > 0:
            step = min(block, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
            body = data[:-1] if data.endswith(b"\n") else data
            if b"\n" in body or position == 0:
                return body.rsplit(b"\n", 1)[-1], not data.endswith(b"\n")
    return None, False  # pragma: no cover - the loop always returns


class ChainWriter:
    """Appends events to the chain at ``path``; each append is locked and fsynced.

    Every append takes the log's lock, reads the current last line for
    ``seq`` and ``prev``, writes and fsyncs, so two runs writing to one
    workspace interleave their events and the chain still verifies. It
    refuses to append after a torn line, which must be looked at first.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _Lock(self._lock_path):
                self._seq, self._prev = self._tail()
        except OSError as exc:
            raise ChainWriteError(
                f"cannot open the audit log {self.path}: {exc.strerror}."
            ) from exc

    def _tail(self) -> tuple[int, str]:
        if not self.path.exists():
            return 0, GENESIS
        line, unterminated = _last_line(self.path)
        if line is None:
            return 0, GENESIS
        try:
            last = json.loads(line.decode("utf-8"))
            if unterminated:
                raise ValueError("unterminated")
            return int(last["seq"]), str(last["hash"])
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise ChainWriteError(
                f"the audit log {self.path} ends in a torn or unreadable line; "
                f"check it with 'ikou audit verify {self.path}' before running again."
            ) from exc

    @property
    def head(self) -> str:
        """Hash of the last event this writer wrote (or found, before its first)."""
        return self._prev

    def append(self, event: dict[str, Any]) -> dict[str, Any]:
        """Add ``seq``, ``prev`` and ``hash`` to ``event``, write it, return it."""
        try:
            with _Lock(self._lock_path):
                seq, prev = self._tail()
                full = dict(event)
                full["seq"] = seq + 1
                full["prev"] = prev
                full.pop("hash", None)
                full["hash"] = event_hash(full)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, canonical_json(full) + b"\n")
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except OSError as exc:
            raise ChainWriteError(
                f"cannot append to the audit log {self.path}: {exc.strerror}."
            ) from exc
        self._seq = full["seq"]
        self._prev = full["hash"]
        return full


def _main(argv: list[str]) -> int:
    """``python -m audit.chain LOG [HEAD]``: the auditor's stand-alone check."""
    if not argv or len(argv) > 2:
        print("usage: python -m audit.chain LOG [HEAD]", file=sys.stderr)
        return 2
    log = Path(argv[0])
    if not log.is_file():
        print(f"{log}: no such file.", file=sys.stderr)
        return 2
    result = verify(log, argv[1] if len(argv) > 1 else None)
    print(f"{log}: {result.sentence()}")
    return 0 if result.ok else 1


if __name__ == "__main__":  # pragma: no cover - exercised through the CLI tests
    sys.exit(_main(sys.argv[1:]))
