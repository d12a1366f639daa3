"""The plan's ``target.files``: a table written to the vendor's import file.

Many vendors' systems load only a file their own loader reads — a Shift_JIS
(CP932) CSV with CRLF line ends, or fixed-length records. A table listed under
``target.files`` is written to such a file instead of the database; the rest
of the run's tables go to the database as before. These models declare the
file; :mod:`ikou.pipeline.stages.importfile` writes and reads it back, and
:mod:`ikou.pipeline.importfiles` keeps it in custody. docs/targets.md says why
each key exists; docs/plan.md lists them.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ikou.errors import ConfigError
from ikou.mappings.spec import Mapping
from ikou.mappings.yamlfile import Strict
from ikou.validation.contract import Contract

__all__ = [
    "ENCODINGS",
    "FORMULA_START",
    "ImportColumn",
    "ImportFile",
    "check_import_files",
    "gaiji_files",
    "read_gaiji",
]

ENCODINGS = ("cp932", "shift_jis", "utf-8")
"""What an import file may be written in: ``cp932`` (Windows' Shift_JIS, with NEC and
IBM extensions such as ①, 髙, 塚 U+FA10), ``shift_jis`` (JIS X 0208 only: a vendor
table without those extensions) and ``utf-8``."""

_ALIASES = {
    "ms932": "cp932",
    "windows-31j": "cp932",
    "sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "utf8": "utf-8",
    "utf_8": "utf-8",
}

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula."""


class ImportColumn(Strict):
    """One column of the file: which contract column, its header text, its width."""

    column: str
    header: str | None = None
    """CSV: the header cell (default: the contract's column name)."""
    width: int | None = Field(default=None, gt=0)
    """Fixed-length records: the field's width in bytes of the file's encoding."""
    pad: Literal["space", "zero"] = "space"
    """Fixed: ``zero`` pads an integer or decimal with zeros on the left (``-005``)."""
    align: Literal["left", "right"] | None = None
    """Fixed: default left for text and dates, right for numbers."""


