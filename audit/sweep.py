"""``ikou sweep``: find copies of the migration's data scattered outside it.

Two kinds of copy are found, and neither needs a value:

* **exact** — the file's SHA-256 equals a source file's or an artifact's, as
  recorded in the workspace's audit chain;
* **derived** — a re-saved workbook, a CSV export, a text paste: rows whose
  cells carry at least two distinctive values of one migrated record, known
  by their keyed fingerprints (:mod:`audit.fingerprints`).

Each file is read once: hashed while its bytes are in memory, then told by
its bytes (:func:`audit.sweep_readers.kind_of`) and parsed if it is a
workbook, a Word document or text; a SQLite database is opened read-only and
every table's rows are matched by the same rule. The result counts the files
searched by kind and lists every file that could not be searched with the
reason, so that a sweep that missed something never reads as an all-clear
(:attr:`SweepResult.complete`). A file server holds every oddity an Office
suite ever wrote, and python-calamine aborts the whole process on some (a
value in a sheet's last cell makes it ask for 512 GB), so workbooks and Word
documents are parsed — and their rows matched — in a guarded child process
(:class:`audit.platform.GuardedWorker`, one child for the whole sweep,
forked again only after a file killed it): a file that takes its reader down
is listed as not searched, and the sweep goes on. The result names paths,
kinds, tables, row numbers, record counts, sizes and times — never a value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat as stat_kind
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ikou.audit.fingerprints import (
    MIN_FIELDS,
    FingerprintIndex,
    Normaliser,
    digest_of,
    is_wordlike,
    load_indexes,
)
from ikou.audit.platform import GuardedWorker, GuardTripped
from ikou.audit.sweep_readers import (
    HEAD,
    database_rows,
    decode,
    kind_of,
    rows_of_docx,
    rows_of_text,
    rows_of_workbook,
)
from ikou.errors import SweepPathError

__all__ = [
    "KINDS",
    "Finding",
    "Knowledge",
    "Place",
    "SweepResult",
    "check_paths",
    "load_knowledge",
    "matched_records",
    "sweep",
]

MAX_PARSE_BYTES = 256 << 20  # larger files are hashed, not parsed
KINDS = {  # a searched file's kind, as the summary names it
    "spreadsheet": "spreadsheet(s)",
    "word": "Word document(s)",
    "text": "CSV or text file(s)",
    "sqlite": "SQLite database(s)",
    "other": "other file(s), compared by hash only",
}
READER_SECONDS = 120  # per workbook or Word document, in the guarded child
READER_MEMORY = 2 << 30


@dataclass(frozen=True)
class Knowledge:
    """What the sweep looks for: whole-file hashes and record fingerprints."""

    exact: dict[str, str]  # sha256 → what it was ("source file", "artifact")
    key: bytes | None
    indexes: list[FingerprintIndex]
    key_missing: bool = False  # fingerprints exist, their key is not on this machine
    digests: frozenset[int] = frozenset()  # every index's digests, for a fast first test
    normalise: Normaliser | None = None  # how cells compare (the fingerprints' own)

    @property
    def records(self) -> int:
        return sum(index.records for index in self.indexes)


@dataclass(frozen=True)
class Place:
    """Where in a database the records are: a table, and its rows as runs
    ``(first, last)``, counted from 1 in the table's rowid (or key) order."""

    table: str
    rows: tuple[tuple[int, int], ...]

    def __str__(self) -> str:
        runs = ", ".join(f"{a}–{b}" if b > a else str(a) for a, b in self.rows[:6])
        single = len(self.rows) == 1 and self.rows[0][0] == self.rows[0][1]
        more = ", …" if len(self.rows) > 6 else ""
        return f"table {self.table}, {'row' if single else 'rows'} {runs}{more}"


@dataclass(frozen=True)
class Finding:
    """One file that holds the migration's data."""

    path: str
    kind: str  # "exact" or "derived"
    what: str  # what it is a copy of: "source file", "artifact", "records"
    records: int
    size: int
    modified: str
    places: tuple[Place, ...] = ()  # tables and rows, for a database


