"""The extract stage: legacy files → raw tables in memory.

A raw table holds cell values as the files hold them (text, float, date,
bool, error cells) plus, for every row, the file, sheet and 1-based row number
it came from. Nothing is written to disk.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ikou.audit.artifacts import ArtifactStore
from ikou.audit.faults import checkpoint
from ikou.audit.hashing import encode_distinct, encode_table, joined
from ikou.errors import (
    EncryptedFileError,
    HeaderNotFoundError,
    SourceChangedError,
    SourceFileError,
    UnreadableFileError,
)
from ikou.mappings.engine import TEXT
from ikou.mappings.spec import title_cell
from ikou.mappings.transforms import typed_factorize
from ikou.pipeline.plan import LoadedPlan, SourceSpec
from ikou.pipeline.stages import StageReport
from ikou.pipeline.stages.extract.decrypt import unlock
from ikou.pipeline.stages.extract.grid import SheetTable, table_from_grid
from ikou.pipeline.stages.extract.readers import (
    EVERY_SHEET,
    Limits,
    detect_format,
    read_csv,
    read_docx,
    read_xls,
    read_xlsx,
    read_xml,
)
from ikou.pipeline.stages.extract.word97 import read_doc

__all__ = [
    "EXTENSIONS",
    "Opened",
    "PasswordPrompt",
    "RawTable",
    "SourceFile",
    "format_for",
    "limits_of",
    "open_source",
    "read_grids",
    "resolve_files",
    "run_extract",
    "source_pattern",
]

EXTENSIONS = {  # the format a file is declared as by its extension (format: auto)
    ".xls": "xls",
    ".xlsx": "xlsx",
    ".xlsm": "xlsm",
    ".xlsb": "xlsb",
    ".ods": "ods",
    ".xml": "xml",
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".docx": "docx",
    ".doc": "doc",  # an OLE file: its top-level streams tell Word from Excel
}
POSITION_COLUMNS = ("file", "sheet", "row")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class SourceFile:
    """A source file as read: its name for reports, size and whole-file hash."""

    name: str
    path: Path
    size: int
    sha256: str
    opened: str = "plain"  # or "password", "default" (Excel's built-in password)
    reader: str | None = None  # for a .doc: which readers read it (word97.READERS)


@dataclass(frozen=True)
class RawTable:
    """One plan source's rows: values by column name, positions by row, and each
    column's type-exact codes and distinct values (computed once: the stage hash
    and the map stage's once-per-distinct-value transforms both start from them)."""

    source: str
    frame: pd.DataFrame
    positions: pd.DataFrame
    files: tuple[SourceFile, ...]
    distinct: dict[str, tuple[np.ndarray, list[Any]]] = field(default_factory=dict)
    marks: pd.Series | None = None
    """Per row, ``footnote`` or ``after_table`` where the row lies past its
    table's end (:mod:`.extent`), else null; ``None`` when no row does."""

    def digest(self) -> str:
        """Canonical SHA-256 of positions and values (the extract stage's output)."""
        kinds = {"file": "string", "sheet": "string", "row": "integer"}
        where = encode_table(self.positions, kinds)
        columns = {
            name: self.distinct.get(name) or typed_factorize(self.frame[name].to_numpy(object))
            for name in self.frame.columns
        }
        return joined(where, encode_distinct(columns, self.frame.index)).digest()


def source_pattern(plan: LoadedPlan, source: str, which: str) -> str:
    """The path or glob of a source's ``rehearsal`` or ``production`` files."""
    spec = plan.plan.sources[source]
    if which == "production":
        if spec.production is None:
            raise SourceFileError(
                f"source {source!r} has no production: path in the plan.", file=source
            )
        return spec.production
    return spec.rehearsal


def resolve_files(base: Path, source_name: str, pattern: str) -> list[Path]:
    """Files for a source: a path or a glob relative to the plan's folder."""
    full = base / pattern
    if glob.has_magic(pattern):
        found = sorted(Path(p) for p in glob.glob(str(full), recursive=True) if Path(p).is_file())
        if not found:
            raise SourceFileError(
                f"no file matches {pattern!r} for source {source_name!r} "
                f"(looked in {base}); check the plan's path.",
                file=pattern,
            )
        return found
    if not full.is_file():
        raise SourceFileError(
            f"source {source_name!r}: {full} does not exist; check the plan's path.",
            file=str(full),
        )
    return [full]