class ImportFile(Strict):
    """A table written to the vendor's import file instead of the database."""

    format: Literal["csv", "fixed"]
    path: str | None = None
    """Where a production run writes it (relative to the plan); default
    ``WORKSPACE/runs/RUN_ID/import/<table>.csv`` (``.txt`` for fixed)."""
    rehearsal_path: str | None = None
    """Where a rehearsal writes it (relative to the plan), kept there: the test
    file a vendor's test import reads (test data only). Default: the rehearsal's
    run folder, shredded with the run. On a removable medium, as ``path``, the
    medium must be registered (docs/media.md)."""
    encoding: str = "cp932"
    newline: Literal["crlf", "lf", "none"] = "crlf"
    header: bool = True
    columns: tuple[ImportColumn, ...] | None = None
    delimiter: str = ","
    quotechar: str = '"'
    quoting: Literal["minimal", "all", "nonnumeric", "none"] = "minimal"
    formula_escape: str = "'"
    gaiji: dict[str, str] | str | None = None
    date_format: str = "%Y-%m-%d"

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        lowered = value.lower()
        lowered = _ALIASES.get(lowered, lowered)
        if lowered not in ENCODINGS:
            raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}")
        return lowered

    @field_validator("columns", mode="before")
    @classmethod
    def _named(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [{"column": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("delimiter", "quotechar")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1 or value in "\r\n":
            raise ValueError("must be a single character other than a line break")
        return value

    @field_validator("formula_escape")
    @classmethod
    def _escape(cls, value: str) -> str:
        if value == "" or (value != "none" and value[0] in FORMULA_START):
            raise ValueError(
                "formula_escape is the text put before a cell that starts with = + - @, "
                "a tab or CR (default ', the apostrophe), or none"
            )
        return value

    @field_validator("gaiji")
    @classmethod
    def _characters(cls, value: dict[str, str] | str | None) -> dict[str, str] | str | None:
        if isinstance(value, dict):
            _check_gaiji(value)
        return value

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str) -> str:
        if "%Y" not in value or "%m" not in value or "%d" not in value:
            raise ValueError("date_format needs %Y, %m and %d (e.g. %Y%m%d or %Y/%m/%d)")
        if any(f"%{c}" in value.replace("%%", "") for c in "HIMSfpzZaAbBcxXjUWy"):
            raise ValueError("date_format may use %Y, %m, %d and literal text only")
        return value

    @model_validator(mode="after")
    def _fits_format(self) -> ImportFile:
        if self.format == "csv" and self.newline == "none":
            raise ValueError("newline: none is for fixed-length records; a CSV needs crlf or lf")
        if self.format == "fixed":
            if self.columns is None:
                raise ValueError("fixed-length records need columns: with a width for each")
            missing = [c.column for c in self.columns if c.width is None]
            if missing:
                raise ValueError(f"fixed-length records need a width for {', '.join(missing)}")
        elif self.columns is not None:
            sized = [c.column for c in self.columns if c.width is not None]
            if sized:
                raise ValueError(f"width is for fixed-length records ({', '.join(sized)})")
        return self


def _check_gaiji(table: dict[str, str]) -> None:
    for char, substitute in table.items():
        if len(char) != 1:
            raise ValueError(
                f"gaiji maps single characters; {char!r} is {len(char)} characters"
                " (a combining sequence or a variation selector cannot be mapped yet)"
            )
        if char in substitute:
            raise ValueError(f"gaiji: the substitute of {char!r} contains it")


def read_gaiji(path: Path) -> dict[str, str]:
    """A substitution table (外字表) from a UTF-8 CSV: ``from,to`` per line, a first
    line reading ``from,to`` is a header."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: the gaiji table cannot be read ({type(exc).__name__}); it is a UTF-8 "
            "CSV of two columns, the character and its substitute.",
            file=str(path),
        ) from None
    table: dict[str, str] = {}
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or (number == 1 and [c.strip() for c in row] == ["from", "to"]):
            continue
        if len(row) != 2:
            raise ConfigError(
                f"{path}: line {number}: a gaiji line is two cells, the character and "
                "its substitute.",
                file=str(path),
            )
        if row[0] in table:
            raise ConfigError(f"{path}: line {number}: the character is listed twice.")
        table[row[0]] = row[1]
    try:
        _check_gaiji(table)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}.", file=str(path)) from None
    return table


def gaiji_files(files: dict[str, ImportFile], base: Path) -> dict[str, Path]:
    """Each table's gaiji CSV, resolved from the plan's folder."""
    return {
        table: (base / spec.gaiji).resolve()
        for table, spec in files.items()
        if isinstance(spec.gaiji, str)
    }


def check_import_files(
    files: dict[str, ImportFile], contract: Contract, mapping: Mapping, plan_file: Path
) -> None:
    """``target.files`` against the contract and the mapping: each a table the
    mapping fills, columns of the contract once each with the primary key and every
    control's column among them, zero padding on numbers, header text the encoding
    can write, and a readable gaiji table."""
    fed = mapping.tables

    def fail(key: str, message: str) -> None:
        where = f"target.files.{key}"
        raise ConfigError(f"{plan_file}: {where}: {message}.", file=str(plan_file), key=where)

    for table, spec in files.items():
        if table not in fed:
            fail(table, f"the mapping fills no table {table!r}")
        target = contract.tables[table]
        columns = [c.column for c in spec.columns] if spec.columns else list(target.columns)
        for index, column in enumerate(spec.columns or ()):
            key = f"{table}.columns[{index}]"
            kind = target.columns[column.column].type if column.column in target.columns else None
            if kind is None:
                fail(key, f"the contract's table {table!r} has no column {column.column!r}")
            if column.pad == "zero" and kind not in ("integer", "decimal"):
                fail(key, "pad: zero is for integer and decimal columns")
            generated = target.columns[column.column].generated
            if generated == "uuid" and column.width is not None and column.width < 36:
                fail(key, "a generated UUID is 36 characters; widen the field")
            header = column.header if column.header is not None else column.column
            try:
                header.encode(spec.encoding)
            except UnicodeEncodeError:
                fail(key, f"the header text cannot be written in {spec.encoding}")
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            fail(f"{table}.columns", f"{', '.join(repeated)} listed more than once")
        absent = [k for k in target.primary_key if k not in columns]
        if absent:
            fail(f"{table}.columns", f"the primary key ({', '.join(absent)}) must be in the file")
        for control in fed[table].controls:
            if control.column is not None and control.column not in columns:
                fail(f"{table}.columns", f"the control {control.label} needs {control.column}")
        for cross in mapping.cross_controls:
            for side in (cross.left, cross.right):
                named, column = cross.parse(side)
                if named == table and column is not None and column not in columns:
                    fail(f"{table}.columns", f"the cross control {cross.name} needs {column}")
        for other, spec_other in contract.tables.items():
            if other in files or other not in fed:
                continue
            for name, column in spec_other.columns.items():
                if column.references and column.references.split(".")[0] == table:
                    fail(
                        table,
                        f"{other}.{name} (in the database) references {table}; a foreign key "
                        "cannot reach a file: write both to files or both to the database",
                    )
        if spec.format == "csv" and spec.delimiter == spec.quotechar:
            fail(f"{table}.quotechar", "the quote character must differ from the delimiter")
        if isinstance(spec.gaiji, str):
            read_gaiji((plan_file.parent / spec.gaiji).resolve())
