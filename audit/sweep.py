"""``ikou sweep``: find copies of the migration's data scattered outside it.

Two kinds of copy are found, and neither needs a value:

* **exact** — the file's SHA-256 equals a source file's or an artifact's, as
  recorded in the workspace's audit chain;
* **derived** — a re-saved workbook, a CSV export, a text paste: rows whose
  cells carry at least two distinctive values of one migrated record, known
  by their keyed fingerprints (:mod:`audit.fingerprints`).

Each file is read once (hashed while its bytes are in memory, then parsed if
it is a workbook, a Word document or text); what cannot be read is skipped
with a note. A file server holds every oddity an Office suite ever wrote, and
python-calamine aborts the whole process on some (a value in a sheet's last
cell makes it ask for 512 GB), so workbooks and Word documents are parsed —
and their rows matched — in a guarded child process
(:class:`audit.platform.GuardedWorker`, one child for the whole sweep,
forked again only after a file killed it): a file that takes its reader down is
skipped with a note, and the sweep goes on. Markup (HTML tables saved as
``.xls``, Excel 2003 XML) is read row element by row element. The result
names paths, kinds, record counts, sizes and times — never a value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator
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

__all__ = ["Finding", "Knowledge", "SweepResult", "load_knowledge", "sweep"]

MAX_PARSE_BYTES = 256 << 20  # larger files are hashed, not parsed
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_TEXT_SPLIT = re.compile(r"\t|,|;|\||\s{2,}")
_MARKUP_ROW = re.compile(r"</(?:row|tr)\s*>", re.IGNORECASE)  # Excel 2003 XML, HTML tables
_TAG = re.compile(r"<[^>]*>")
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
class Finding:
    """One file that holds the migration's data."""

    path: str
    kind: str  # "exact" or "derived"
    what: str  # what it is a copy of: "source file", "artifact", "records"
    records: int
    size: int
    modified: str


@dataclass
class SweepResult:
    """Every finding, and what was looked at or skipped."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # path, reason


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


def _walk(paths: Iterable[Path], skipped: list[tuple[str, str]]) -> Iterator[Path]:
    def unreadable(error: OSError) -> None:
        skipped.append((str(error.filename), error.strerror or "cannot be listed"))

    for root in paths:
        if root.is_file():
            yield root
            continue
        if not root.exists():
            skipped.append((str(root), "does not exist"))
            continue
        for folder, dirs, files in os.walk(root, onerror=unreadable, followlinks=False):
            dirs.sort()
            for name in sorted(files):
                path = Path(folder) / name
                if not path.is_symlink():
                    yield path


def _rows_of_workbook(data: bytes) -> Iterator[list[Any]]:
    import python_calamine as pc

    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        for name in book.sheet_names:
            yield from book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except BaseException as exc:  # calamine panics are not Exceptions
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        raise ValueError("not a workbook ikou can read") from None


def _rows_of_docx(data: bytes) -> Iterator[list[Any]]:
    import docx

    try:
        for table in docx.Document(io.BytesIO(data)).tables:
            for row in table.rows:
                yield [cell.text for cell in row.cells]
    except Exception:  # python-docx raises KeyError, ValueError, lxml errors on damage
        raise ValueError("not a Word document ikou can read") from None


def _is_word(data: bytes) -> bool:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except Exception:
        return False


def _decode(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:4096]:
        return None  # binary
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _rows_of_text(text: str) -> Iterator[list[str]]:
    if text.lstrip()[:1] == "<" and _MARKUP_ROW.search(text):
        for chunk in _MARKUP_ROW.split(text):
            yield [c.strip() for c in _TAG.split(chunk) if c.strip()]
        return
    for line in text.splitlines():
        cells = [c.strip().strip('"') for c in _TEXT_SPLIT.split(line)]
        yield [c for c in cells if c]


def _records_in(path: Path, data: bytes, knowledge: Knowledge, worker: GuardedWorker) -> int | None:
    """Migrated records the file holds, or ``None`` if it is not something ikou reads.

    Raises ValueError with a reason when the file cannot be read.
    """
    if knowledge.key is None or not knowledge.indexes:
        return 0  # nothing to match: no need to parse
    if data.startswith((_CFB, _ZIP)):  # an .xls that is HTML or XML inside is text below
        zipped = data.startswith(_ZIP)
        if zipped and path.suffix.lower() in (".pptx", ".zip"):
            return None
        try:
            return worker.run((data, zipped and _is_word(data)))
        except GuardTripped as exc:
            raise ValueError(f"its reader stopped ({exc.reason}); not searched") from None
    text = _decode(data)
    return None if text is None else _matched_records(_rows_of_text(text), knowledge)


def _matched_records(rows: Iterable[list[Any]], knowledge: Knowledge) -> int:
    """How many distinct records have, within one row, at least MIN_FIELDS
    distinctive values, one of them word-like."""
    if knowledge.key is None or not knowledge.indexes:
        return 0
    key, known, normalise = knowledge.key, knowledge.digests, knowledge.normalise
    if normalise is None:
        return 0
    cache: dict[Any, tuple[int, bool] | None] = {}
    matched: set[tuple[int, int]] = set()
    for row in rows:
        if len(row) < MIN_FIELDS:  # a line of prose, a one-column list
            continue
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
        if len(found) < MIN_FIELDS or not any(found.values()):
            continue
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
    return len(matched)


def sweep(
    paths: Iterable[Path],
    knowledge: Knowledge,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> SweepResult:
    """Look at every file under ``paths`` once; ``progress(path, bytes)`` per file."""
    result = SweepResult()

    def parse(job: tuple[bytes, bool]) -> int:  # in the worker: a workbook or Word document
        data, word = job
        return _matched_records((_rows_of_docx if word else _rows_of_workbook)(data), knowledge)

    with GuardedWorker(parse, seconds=READER_SECONDS, memory_bytes=READER_MEMORY) as worker:
        _sweep_files(paths, knowledge, worker, progress, result)
    return result


def _sweep_files(
    paths: Iterable[Path],
    knowledge: Knowledge,
    worker: GuardedWorker,
    progress: Callable[[str, int], None] | None,
    result: SweepResult,
) -> None:
    for path in _walk(paths, result.skipped):
        shown = str(path)
        try:
            stat = path.stat()
            data = path.read_bytes() if stat.st_size <= MAX_PARSE_BYTES else None
        except OSError as exc:
            result.skipped.append((shown, exc.strerror or "unreadable"))
            continue
        result.files += 1
        result.bytes += stat.st_size
        if progress is not None:
            progress(shown, stat.st_size)
        modified = (
            dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC).replace(microsecond=0).isoformat()
        )
        if data is None:
            sha256 = _hash_large(path)
            if sha256 in knowledge.exact:
                result.findings.append(
                    Finding(shown, "exact", knowledge.exact[sha256], 0, stat.st_size, modified)
                )
            else:
                result.skipped.append((shown, "too large to read for records; hashed only"))
            continue
        sha256 = hashlib.sha256(data).hexdigest()
        if sha256 in knowledge.exact:
            result.findings.append(
                Finding(shown, "exact", knowledge.exact[sha256], 0, stat.st_size, modified)
            )
            continue
        try:
            records = _records_in(path, data, knowledge, worker)
        except ValueError as exc:
            result.skipped.append((shown, str(exc)))
            continue
        if records:
            result.findings.append(
                Finding(shown, "derived", "records", records, stat.st_size, modified)
            )


def _hash_large(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