@dataclass
class SweepResult:
    """Every finding, the files searched by kind, and those that could not be."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    searched: dict[str, int] = field(default_factory=dict)  # kind (KINDS) → files
    not_searched: list[tuple[str, str]] = field(default_factory=list)  # path, reason
    links: int = 0  # symbolic links, not followed
    special: int = 0  # pipes, sockets, devices: no bytes of their own

    @property
    def complete(self) -> bool:
        """Whether every file under the paths was searched."""
        return not self.not_searched

    def as_dict(self) -> dict[str, Any]:
        """The result as ``ikou sweep --json`` prints it."""
        from dataclasses import asdict

        return {
            "findings": [asdict(f) for f in self.findings],
            "files": self.files,
            "bytes": self.bytes,
            "searched": dict(self.searched),
            "not_searched": [{"path": p, "reason": r} for p, r in self.not_searched],
            "links_not_followed": self.links,
            "special_files": self.special,
            "complete": self.complete,
        }


def load_knowledge(
    workspace: Path, events: Iterable[dict[str, Any]], normalise: Normaliser
) -> Knowledge:
    """Hashes from the workspace's audit chain (``events``, as verified), its
    fingerprints and their key, compared through ``normalise``."""
    exact: dict[str, str] = {}
    for event in events:
        for entry in event.get("files", []) if isinstance(event.get("files"), list) else []:
            if isinstance(entry, dict) and "sha256" in entry:
                exact[str(entry["sha256"])] = "source file"
        if event.get("stage") == "artifact.closed" and event.get("output_sha256"):
            exact[str(event["output_sha256"])] = "artifact"
    key, indexes = load_indexes(workspace)
    missing = key is None and any((workspace / "fingerprints").glob("*.npz"))
    known = frozenset(d for index in indexes for d in index.digests.tolist())
    return Knowledge(exact, key, indexes, missing, known, normalise)


def check_paths(paths: Iterable[Path]) -> None:
    """Raise :class:`SweepPathError` naming every path that does not exist or
    cannot be read — a sweep of nothing must not read as an all-clear."""
    wrong: list[str] = []
    bad: list[Path] = []
    for path in paths:
        said = len(wrong)
        try:
            mode = path.stat().st_mode
            if stat_kind.S_ISDIR(mode):
                with os.scandir(path) as entries:
                    next(entries, None)
            elif stat_kind.S_ISREG(mode):
                with path.open("rb") as handle:
                    handle.read(1)
            else:
                wrong.append(f"{path} is not a file or a folder (a pipe, socket or device)")
        except FileNotFoundError:
            broken = " (a symbolic link to nothing)" if path.is_symlink() else ""
            wrong.append(f"{path} does not exist{broken}")
        except OSError as exc:
            wrong.append(f"{path} cannot be read ({exc.strerror or 'unreadable'})")
        if len(wrong) > said:
            bad.append(path)
    if wrong:
        raise SweepPathError(
            "nothing was searched: "
            + "; ".join(wrong)
            + " — give folders or files this user can read.",
            file=str(bad[0]),
        )


def _walk(paths: Iterable[Path], result: SweepResult) -> Iterator[Path]:
    """Every file under ``paths``; folders that cannot be listed are noted as not
    searched, symbolic links inside them counted and not followed."""

    def unreadable(error: OSError) -> None:
        result.not_searched.append(
            (str(error.filename), f"folder cannot be listed ({error.strerror or 'unreadable'})")
        )

    for root in paths:
        if not root.is_dir():
            yield root
            continue
        for folder, dirs, files in os.walk(root, onerror=unreadable, followlinks=False):
            result.links += sum(1 for d in dirs if os.path.islink(os.path.join(folder, d)))
            dirs.sort()
            for name in sorted(files):
                path = Path(folder) / name
                if path.is_symlink():
                    result.links += 1
                else:
                    yield path


class _Matcher:
    """The sweep's one rule, row by row: the migrated records a row holds are
    those with at least MIN_FIELDS distinctive values in it, one word-like."""

    CACHE = 1 << 20  # distinct cells remembered; a large database clears it now and then

    def __init__(self, knowledge: Knowledge) -> None:
        self._knowledge = knowledge
        self._cache: dict[Any, tuple[int, bool] | None] = {}

    def records(self, row: Sequence[Any]) -> set[tuple[int, int]]:
        """``(index number, record number)`` of each record the row holds."""
        knowledge = self._knowledge
        key, known, normalise = knowledge.key, knowledge.digests, knowledge.normalise
        if key is None or normalise is None or len(row) < MIN_FIELDS:
            return set()  # nothing to match, or a line of prose, a one-column list
        cache = self._cache
        if len(cache) > self.CACHE:
            cache.clear()
        found: dict[int, bool] = {}
        for cell in row:
            try:
                marker = (cell.__class__, cell)
                if marker not in cache:
                    hit = digest_of(key, cell, normalise)
                    cache[marker] = (
                        None
                        if hit is None or hit[0] not in known
                        else (hit[0], is_wordlike(hit[1]))
                    )
                hit = cache[marker]
            except TypeError:
                continue
            if hit is not None:
                found[hit[0]] = found.get(hit[0], False) or hit[1]
        matched: set[tuple[int, int]] = set()
        if len(found) < MIN_FIELDS or not any(found.values()):
            return matched
        for number, index in enumerate(knowledge.indexes):
            owners = {d: index.lookup(d) for d in found}
            owners = {d: o for d, o in owners.items() if len(o)}
            worded = [o for d, o in owners.items() if found[d]]
            if len(owners) < MIN_FIELDS or not worded:
                continue
            ids, counts = np.unique(np.concatenate(list(owners.values())), return_counts=True)
            candidates = set(ids[counts >= MIN_FIELDS].tolist())
            candidates &= set(np.concatenate(worded).tolist())
            matched.update((number, int(r)) for r in candidates)
        return matched


def matched_records(rows: Iterable[Sequence[Any]], knowledge: Knowledge) -> int:
    """How many distinct migrated records the rows hold (:class:`_Matcher`) —
    the sweep's rule, for whoever else must recognise records (a rehearsal
    refusing live data)."""
    matcher = _Matcher(knowledge)
    matched: set[tuple[int, int]] = set()
    for row in rows:
        matched |= matcher.records(row)
    return len(matched)


def _runs(numbers: list[int]) -> tuple[tuple[int, int], ...]:
    """Ascending numbers as ``(first, last)`` runs."""
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return tuple(runs)


def sweep(
    paths: Iterable[Path],
    knowledge: Knowledge,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> SweepResult:
    """Look at every file under ``paths`` once; ``progress(path, bytes)`` per file.

    Raises :class:`SweepPathError` if a path does not exist or cannot be read;
    a file inside that cannot be searched is listed in ``not_searched``."""
    paths = list(paths)
    check_paths(paths)
    result = SweepResult()

    def parse(job: tuple[bytes, bool]) -> int:  # in the worker: a workbook or Word document
        data, word = job
        return matched_records((rows_of_docx if word else rows_of_workbook)(data), knowledge)

    with GuardedWorker(parse, seconds=READER_SECONDS, memory_bytes=READER_MEMORY) as worker:
        _sweep_files(paths, knowledge, worker, progress, result)
    return result


def _read(path: Path) -> tuple[os.stat_result, bytes, bytes | None]:
    """A regular file's status, first bytes, and all of them if it is not too large
    to parse. Raises OSError, or ValueError for a pipe, socket or device."""
    info = path.stat()
    if not stat_kind.S_ISREG(info.st_mode):
        raise ValueError("not a regular file")
    with path.open("rb") as handle:
        info = os.fstat(handle.fileno())
        data = handle.read() if info.st_size <= MAX_PARSE_BYTES else None
        head = data[:HEAD] if data is not None else handle.read(HEAD)
    return info, head, data


def _sweep_files(
    paths: Iterable[Path],
    knowledge: Knowledge,
    worker: GuardedWorker,
    progress: Callable[[str, int], None] | None,
    result: SweepResult,
) -> None:
    for path in _walk(paths, result):
        shown = str(path)
        try:
            info, head, data = _read(path)
        except ValueError:  # holds no bytes of its own
            result.special += 1
            continue
        except FileNotFoundError:
            result.not_searched.append((shown, "vanished before it could be read"))
            continue
        except OSError as exc:
            result.not_searched.append((shown, exc.strerror or "cannot be read"))
            continue
        result.files += 1
        result.bytes += info.st_size
        if progress is not None:
            progress(shown, info.st_size)
        modified = (
            dt.datetime.fromtimestamp(info.st_mtime, dt.UTC).replace(microsecond=0).isoformat()
        )
        sha256 = hashlib.sha256(data).hexdigest() if data is not None else _hash_large(path)
        kind, why_not = kind_of(path, head, data)
        if sha256 in knowledge.exact:
            result.findings.append(
                Finding(shown, "exact", knowledge.exact[sha256], 0, info.st_size, modified)
            )
        elif why_not is not None:
            result.not_searched.append((shown, why_not))
            continue
        elif kind != "other" and knowledge.key is not None and knowledge.indexes:
            try:
                kind, records, places, notes = _search(path, kind, data, knowledge, worker)
            except ValueError as exc:
                result.not_searched.append((shown, str(exc)))
                continue
            result.not_searched.extend((shown, note) for note in notes)
            if records:
                result.findings.append(
                    Finding(
                        shown, "derived", "records", records, info.st_size, modified, tuple(places)
                    )
                )
        result.searched[kind] = result.searched.get(kind, 0) + 1


def _search(
    path: Path, kind: str, data: bytes | None, knowledge: Knowledge, worker: GuardedWorker
) -> tuple[str, int, list[Place], list[str]]:
    """Search one file for records: its kind (text that does not decode is
    "other"), the records it holds, where, and notes on what was not searched.
    Raises ValueError with the reason when the file could not be searched."""
    if kind == "sqlite":
        matcher, notes = _Matcher(knowledge), []
        matched: set[tuple[int, int]] = set()
        rows: dict[str, list[int]] = {}
        for table, number, row in database_rows(path, notes):
            found = matcher.records(row)
            if found:
                matched |= found
                rows.setdefault(table, []).append(number)
        return kind, len(matched), [Place(t, _runs(n)) for t, n in rows.items()], notes
    if data is None:
        raise ValueError(
            f"too large to read for records (over {MAX_PARSE_BYTES >> 20} MB); compared by "
            "hash only"
        )
    if kind == "text":
        text = decode(data)
        if text is None:  # another encoding, or binary without a NUL early on
            return "other", 0, [], []
        return kind, matched_records(rows_of_text(text), knowledge), [], []
    try:
        return kind, worker.run((data, kind == "word")), [], []
    except GuardTripped as exc:
        raise ValueError(f"its reader stopped ({exc.reason}); not searched") from None


def _hash_large(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
