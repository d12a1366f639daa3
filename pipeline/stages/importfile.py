"""The vendor's import file: each accepted row as the vendor's loader reads it, and back.

A table under the plan's ``target.files`` is written as CSV (the ``csv``
module, the vendor's quoting) or as fixed-length records whose widths count
bytes of the file's encoding — CP932 by default. Every cell is made text one
way (:func:`_cell`), used twice: by the validate stage, to reject before the
load the rows the file cannot hold exactly (:func:`import_rejects`), and by the
writer (:func:`render`). So the accounting stays exact: a row is loaded (in
the file), rejected or skipped.

A cell the file cannot hold is a reject of its row naming the column:

* ``<column>.import.unencodable`` — a character the encoding lacks (𠮷 in CP932,
  塚 U+FA10 in ``shift_jis``) or one the codec would silently turn into another
  (CP932 writes 〜 U+301C as ～ U+FF5E, − U+2212 as －): never a ``?``. A
  declared substitution table (``gaiji``, 外字表) replaces characters first;
  the report counts each substitution by column and character;
* ``<column>.import.too_long`` — wider than its fixed-length field: a value is
  never cut, so never a character in two;
* ``<column>.import.unrepresentable`` — a value the file would read back as
  another: an empty text (an empty field is a null), a text ending in spaces in a
  space-padded field, a line break in a fixed-length record, a delimiter or quote
  under ``quoting: none``, or a text that already begins with the formula escape
  followed by ``=``, ``+``, ``-``, ``@``, tab or CR (it would read back unescaped).

A text column's cell beginning with ``=``, ``+``, ``-``, ``@``, tab or CR is
written after the plan's ``formula_escape`` (default ``'``) so a spreadsheet
never runs it; numbers are never escaped (``-5`` stays ``-5``). :func:`parse`
reads the file back — same encoding, quoting and widths — undoing the escape
and the substitutions made, into the canonical Arrow form the database's
read-back has (:func:`~ikou.pipeline.stages.arrowdb.canonical_column`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ikou.errors import ImportFileError
from ikou.pipeline.importspec import FORMULA_START, ImportColumn, ImportFile, read_gaiji
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.stages.arrowdb import canonical_column
from ikou.validation.schema import ValidatedTable

__all__ = ["Layout", "Rendered", "import_rejects", "layouts", "parse", "render", "shown_path"]

_NEWLINES = {"crlf": "\r\n", "lf": "\n", "none": ""}
_QUOTING = {
    "minimal": csv.QUOTE_MINIMAL,
    "all": csv.QUOTE_ALL,
    "nonnumeric": csv.QUOTE_NONNUMERIC,
    "none": csv.QUOTE_NONE,
}
_NUMBERS = ("integer", "decimal")


@dataclass(frozen=True)
class Column:
    """One field of the file: its contract column and kind, header, width and padding."""

    name: str
    kind: str
    header: str
    width: int | None = None
    zero: bool = False
    right: bool = False


@dataclass(frozen=True)
class Layout:
    """How one table is written: the plan's declaration resolved against the contract."""

    table: str
    spec: ImportFile
    columns: tuple[Column, ...]
    gaiji: dict[str, str]
    key: tuple[str, ...]

    @property
    def suffix(self) -> str:
        return ".csv" if self.spec.format == "csv" else ".txt"

    @property
    def newline(self) -> str:
        return _NEWLINES[self.spec.newline]

    @property
    def kinds(self) -> dict[str, str]:
        """The written columns and their kinds, in file order."""
        return {c.name: c.kind for c in self.columns}

    @property
    def escape(self) -> str | None:
        fixed = self.spec.format == "fixed"
        return None if fixed or self.spec.formula_escape == "none" else self.spec.formula_escape


def layouts(plan: LoadedPlan) -> dict[str, Layout]:
    """Every ``target.files`` table's layout (a gaiji CSV read again, checked against
    the SHA-256 the plan's identity holds)."""
    out = {}
    for table, spec in plan.plan.target.files.items():
        contract = plan.contract.tables[table]
        declared = spec.columns or tuple(ImportColumn(column=c) for c in contract.columns)
        columns = []
        for c in declared:
            kind = contract.columns[c.column].type
            right = c.align == "right" if c.align else kind in _NUMBERS
            columns.append(
                Column(c.column, kind, c.header or c.column, c.width, c.pad == "zero", right)
            )
        out[table] = Layout(table, spec, tuple(columns), _gaiji(plan, table, spec),
                            tuple(contract.primary_key))  # fmt: skip
    return out