def _display_name(base: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.name


def format_for(path: Path, spec: SourceSpec, shown: str) -> str:
    """The format a source file is declared as: the plan's ``format:``, else its extension."""
    if spec.format != "auto":
        return spec.format
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise UnreadableFileError(
            f"cannot tell the format of {shown} from its name; set format: (xls, xlsx, ods, "
            "xml, csv, docx…) in the plan's source.",
            file=shown,
        )
    return fmt


PasswordPrompt = Callable[[str], str | None]
"""``prompt(file)`` → the password a person typed for ``file``, or ``None``."""


def _password_source(
    shown: str, spec: SourceSpec, prompt: PasswordPrompt | None
) -> Callable[[], str | None]:
    def get() -> str | None:
        if spec.password_env is not None:
            value = os.environ.get(spec.password_env)
            if value is None:
                raise EncryptedFileError(
                    f"{shown} is password-protected and the environment variable "
                    f"{spec.password_env} named by password_env: is not set.",
                    file=shown,
                )
            return value
        return prompt(shown) if prompt is not None else None

    return get


def limits_of(spec: SourceSpec) -> Limits:
    """The reader limits a plan's source asks for."""
    return Limits(
        cells=spec.limits.cells,
        unpacked_bytes=spec.limits.unpacked_mb << 20,
        seconds=float(spec.limits.seconds),
        memory_bytes=spec.limits.memory_mb << 20,
    )


def read_grids(
    data: bytes,
    shown: str,
    spec: SourceSpec,
    declared: str,
    store: ArtifactStore | None = None,
    *,
    every_sheet: bool = False,
) -> tuple[list[tuple[str, list[list[Any]]]], str | None]:
    """The grids of one file's bytes, by the reader its first bytes (or ``declared``)
    call for, and for a ``.doc`` which readers read it (:data:`word97.READERS`).
    A workbook's grids carry its merged ranges and whether each sheet is hidden
    (:class:`.grid.SheetGrid`); ``every_sheet`` reads hidden sheets too."""
    fmt = detect_format(data, declared, shown)
    limits = limits_of(spec)
    sheets = EVERY_SHEET if every_sheet else spec.sheets
    if fmt == "xls":
        return read_xls(data, shown, sheets, limits), None
    if fmt in ("xlsx", "xlsm", "ods", "xlsb"):
        kind = "xlsx" if fmt == "xlsm" else fmt
        return read_xlsx(data, shown, sheets, limits, kind), None
    if fmt == "xml":
        return read_xml(data, shown, sheets, limits), None
    if fmt == "docx":
        return read_docx(data, shown, spec.tables, limits), None
    if fmt == "doc":
        return read_doc(data, shown, spec.tables, limits, store)
    return read_csv(data, shown, spec.encoding, spec.delimiter), None


@dataclass(frozen=True)
class Opened:
    """One source file opened by ikou's guarded readers: what it is, the format
    its bytes turned out to be, and its grids by sheet (or Word table)."""

    info: SourceFile
    format: str
    grids: list[tuple[str, list[list[Any]]]]


def open_source(
    path: Path,
    shown: str,
    spec: SourceSpec,
    prompt: PasswordPrompt | None = None,
    store: ArtifactStore | None = None,
    *,
    every_sheet: bool = False,
) -> Opened:
    """Read ``path`` the way a rehearsal does: its bytes once, hashed, decrypted
    in memory when protected (Excel's built-in password first, then
    ``password_env:`` or ``prompt``), parsed by the reader its first bytes call
    for. ``ikou profile`` opens files here too, so both see the same grids."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceFileError(f"cannot read {shown}: {exc.strerror}.", file=shown) from None
    if not data:
        raise UnreadableFileError(
            f"{shown} is an empty file (0 bytes); check the copy.", file=shown
        )
    size, sha256 = len(data), hashlib.sha256(data).hexdigest()
    declared = format_for(path, spec, shown)
    opened = "plain"
    try:
        grids, reader = read_grids(data, shown, spec, declared, store, every_sheet=every_sheet)
    except EncryptedFileError:  # decrypted in memory; the plaintext never touches the disk
        if not data.startswith(_OLE):  # only OLE-wrapped Office encryption can be opened
            raise
        data, opened = unlock(data, shown, _password_source(shown, spec, prompt))
        grids, reader = read_grids(data, shown, spec, declared, store, every_sheet=every_sheet)
    fmt = detect_format(data, declared, shown)
    del data
    return Opened(SourceFile(shown, path, size, sha256, opened, reader), fmt, grids)


def _read_file(
    path: Path,
    shown: str,
    spec: SourceSpec,
    wanted: Sequence[str],
    prompt: PasswordPrompt | None = None,
    store: ArtifactStore | None = None,
    cells: Sequence[str] = (),
) -> tuple[SourceFile, list[tuple[str, SheetTable]]]:
    opened = open_source(path, shown, spec, prompt, store)
    info, grids = opened.info, opened.grids
    word = bool(grids) and all(name.startswith("table ") for name, _ in grids)
    tables = []
    missing: HeaderNotFoundError | None = None
    for sheet, grid in grids:
        try:
            table = table_from_grid(
                grid,
                header_row=spec.header_row,
                wanted=wanted,
                file=shown,
                sheet=sheet or None,
                title=spec.title,
            )
        except HeaderNotFoundError as exc:
            # a Word document holds other tables too: without tables: in the plan,
            # the ones carrying the header are the source
            if not (word and spec.tables is None):
                raise
            missing = missing or exc
            continue
        for address in cells:  # a title cell: its value on every row of the sheet
            r, c = title_cell(address) or (0, 0)
            value = grid[r][c] if r < len(grid) and c < len(grid[r]) else None
            table.frame[address] = None if value == "" else value
        tables.append((sheet, table))
    if not tables and missing is not None:
        raise missing
    return info, tables


def _raw_table(
    source: str, parts: list[tuple[str, str, SheetTable]], files: list[SourceFile]
) -> RawTable:
    frames = [table.frame for _, _, table in parts]
    if len(frames) == 1:
        frame = frames[0].reset_index(drop=True)
    else:  # sheets may differ in columns: a column a sheet lacks is null there
        frame = pd.concat(frames, ignore_index=True, sort=False).astype(object)
        frame = frame.where(frame.notna(), None)
    positions = pd.DataFrame(
        {
            "file": pd.Series([f for f, _, t in parts for _ in t.rows], dtype=TEXT),
            "sheet": pd.Series([s for _, s, t in parts for _ in t.rows], dtype=TEXT),
            "row": pd.Series([r for _, _, t in parts for r in t.rows], dtype="Int64"),
        }
    )
    frame.index = positions.index
    distinct = {name: typed_factorize(frame[name].to_numpy(dtype=object)) for name in frame}
    marks = None
    if any(t.marks for _, _, t in parts):
        marks = pd.Series(
            [m for _, _, t in parts for m in (t.marks or (None,) * len(t.rows))],
            index=positions.index,
            dtype=object,
        )
    return RawTable(source, frame, positions, tuple(files), distinct, marks)


def run_extract(
    plan: LoadedPlan,
    *,
    progress: Callable[[str, int, int], None] | None = None,
    password: PasswordPrompt | None = None,
    which: str = "rehearsal",
    expected: dict[str, str] | None = None,
    store: ArtifactStore | None = None,
) -> tuple[dict[str, RawTable], StageReport]:
    """Read every source the mapping uses; return raw tables and the stage report.

    ``password(file)`` is asked for an encrypted file whose source names no
    ``password_env:`` (the CLI prompts at a terminal; nothing is asked otherwise).
    ``which`` picks the sources' ``rehearsal`` or ``production`` files;
    ``expected`` (path → SHA-256 from a preflight) refuses a file that changed.
    ``store`` keeps the copies an outside program needs (a ``.doc`` for
    LibreOffice); without one, such a file is refused.
    """
    wanted: dict[str, list[str]] = {}
    cells: dict[str, list[str]] = {}
    for table in plan.mapping.tables.values():
        bucket = wanted.setdefault(table.source, [])
        bucket.extend(c for c in table.source_columns() if c not in bucket)
        fixed = cells.setdefault(table.source, [])
        fixed.extend(c for c in table.title_cells() if c not in fixed)
    jobs = [
        (source, path)
        for source in wanted
        for path in resolve_files(plan.base, source, source_pattern(plan, source, which))
    ]
    raws: dict[str, RawTable] = {}
    per_source: dict[str, tuple[list[tuple[str, str, SheetTable]], list[SourceFile]]] = {}
    for done, (source, path) in enumerate(jobs):
        spec = plan.plan.sources[source]
        shown = _display_name(plan.base, path)
        if progress is not None:
            progress(shown, done, len(jobs))
        info, tables = _read_file(path, shown, spec, wanted[source], password, store, cells[source])
        if expected is not None and expected.get(str(path)) != info.sha256:
            raise SourceChangedError(
                f"{shown} changed after the preflight checked it; run ikou migrate again.",
                file=shown,
            )
        checkpoint("extract")
        parts, files = per_source.setdefault(source, ([], []))
        files.append(info)
        parts.extend((shown, sheet, table) for sheet, table in tables)
    if progress is not None:
        progress("", len(jobs), len(jobs))
    for source, (parts, files) in per_source.items():
        raws[source] = _raw_table(source, parts, files)
    digest_parts = [f"{name}:{raw.digest()}" for name, raw in sorted(raws.items())]
    output = hashlib.sha256("\n".join(digest_parts).encode("ascii")).hexdigest()
    report = StageReport(
        stage="extract",
        counts={
            "files": len(jobs),
            "rows": sum(len(raw.frame) for raw in raws.values()),
        },
        output_sha256=output,
        details={
            "sources": {
                name: {
                    "rows": len(raw.frame),
                    "files": [
                        {
                            "name": f.name,
                            "size": f.size,
                            "sha256": f.sha256,
                            "opened": f.opened,
                            **({"reader": f.reader} if f.reader else {}),
                        }
                        for f in raw.files
                    ],
                    "sheets": sorted({(f, s) for f, s, _ in per_source[name][0]}),
                    "header_rows": [t.header_row for _, _, t in per_source[name][0]],
                }
                for name, raw in raws.items()
            }
        },
        chain={
            "files": [
                {"sha256": f.sha256, "size": f.size} for raw in raws.values() for f in raw.files
            ]
        },
    )
    return raws, report
