"""The audit chain: an append-only, authenticated log where each line hashes the last.

This module uses only the Python standard library, on purpose: an auditor can
read it in full and run ``python -m ikou.audit.chain LOG [--head H] [--key-dir DIR]``
without trusting (or installing) the rest of ikou. It never writes when it
verifies.

Format — one line per event, UTF-8, ``\\n``-terminated. A line is the event's
*body* — its canonical JSON (keys sorted, no insignificant whitespace, UTF-8,
integers only, no NaN) holding ``seq``, ``prev`` and ``kid`` besides the
event's own keys — with two fields written before its closing brace::

    {"kid":"…","prev":"…","run_id":"…","seq":7,"stage":"extract",…,"hash":"…","tag":"…"}

* ``hash`` is SHA-256 over the exact bytes of the body;
* ``tag`` is HMAC-SHA256 over the same bytes under the *audit key*, which
  lives in the key store (``~/.ikou/keys/audit.key`` or ``$IKOU_KEY_DIR``),
  never in the workspace; ``kid`` names that key;
* ``seq`` counts from 1 with no gaps, ``prev`` is the ``hash`` of the line
  before (64 zeros for the first).

So editing, inserting, deleting, reordering or re-encoding a line breaks a
hash, a link or a tag at the first line affected, and :func:`verify` names
it; anyone who can write the file but does not hold the key cannot write a
line that verifies. Without the key the links and hashes are still checked
and the result says plainly that authentication was not.

Every run of ikou ends in a ``seal`` event stating how many events the run
wrote (``run_events``, the seal included) and the hash of the seal before it
(``previous_seal``): the seals form a chain of their own, and a run whose
events were removed no longer matches its seal. The head printed on a signed
report must be followed by its run's seal (``head=``), and the key store
remembers the last event ikou wrote to each log, so a log rolled back to an
earlier, valid state is refused on the same installation.

The same format, without seals, holds the custody journal.

Longer than 500 lines on purpose: an auditor reads and runs this one file
alone, without the rest of ikou, so the verifier, the writer and the
auditor's command stay together.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "GENESIS",
    "MAX_DEPTH",
    "MAX_LINE",
    "SEAL",
    "AuditKey",
    "ChainBroken",
    "ChainWriteError",
    "ChainWriter",
    "VerifyResult",
    "audit_key",
    "canonical_json",
    "key_folder",
    "verify",
]

GENESIS = "0" * 64
SEAL = "seal"
MAX_LINE = 1 << 20  # bytes; an event is a few hundred
MAX_DEPTH = 16  # nesting of objects and lists; an event needs four
KEY_FILE = "audit.key"
HEADS = "heads"
_SUFFIX = len(',"hash":"') + 64 + len('","tag":"') + 64 + len('"}')
_HEX = frozenset(b"0123456789abcdef")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # a lock file is never opened through a link


class ChainWriteError(Exception):
    """The log cannot be appended to (unwritable, unreadable)."""


class ChainBroken(ChainWriteError):
    """The log does not verify (tampered, torn, rolled back): nothing is appended."""

    def __init__(self, path: Path, result: VerifyResult) -> None:
        super().__init__(f"the audit log {path} does not verify: {result.sentence()}")
        self.result = result


# ------------------------------------------------------------------ the key


def key_folder() -> Path:
    """The key store: apart from every workspace (``$IKOU_KEY_DIR`` or ``~/.ikou/keys``)."""
    override = os.environ.get("IKOU_KEY_DIR")
    return Path(override) if override else Path.home() / ".ikou" / "keys"


@dataclass(frozen=True)
class AuditKey:
    """The audit key of one installation and its public id (``kid``)."""

    kid: str
    secret: bytes = field(repr=False)

    def tag(self, body: bytes) -> str:
        return hmac.new(self.secret, body, hashlib.sha256).hexdigest()


def _kid(secret: bytes) -> str:
    return hashlib.sha256(b"ikou audit key id\x00" + secret).hexdigest()[:16]


def private_key_folder(folder: Path) -> Path:
    """Create the key store (mode 0700) if it is not there."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(folder, 0o700)
    return folder