def _gaiji(plan: LoadedPlan, table: str, spec: ImportFile) -> dict[str, str]:
    if isinstance(spec.gaiji, dict):
        return dict(spec.gaiji)
    if spec.gaiji is None:
        return {}
    path = (plan.base / spec.gaiji).resolve()
    if hashlib.sha256(path.read_bytes()).hexdigest() != plan.file_sha256.get(f"gaiji:{table}"):
        raise ImportFileError(
            f"the gaiji table {path} changed since the plan was loaded; run again.",
            file=str(path),
        )
    return read_gaiji(path)


@dataclass(frozen=True)
class _Cell:
    text: str | None  # as written (escaped), None for null
    problem: str | None = None  # unencodable, too_long, unrepresentable
    substituted: tuple[str, ...] = ()  # the characters replaced through the gaiji table
    unescaped: str | None = None  # the text before the formula escape, when substituted


def _cell(value: Any, column: Column, layout: Layout) -> _Cell:
    """One value as the file holds it, or why it cannot be held."""
    spec = layout.spec
    kind = column.kind
    substituted: tuple[str, ...] = ()
    if kind == "string":
        original = str(value)
        text = "".join(layout.gaiji.get(ch, ch) for ch in original) if layout.gaiji else original
        if text != original:
            substituted = tuple(ch for ch in original if ch in layout.gaiji)
    elif kind == "integer":
        text = str(int(value))
    elif kind == "decimal":
        text = format(Decimal(value), "f")
    elif kind == "date":
        text = value.strftime(spec.date_format)
    else:
        text = "1" if value else "0"
    plain = text
    problem = _problem(text, column, layout)
    if problem is None and kind == "string" and layout.escape and text[0] in FORMULA_START:
        text = layout.escape + text
    if problem is None:
        try:
            encoded = text.encode(spec.encoding)
        except UnicodeEncodeError:
            problem = "unencodable"
        else:
            # best fit (〜 → ～, ¥ → \); and shift_jis's 0x5C, 0x7E, read as ¥ and ‾ by JIS X 0201
            if encoded.decode(spec.encoding) != text or (
                spec.encoding == "shift_jis" and ("\\" in text or "~" in text)
            ):
                problem = "unencodable"
            elif column.width is not None and len(encoded) > column.width:
                problem = "too_long"
    return _Cell(text, problem, substituted, plain if substituted else None)


def _problem(text: str, column: Column, layout: Layout) -> str | None:
    """Why ``text`` (before escaping) would read back as something else, if it would."""
    if column.kind != "string":
        return None
    if text == "":
        return "unrepresentable"
    escape = layout.escape
    if escape and text.startswith(escape) and text[len(escape) :][:1] in FORMULA_START:
        return "unrepresentable"  # it would read back unescaped
    if layout.spec.format == "fixed":
        if "\r" in text or "\n" in text:
            return "unrepresentable"
        if text.endswith(" ") if not column.right else text.startswith(" "):
            return "unrepresentable"
    elif layout.spec.quoting == "none":
        specials = (layout.spec.delimiter, layout.spec.quotechar, "\r", "\n")
        if any(s in text for s in specials):
            return "unrepresentable"
    return None


def _cells(series: pd.Series, column: Column, layout: Layout) -> list[_Cell | None]:
    """Each value's cell, worked out once per distinct value (``None`` for null)."""
    values = series.to_numpy(dtype=object, na_value=None)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    done = [_cell(u, column, layout) for u in uniques] + [None]
    at = np.where(codes < 0, len(uniques), codes)
    return [done[i] for i in at.tolist()]


def import_rejects(
    plan: LoadedPlan, validated: dict[str, ValidatedTable]
) -> dict[str, ValidatedTable]:
    """Reject the accepted rows of every ``target.files`` table that its file cannot
    hold exactly: ``<column>.import.<problem>`` (see the module's docstring)."""
    out = dict(validated)
    for name, layout in layouts(plan).items():
        if name not in out:
            continue
        table = out[name]
        found: list[tuple[Any, str, str]] = []
        for column in layout.columns:
            if column.name not in table.accepted:
                continue  # not fed (null) or generated later
            cells = _cells(table.accepted[column.name], column, layout)
            found += [
                (row, column.name, f"{column.name}.import.{cell.problem}")
                for row, cell in zip(table.accepted.index, cells, strict=True)
                if cell is not None and cell.problem is not None
            ]
        if not found:
            continue
        rows = pd.Index(sorted({r for r, _, _ in found}))
        more = pd.DataFrame(found, columns=["row", "column", "slug"])
        rejects = pd.concat([table.rejects, more], ignore_index=True)
        rejects = rejects.sort_values(["row", "slug"], kind="stable").reset_index(drop=True)
        out[name] = replace(
            table,
            accepted=table.accepted.loc[~table.accepted.index.isin(rows)],
            rejects=rejects,
            notes=table.notes[~table.notes["row"].isin(rows)],
            cleared=table.cleared[~table.cleared["row"].isin(rows)],
        )
    return out