def audit_key(folder: Path | None = None, *, create: bool = False) -> AuditKey | None:
    """The installation's audit key from ``folder`` (the key store); made on first
    use when ``create`` (256 random bits, mode 0600); ``None`` if there is none."""
    folder = key_folder() if folder is None else folder
    path = folder / KEY_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            return None
        private_key_folder(folder)
        secret = secrets.token_bytes(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return audit_key(folder)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secret.hex() + "\n")
        return AuditKey(_kid(secret), secret)
    except (OSError, UnicodeDecodeError) as exc:
        raise ChainWriteError(f"cannot read the audit key {path}: {exc}.") from None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise ChainWriteError(f"the audit key {path} is damaged (not hexadecimal).") from None
    return AuditKey(_kid(secret), secret)


# ------------------------------------------------------------ the line


def canonical_json(obj: Any) -> bytes:
    """The one byte encoding bodies are written and hashed in."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _check_value(value: Any, depth: int = 1) -> None:
    """Refuse what a body may not hold: floats, non-string keys, deep nesting."""
    if depth > MAX_DEPTH:
        raise ValueError(f"an audit event may nest at most {MAX_DEPTH} deep")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError("audit event keys are strings")
            _check_value(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_value(item, depth + 1)
    elif isinstance(value, float):
        raise ValueError("an audit event holds integers only (no floats)")
    elif value is not None and not isinstance(value, str | int | bool):
        raise ValueError(f"an audit event cannot hold a {type(value).__name__}")


def encode_line(body: dict[str, Any], key: AuditKey) -> bytes:
    """The line for ``body`` (which holds ``seq``, ``prev`` and ``kid``), ``\\n`` included."""
    if "hash" in body or "tag" in body:
        raise ValueError("'hash' and 'tag' are written by the chain itself")
    _check_value(body)
    data = canonical_json(body)
    digest = hashlib.sha256(data).hexdigest()
    return data[:-1] + f',"hash":"{digest}","tag":"{key.tag(data)}"}}\n'.encode("ascii")


class _Bad(Exception):
    """One line's problem, in words: the kind of fault only, never a value from the
    line (a forged line could carry a cell value, or console control characters)."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _Bad("a key appears twice in one object")
            seen.add(name)
    return out


def _no_constant(name: str) -> Any:
    shown = name if name in _CONSTANTS else "number"  # the parser's own three words
    raise _Bad(f"holds the non-finite number {shown}")


def _no_float(text: str) -> Any:
    raise _Bad("holds a non-integer number")


_CONSTANTS = frozenset({"NaN", "Infinity", "-Infinity"})
_JSON_FAULTS = frozenset(
    {
        "Expecting value",
        "Expecting ':' delimiter",
        "Expecting ',' delimiter",
        "Expecting property name enclosed in double quotes",
        "Unterminated string starting at",
        "Invalid control character at",
        "Invalid \\escape",
        "Invalid \\uXXXX escape",
        "Extra data",
        "Illegal trailing comma before end of object",
        "Illegal trailing comma before end of array",
    }
)  # the JSON parser's messages that hold nothing of the text parsed


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_float=_no_float
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _split(raw: bytes) -> tuple[bytes, str, str]:
    """The body, hash and tag of a line, or :class:`_Bad`."""
    if len(raw) > MAX_LINE:
        raise _Bad(f"longer than {MAX_LINE:,} bytes (no event is)")
    tail = raw[-_SUFFIX:]
    hash_hex, tag_hex = tail[9:73], tail[82:146]
    if (
        len(raw) <= _SUFFIX + 1
        or not raw.startswith(b"{")
        or not tail.startswith(b',"hash":"')
        or tail[73:82] != b'","tag":"'
        or not tail.endswith(b'"}')
        or not _HEX.issuperset(hash_hex)
        or not _HEX.issuperset(tag_hex)
    ):
        raise _Bad('not an ikou chain line (it must end in "hash" and "tag")')
    return raw[:-_SUFFIX] + b"}", hash_hex.decode("ascii"), tag_hex.decode("ascii")