@dataclass(frozen=True)
class Rendered:
    """A table's file content and what the read-back needs to undo (in memory only)."""

    data: bytes
    rows: int
    substitutions: Counter[tuple[str, str]]  # (column, character) → cells
    undo: dict[tuple[int, str], tuple[str, Any]] = field(default_factory=dict)
    """(row in the file, column) → (text written before escaping, the accepted value)."""


class _Bare(int):
    """A number the ``csv`` module leaves unquoted under ``QUOTE_NONNUMERIC``,
    written as its exact text (an ``int`` subclass: ``csv`` asks whether a field is
    a number, then writes ``str`` of it)."""

    text = ""

    def __str__(self) -> str:
        return self.text


def _bare(text: str) -> _Bare:
    number = _Bare(0)
    number.text = text
    return number


def render(layout: Layout, frame: pd.DataFrame) -> Rendered:
    """The file's bytes for ``frame`` (the accepted rows, every contract column, in
    source order). Raises :class:`ImportFileError` for a value the validate stage
    could not see (a generated key wider than its field)."""
    spec = layout.spec
    substitutions: Counter[tuple[str, str]] = Counter()
    undo: dict[tuple[int, str], tuple[str, Any]] = {}
    columns: list[list[Any]] = []
    for column in layout.columns:
        series = frame[column.name]
        cells = _cells(series, column, layout)
        originals = series.to_numpy(dtype=object, na_value=None)
        texts: list[Any] = []
        for position, cell in enumerate(cells):
            if cell is None:
                texts.append(None)
                continue
            if cell.problem is not None:
                raise ImportFileError(
                    f"{layout.table}.{column.name}: a value cannot be written to the import "
                    f"file ({column.name}.import.{cell.problem}); widen the field.",
                    column=column.name,
                )
            if cell.substituted:
                substitutions.update((column.name, ch) for ch in cell.substituted)
                undo[(position, column.name)] = (str(cell.unescaped), originals[position])
            texts.append(cell.text)
        columns.append(texts)
    rows = list(zip(*columns, strict=True)) if columns else []
    if spec.format == "csv":
        data = _csv_bytes(layout, rows)
    else:
        data = _fixed_bytes(layout, rows)
    return Rendered(data, len(rows), substitutions, undo)


def _csv_bytes(layout: Layout, rows: list[tuple[Any, ...]]) -> bytes:
    spec = layout.spec
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer,
        delimiter=spec.delimiter,
        quotechar=spec.quotechar,
        quoting=_QUOTING[spec.quoting],
        lineterminator=layout.newline,
    )
    if spec.header:
        writer.writerow([c.header for c in layout.columns])
    numeric = [c.kind in _NUMBERS for c in layout.columns]
    nonnumeric = spec.quoting == "nonnumeric"
    for row in rows:
        if nonnumeric:
            row = tuple(
                _bare(v) if n and v is not None else v for v, n in zip(row, numeric, strict=True)
            )
        writer.writerow(row)
    return buffer.getvalue().encode(spec.encoding)


def _fixed_bytes(layout: Layout, rows: list[tuple[Any, ...]]) -> bytes:
    encoding, newline = layout.spec.encoding, layout.newline.encode("ascii")
    out = []
    for row in rows:
        record = []
        for column, text in zip(layout.columns, row, strict=True):
            width = int(column.width or 0)
            if text is None:
                record.append(b" " * width)
                continue
            if column.zero:  # a number: ASCII, the sign before the zeros (-005)
                record.append(text.zfill(width).encode("ascii"))
                continue
            encoded = text.encode(encoding)
            if column.right:
                encoded = encoded.rjust(width, b" ")
            else:
                encoded = encoded.ljust(width, b" ")
            record.append(encoded)
        out.append(b"".join(record) + newline)
    return b"".join(out)


def parse(layout: Layout, data: bytes, rendered: Rendered, shown: str) -> pa.Table:
    """The file read back — the same encoding, quoting and widths — with the formula
    escape and the substitutions undone, as canonical Arrow columns in file order.
    A file that does not parse is :class:`ImportFileError` naming the record."""
    texts = (
        _csv_fields(layout, data, shown)
        if layout.spec.format == "csv"
        else _fixed_fields(layout, data, shown)
    )
    arrays = {}
    for index, column in enumerate(layout.columns):
        values = [row[index] for row in texts]
        if column.kind == "string":
            escape = layout.escape
            for position, text in enumerate(values):
                if text is None:
                    continue
                if escape and text.startswith(escape) and text[len(escape) :][:1] in FORMULA_START:
                    text = text[len(escape) :]
                undone = rendered.undo.get((position, column.name))
                values[position] = undone[1] if undone and undone[0] == text else text
        arrays[column.name] = canonical_column(_typed(values, column, layout, shown), column.kind)
    return pa.table(arrays) if arrays else pa.table({})


def _typed(values: list[str | None], column: Column, layout: Layout, shown: str) -> pa.Array:
    kind = column.kind
    try:
        if kind == "string":
            return pa.array(values, type=pa.large_string())
        if kind == "integer":
            return pa.array([None if v is None else int(v) for v in values], type=pa.int64())
        if kind == "decimal":
            return pa.array([None if v is None else format(Decimal(v), "f") for v in values],
                            type=pa.large_string())  # fmt: skip
        if kind == "date":
            fmt = layout.spec.date_format
            days = [None if v is None else dt.datetime.strptime(v, fmt).date().isoformat()
                    for v in values]  # fmt: skip
            return pa.array(days, type=pa.large_string())
        flags = {"1": True, "0": False}
        return pa.array([None if v is None else flags[v] for v in values], type=pa.bool_())
    except (ValueError, InvalidOperation, KeyError, OverflowError, pa.ArrowInvalid):
        raise ImportFileError(
            f"the import file {shown} does not read back: a {kind} field of column "
            f"{column.name} is not one.",
            file=shown,
            column=column.name,
        ) from None


def _csv_fields(layout: Layout, data: bytes, shown: str) -> list[list[str | None]]:
    spec = layout.spec
    try:
        text = data.decode(spec.encoding)
    except UnicodeDecodeError:
        raise ImportFileError(
            f"the import file {shown} does not decode as {spec.encoding}.", file=shown
        ) from None
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=spec.delimiter,
        quotechar=spec.quotechar,
        quoting=csv.QUOTE_NONE if spec.quoting == "none" else csv.QUOTE_MINIMAL,
        strict=True,
    )
    try:
        records = list(reader)
    except csv.Error:
        raise ImportFileError(
            f"the import file {shown} is not a well-formed CSV.", file=shown
        ) from None
    width = len(layout.columns)
    if spec.header:
        if not records or records[0] != [c.header for c in layout.columns]:
            raise ImportFileError(f"the import file {shown} lacks its header row.", file=shown)
        records = records[1:]
    out = []
    for number, record in enumerate(records, start=2 if spec.header else 1):
        if len(record) != width:
            raise ImportFileError(
                f"the import file {shown} does not read back: record {number} has "
                f"{len(record)} fields, not {width}.",
                file=shown,
                row=number,
            )
        out.append([v if v != "" else None for v in record])
    return out


def _fixed_fields(layout: Layout, data: bytes, shown: str) -> list[list[str | None]]:
    spec = layout.spec
    newline = layout.newline.encode("ascii")
    widths = [int(c.width or 0) for c in layout.columns]
    length = sum(widths) + len(newline)
    if length == 0 or len(data) % length:
        raise ImportFileError(
            f"the import file {shown} is not whole records of {length} bytes.", file=shown
        )
    out = []
    for number, start in enumerate(range(0, len(data), length), start=1):
        record = data[start : start + length]
        if not record.endswith(newline):
            raise ImportFileError(
                f"the import file {shown}: record {number} does not end its line.",
                file=shown,
                row=number,
            )
        fields: list[str | None] = []
        at = 0
        for column, width in zip(layout.columns, widths, strict=True):
            raw = record[at : at + width]
            at += width
            if raw.strip(b" ") == b"":
                fields.append(None)
                continue
            raw = raw.lstrip(b" ") if column.right else raw.rstrip(b" ")
            try:
                fields.append(raw.decode(spec.encoding))
            except UnicodeDecodeError:
                raise ImportFileError(
                    f"the import file {shown}: record {number}, column {column.name} does not "
                    f"decode as {spec.encoding} (a character cut in two).",
                    file=shown,
                    row=number,
                    column=column.name,
                ) from None
        out.append(fields)
    return out


def shown_path(path: Path, workspace: Path) -> str:
    """A file as the report and messages name it: from the workspace when inside it."""
    try:
        return path.relative_to(workspace).as_posix()
    except ValueError:
        return str(path)