def _parse(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Bad("is not UTF-8") from None
    try:
        obj = _DECODER.decode(text)
    except RecursionError:
        raise _Bad(f"nested deeper than {MAX_DEPTH}") from None
    except json.JSONDecodeError as exc:
        fault = f" ({exc.msg})" if exc.msg in _JSON_FAULTS else ""
        raise _Bad(f"is not valid JSON{fault}") from None
    except ValueError:  # an integer longer than Python converts
        raise _Bad("is not valid JSON (an integer too long to read)") from None
    if body.count(b"{") + body.count(b"[") > MAX_DEPTH and _depth(obj) > MAX_DEPTH:
        raise _Bad(f"nested deeper than {MAX_DEPTH}")
    if "hash" in obj or "tag" in obj:
        raise _Bad("the key 'hash' or 'tag' appears twice")
    return obj


# ------------------------------------------------------------ verifying


@dataclass(frozen=True)
class VerifyResult:
    """What :func:`verify` found. ``ok`` is true only for an intact, untorn chain.

    ``authenticated`` says whether every tag was checked under this
    installation's key; ``unchecked`` names in words what could not be checked.
    ``open_runs`` are runs with events and no seal (running, or dead).
    """

    ok: bool
    events: int
    head: str | None
    bad_line: int | None = None
    problem: str | None = None
    torn: bool = False
    head_found_at: int | None = None
    runs: tuple[str, ...] = ()
    authenticated: bool = False
    unchecked: tuple[str, ...] = ()
    open_runs: tuple[str, ...] = ()
    entries: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    def sentence(self) -> str:
        """One sentence for a person, naming the first bad line if any: its number
        and the kind of fault, never text from the line."""
        if not self.ok:
            where = f"line {self.bad_line}: " if self.bad_line else ""
            return f"{where}{self.problem}"
        tail = ""
        if self.head_found_at is not None:
            after = self.events - self.head_found_at
            tail = f"; the signed head is event {self.head_found_at}"
            tail += f" ({after} event(s) appended after it)" if after else " (the last one)"
        checked = "authenticated" if self.authenticated else "links and hashes intact"
        note = f" Not checked: {'; '.join(self.unchecked)}." if self.unchecked else ""
        return f"{checked}: {self.events} event(s), head {self.head}{tail}.{note}"


class _Scanner:
    """The running state of a chain being read line by line (for the verifier
    and for the writer, which reads what other processes appended)."""

    def __init__(self, key: AuditKey | None, seals: bool) -> None:
        self.key = key
        self.seals = seals
        self.seq = 0
        self.prev = GENESIS
        self.first: str | None = None
        self.kid: str | None = None
        self.runs: dict[str, int] = {}  # run id → events so far
        self.sealed: set[str] = set()
        self.last_seal = GENESIS
        self.hashes: dict[int, str] = {}  # only the sequence numbers asked for
        self.watch: set[int] = set()

    def feed(self, raw: bytes) -> dict[str, Any]:
        """Check the next line; its event, or :class:`_Bad`."""
        body, digest, tag = _split(raw)
        if hashlib.sha256(body).hexdigest() != digest:
            raise _Bad("edited: its bytes do not match its hash")
        event = _parse(body)
        number = self.seq + 1
        if event.get("seq") != number:
            raise _Bad(
                f"its sequence number is not {number} (a line was inserted, deleted or moved)"
            )
        if event.get("prev") != self.prev:
            raise _Bad("does not follow the line before it (a line was inserted, deleted or moved)")
        kid = event.get("kid")
        if not isinstance(kid, str):
            raise _Bad("names no key ('kid')")
        if self.key is not None:
            if kid != self.key.kid:
                raise _Bad(
                    f"was written under another audit key, not this installation's key "
                    f"{self.key.kid} (a log from another installation, or a forgery)"
                )
            if not hmac.compare_digest(self.key.tag(body), tag):
                raise _Bad("its authentication tag does not match: it was not written by ikou")
        elif canonical_json(event) != body:
            raise _Bad("is not in canonical form (re-encoded: spacing, key order or escapes)")
        if self.seals:
            self._run_order(event)
            if event["stage"] == SEAL:
                self.last_seal = digest
        self.seq, self.prev = number, digest
        if self.first is None:
            self.first = digest
        if number in self.watch:
            self.hashes[number] = digest
        return event

    def _run_order(self, event: dict[str, Any]) -> None:
        for name in ("time", "stage", "run_id"):
            if not isinstance(event.get(name), str):
                raise _Bad(f"has no {name!r}")
        run = event["run_id"]
        if run in self.sealed:
            raise _Bad("an event of a run after that run's seal")
        count = self.runs.get(run, 0) + 1
        self.runs[run] = count
        if event["stage"] == SEAL:
            if event.get("run_events") != count:
                raise _Bad(
                    f"a seal that does not count the {count} event(s) its run has here "
                    "(events of the run were removed or added)"
                )
            if event.get("previous_seal") != self.last_seal:
                raise _Bad(
                    "a seal that does not follow the seal before it (a run was removed or moved)"
                )
            self.sealed.add(run)


def _lines(data: bytes) -> tuple[list[bytes], bool]:
    """The complete lines of ``data`` and whether a torn one follows them."""
    if not data:
        return [], False
    lines = data.split(b"\n")
    torn = lines.pop() != b""
    return lines, torn


def _head_record(folder: Path, log: Path) -> Path:
    name = hashlib.sha256(str(log.resolve()).encode("utf-8", "surrogatepass")).hexdigest()
    return folder / HEADS / f"{name[:32]}.json"


def last_seen(folder: Path, log: Path) -> tuple[int, str] | None:
    """The last event ikou wrote to ``log`` on this installation (seq, hash)."""
    try:
        data = json.loads(_head_record(folder, log).read_text(encoding="utf-8"))
        return int(data["seq"]), str(data["head"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remember(folder: Path, log: Path, seq: int, head: str) -> None:
    record = _head_record(folder, log)
    record.parent.mkdir(parents=True, exist_ok=True)
    temporary = record.with_name(f"{record.name}.{secrets.token_hex(4)}")
    temporary.write_text(
        json.dumps({"log": str(log.resolve()), "seq": seq, "head": head}), encoding="utf-8"
    )
    os.replace(temporary, record)


def verify(
    path: str | os.PathLike[str],
    head: str | None = None,
    *,
    key: AuditKey | None = None,
    key_dir: Path | None = None,
    seals: bool = True,
    keep: bool = False,
) -> VerifyResult:
    """Check every line of the chain at ``path``; stop at the first bad one.

    With ``key`` every tag is checked too; ``key_dir`` (a key store) is where
    the last event this installation wrote to the log is remembered, so a log
    rolled back or truncated is refused. ``head`` (full hash or a prefix of at
    least 8 hex digits, as printed on a signed report) must be the hash of an
    event whose run's seal follows it. ``seals=False`` for the custody
    journal, whose lines have no runs to seal. ``keep`` returns the events.
    Reads only; never writes.
    """
    log = Path(path)
    wanted = head.strip().lower().replace(" ", "").replace("-", "") if head else None
    if wanted is not None and (len(wanted) < 8 or not _HEX.issuperset(wanted.encode())):
        return VerifyResult(
            False, 0, None, None, "the head to check must be at least 8 hex digits."
        )
    seen = last_seen(key_dir, log) if key_dir is not None else None
    try:
        data = log.read_bytes()
    except FileNotFoundError:
        data = b""
        if seen is None:
            return VerifyResult(False, 0, None, None, f"{log} does not exist.")
    lines, torn = _lines(data)
    scanner = _Scanner(key, seals)
    if seen is not None:
        scanner.watch.add(seen[0])
    head_at: int | None = None
    head_run: str | None = None
    entries: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, start=1):
        try:
            event = scanner.feed(raw)
        except _Bad as bad:
            return VerifyResult(False, number - 1, scanner.prev, number, f"{bad}.")
        if keep:
            entries.append(event)
        if wanted is not None and head_at is None and scanner.prev.startswith(wanted):
            head_at, head_run = number, event.get("run_id")
    if torn:
        return VerifyResult(
            False,
            len(lines),
            scanner.prev,
            len(lines) + 1,
            f"torn last line (a crash while writing); the {len(lines)} event(s) before it verify.",
            torn=True,
        )
    if seen is not None:
        seq, known = seen
        if scanner.seq < seq:
            return VerifyResult(
                False,
                scanner.seq,
                scanner.prev,
                None,
                f"the log ends at event {scanner.seq}, but ikou wrote event {seq} to it on this "
                "installation: events were removed from its end (rolled back or truncated).",
            )
        if scanner.hashes.get(seq) != known:
            return VerifyResult(
                False,
                scanner.seq,
                scanner.prev,
                seq,
                "this is not the event ikou wrote here on this installation: the log was "
                "replaced by another one or rolled back.",
            )
    if wanted is not None:
        problem = None
        if head_at is None:
            problem = (
                "the head printed on the signed report is not in this chain "
                "(events were removed, or this is another log)."
            )
        elif seals and head_run not in scanner.sealed:
            problem = (
                f"the run of the signed head (event {head_at}) has no seal after it: "
                "events were removed after the head."
            )
        if problem:
            return VerifyResult(False, scanner.seq, scanner.prev, None, problem)
    unchecked = []
    if key is None:
        unchecked.append("authentication tags (no audit key: give --key-dir)")
    if key_dir is None or seen is None:
        unchecked.append("that the log was not rolled back (no record of it in a key store)")
    return VerifyResult(
        True,
        scanner.seq,
        scanner.prev if lines else None,
        head_found_at=head_at,
        runs=tuple(scanner.runs),
        authenticated=key is not None,
        unchecked=tuple(unchecked),
        open_runs=tuple(r for r in scanner.runs if r not in scanner.sealed),
        entries=tuple(entries),
    )


# ------------------------------------------------------------ writing


class _Lock:
    """An exclusive lock on ``<log>.lock`` for one append, released on exit.

    The operating system releases it if the process dies, so a crash never
    leaves the log locked. ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on
    Windows — the only OS-specific lines in this module.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> _Lock:
        # Never through a link: opening one would create or lock the file it points to.
        if not _NOFOLLOW and os.path.islink(self.path):  # pragma: no cover - no O_NOFOLLOW
            raise self._refused()
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600)
        except OSError:
            if os.path.islink(self.path):
                raise self._refused() from None
            raise
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            msvcrt.locking(self.fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def _refused(self) -> ChainWriteError:
        return ChainWriteError(
            f"the lock file {self.path} is a symbolic link: ikou never opens a lock through "
            "a link (it would create or lock the file it points to); keep it for the IT "
            "section to look at, then remove it."
        )

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


class ChainWriter:
    """Appends events to the chain at ``path``; each append is locked and fsynced.

    Opening verifies the whole log under ``key`` (and against the key store's
    record of it) and refuses a log that does not verify with
    :class:`ChainBroken`: nothing is ever appended to a broken chain. Each
    append takes the log's lock and first reads and checks whatever another
    process appended since, so two runs writing to one workspace interleave
    their events and the chain still verifies. A ``seal`` event gets its
    ``run_events`` and ``previous_seal`` here.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        key: AuditKey,
        key_dir: Path | None = None,
        seals: bool = True,
    ) -> None:
        self.path = Path(path)
        self.key = key
        self.key_dir = key_dir
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._scanner = _Scanner(key, seals)
        self._offset = 0
        self.entries: list[dict[str, Any]] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _Lock(self._lock_path):
                seen = last_seen(key_dir, self.path) if key_dir is not None else None
                if seen is not None:
                    self._scanner.watch.add(seen[0])
                self._catch_up()
                if seen is not None and self._scanner.hashes.get(seen[0]) != seen[1]:
                    result = verify(self.path, key=key, key_dir=key_dir, seals=seals)
                    raise ChainBroken(self.path, result)
        except ChainBroken:
            raise
        except OSError as exc:
            raise ChainWriteError(
                f"cannot open the audit log {self.path}: {exc.strerror}."
            ) from exc

    def _catch_up(self) -> None:
        """Read and check what was appended since this writer last looked."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                data = handle.read()
        except FileNotFoundError:
            data = b""
        lines, torn = _lines(data)
        for raw in lines:
            try:
                event = self._scanner.feed(raw)
            except _Bad:
                raise ChainBroken(self.path, self.verify()) from None
            self.entries.append(event)
            self._offset += len(raw) + 1
        if torn:
            raise ChainBroken(self.path, self.verify())

    def verify(self) -> VerifyResult:
        """The whole log verified as the writer sees it (for error messages)."""
        return verify(self.path, key=self.key, key_dir=self.key_dir, seals=self._scanner.seals)

    @property
    def head(self) -> str:
        """Hash of the last event of the log as this writer last saw it."""
        return self._scanner.prev

    def run_events(self, run_id: str) -> int:
        """How many events run ``run_id`` has in the log (as last seen)."""
        return self._scanner.runs.get(run_id, 0)

    def sealed(self, run_id: str) -> bool:
        return run_id in self._scanner.sealed

    def refresh(self) -> None:
        """Read what other processes appended since."""
        with _Lock(self._lock_path):
            self._catch_up()

    def append(self, event: dict[str, Any]) -> dict[str, Any]:
        """Write ``event`` as the next line; return it with ``seq``, ``prev``,
        ``kid``, ``hash`` (and a seal's counts)."""
        try:
            with _Lock(self._lock_path):
                self._catch_up()
                scanner = self._scanner
                if scanner.seals:
                    _writable(event, scanner)
                body = dict(event)
                body.update(seq=scanner.seq + 1, prev=scanner.prev, kid=self.key.kid)
                if scanner.seals and body.get("stage") == SEAL:
                    body["run_events"] = scanner.runs.get(str(body.get("run_id")), 0) + 1
                    body["previous_seal"] = scanner.last_seal
                line = encode_line(body, self.key)
                new = not self.path.exists()
                if not _NOFOLLOW and self.path.is_symlink():  # pragma: no cover - Windows
                    raise OSError(errno.ELOOP, "the log is a link")
                # never through a link: the event would land in the file it points to
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW
                fd = os.open(self.path, flags, 0o600)
                try:
                    os.write(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                if new:
                    _fsync_dir(self.path.parent)
                self._catch_up()
                if self.key_dir is not None:
                    _remember(self.key_dir, self.path, scanner.seq, scanner.prev)
        except ChainBroken:
            raise
        except OSError as exc:
            why = "it is a link, not the log itself" if exc.errno == errno.ELOOP else exc.strerror
            raise ChainWriteError(f"cannot append to the audit log {self.path}: {why}.") from exc
        return self.entries[-1] | {"hash": self._scanner.prev}

    def events(self) -> Iterator[dict[str, Any]]:
        """Every event of the log as last seen (verified)."""
        return iter(self.entries)


def _writable(event: dict[str, Any], scanner: _Scanner) -> None:
    """Refuse, before writing, an event its own chain would not verify."""
    for name in ("time", "stage", "run_id"):
        if not isinstance(event.get(name), str):
            raise ChainWriteError(f"an audit event needs a {name!r}")
    if event["run_id"] in scanner.sealed:
        raise ChainWriteError(f"run {event['run_id']} is sealed: nothing more is written for it")


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover - Windows cannot open a folder to fsync it
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ------------------------------------------------------------ the auditor's command


def _main(argv: list[str]) -> int:
    """``python -m ikou.audit.chain LOG [--head H] [--key-dir DIR] [--journal]``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m ikou.audit.chain", description="Verify an ikou audit log. Writes nothing."
    )
    parser.add_argument("log", type=Path)
    parser.add_argument("head", nargs="?", default=None, help="the head on the signed report")
    parser.add_argument("--head", dest="head_option", default=None)
    parser.add_argument(
        "--key-dir", type=Path, default=None, help="the key store holding audit.key"
    )
    parser.add_argument("--journal", action="store_true", help="LOG is a custody.journal")
    args = parser.parse_args(argv)
    if not args.log.is_file():
        print(f"{args.log}: no such file.", file=sys.stderr)
        return 2
    folder = args.key_dir or key_folder()
    try:
        key = audit_key(folder) if folder.is_dir() else None
    except ChainWriteError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    result = verify(
        args.log,
        args.head_option or args.head,
        key=key,
        key_dir=folder if folder.is_dir() else None,
        seals=not args.journal,
    )
    print(f"{args.log}: {result.sentence()}")
    return 0 if result.ok else 1


if __name__ == "__main__":  # pragma: no cover - exercised through the CLI tests
    sys.exit(_main(sys.argv[1:]))
