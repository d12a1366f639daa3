"""The mapping: how one office's legacy files become the contract's tables.

Per target table a mapping names the plan source that feeds it, the rows to
skip (each rule with a name that appears in the report), each target column's
source column(s) and transforms, and the control totals to reconcile. Every
key is documented in ``docs/plan.md``; unknown keys and unknown transforms are
errors with a key path, found before any file is read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    SkipValidation,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ikou.mappings.patterns import check_pattern
from ikou.mappings.registry import Bound
from ikou.mappings.transforms import bind_args, check_args
from ikou.mappings.yamlfile import Names, Strict, load_model

__all__ = [
    "OUTSIDE_GRID",
    "ColumnMapping",
    "Control",
    "CrossControl",
    "LedgerTotal",
    "Mapping",
    "SkipRule",
    "TableMapping",
    "TransformStep",
    "column_name",
    "column_ref",
    "load_mapping",
    "title_cell",
]


def _lower_slug(value: str, what: str) -> str:
    """``value`` if it can stand in a finding slug (lower-case letters, digits, _)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
        raise ValueError(f"{what} must be lower-case letters, digits and _")
    return value


class RowCount(Strict):
    """Bounds on a table's number of loaded rows (a dataset-level expectation)."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class TransformStep(Strict):
    """One named transform with its checked arguments, bound and ready to run."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    bound: SkipValidation[Bound] = Field(exclude=True, repr=False)


OUTSIDE_GRID = ("=sheet", "=file")
"""Names a ``from`` may use for what lies outside the grid: the name of the
sheet (or Word table) a row was read from, and the name of its file."""

_CELL = re.compile(r"=([A-Z]{1,3})([1-9][0-9]{0,6})")


def title_cell(name: str) -> tuple[int, int] | None:
    """``=A1`` style: a fixed cell of each sheet (a title above the header, such
    as 令和6年度), as 0-based (row, column); ``None`` for any other name."""
    match = _CELL.fullmatch(name)
    if match is None:
        return None
    column = 0
    for letter in match[1]:
        column = column * 26 + ord(letter) - ord("A") + 1
    return int(match[2]) - 1, column - 1


_LETTERS = re.compile(r"[A-Z]{1,3}")
_COLUMN = re.compile(r"\{column: ([A-Z]{1,3})\}")


def column_name(letter: str) -> str:
    """How a mapping's ``from: {column: N}`` is kept and shown: ``{column: N}``."""
    return f"{{column: {letter}}}"


def column_ref(name: str) -> int | None:
    """``{column: N}`` → the 0-based index of column N as Excel letters it
    (A → 0, AA → 26); ``None`` for any other name."""
    match = _COLUMN.fullmatch(name)
    if match is None:
        return None
    index = 0
    for letter in match[1]:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _by_letter(item: object) -> object:
    """``{column: N}`` (a column by its letter) as the name :func:`column_ref` reads."""
    if not isinstance(item, dict):
        return item
    if set(item) != {"column"}:
        raise ValueError("a column named by its letter is written {column: N}, nothing else")
    letter = item["column"]
    if isinstance(letter, bool):  # YAML reads a bare ON, NO or OFF as true or false
        raise ValueError("write the column's letter in quotes: {column: 'ON'}")
    if not isinstance(letter, str) or not _LETTERS.fullmatch(letter):
        raise ValueError(
            f"{{column: {letter}}}: give the column's letter as Excel shows it (A, B, … AA)"
        )
    return column_name(letter)


class ColumnMapping(Strict):
    """Where one target column comes from and how it is transformed.

    ``from`` names a source column by its header (the full path of a header
    over several rows, ``学級数/計``, or its last cell alone when no other
    column shares it), by its letter (``{column: N}``), or ``=sheet``,
    ``=file`` or a title cell (``=A1``)."""

    source: Names = Field(alias="from")
    join: str = ""
    transforms: tuple[TransformStep, ...] = ()
    on_error: Literal["reject", "null"] = "reject"
    """What a cell that fails (a transform, its type or a contract check on its
    own value) does to its row: ``reject`` the row, or load the row with the
    cell empty (``null``), counted as a cleared cell with its rule and position."""

    @field_validator("on_error", mode="before")
    @classmethod
    def _yaml_null(cls, value: object) -> object:
        return "null" if value is None else value  # YAML reads a bare null as None

    @field_validator("source", mode="before")
    @classmethod
    def _letters(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return [_by_letter(item) for item in value]
        return _by_letter(value)

    @field_validator("source")
    @classmethod
    def _named(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or any(not name.strip() for name in value):
            raise ValueError("'from' must name at least one source column")
        for name in value:
            if name.startswith("=") and name not in OUTSIDE_GRID and title_cell(name) is None:
                raise ValueError(
                    f"{name!r}: a name starting with = is =sheet, =file or a cell such as =A1"
                )
        return value

    @field_validator("transforms", mode="before")
    @classmethod
    def _steps(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, list | tuple):
            raise ValueError("transforms must be a list, e.g. [strip, {zero_pad: {width: 6}}]")
        context = info.context or {}
        folder = Path(context.get("folder", Path.cwd()))  # where lookup tables live
        steps = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                name, args = item, {}
            elif isinstance(item, dict) and len(item) == 1:
                name, args = next(iter(item.items()))
                args = {} if args is None else args
                if not isinstance(args, dict):
                    raise ValueError(
                        f"[{index}]: arguments of {name!r} must be a mapping like {{width: 6}}"
                    )
            else:
                raise ValueError(
                    f"[{index}]: a transform is a name or a one-key mapping {{name: {{args}}}}"
                )
            try:
                checked = check_args(str(name), args)
                bound = bind_args(str(name), checked, folder)
            except ValueError as exc:
                raise ValueError(f"[{index}]: {exc}") from None
            steps.append({"name": name, "args": checked, "bound": bound})
        return steps


class SkipRule(Strict):
    """A named rule that skips source rows: blank rows; rows whose ``column``
    matches the regular expression ``matches`` (RE2 syntax, checked with
    :func:`validation.contract.check_pattern`); or, with ``totals: true`` (the
    bare word ``totals`` in a plan), rows labelled as totals — the row's first
    text cell, or its ``column``, ends in 計 after NFKC with spaces and
    decoration removed (小計, 合計, 東灘区計, ＊合計＊, 灘 区 計), or is one
    of the office's own summary ``labels`` (前年５月, 内訳): see
    :mod:`ikou.mappings.summary`."""

    name: str
    blank: bool = False
    column: str | None = None
    matches: str | None = None
    totals: bool = False
    labels: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _bare_word(cls, value: object) -> object:
        if value == "totals":
            return {"name": "totals", "totals": True}
        return value

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        return _lower_slug(value, "a skip rule's name")

    @field_validator("matches")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        return None if value is None else check_pattern(value, "'matches'")

    @model_validator(mode="after")
    def _one_kind(self) -> SkipRule:
        if self.blank + (self.matches is not None) + self.totals != 1:
            raise ValueError(
                "a skip rule has one of 'blank: true', 'column' with 'matches', or 'totals: true'"
            )
        if self.matches is not None and self.column is None:
            raise ValueError("a skip rule with 'matches' needs the source 'column' to look at")
        if self.labels and not self.totals:
            raise ValueError("'labels' (an office's own summary labels) go with 'totals: true'")
        return self


class Until(Strict):
    """Where a table ends, when blank rows do not say it (``until:``): the
    first row of each sheet whose ``column`` — or, without one, any of its
    cells — matches ``matches`` (RE2, after NFKC); it and every row after it
    are skipped as ``after_table``."""

    matches: str
    column: str | None = None

    @field_validator("matches")
    @classmethod
    def _compiles(cls, value: str) -> str:
        return check_pattern(value, "'until.matches'")


class Control(Strict):
    """A control total: exactly one of ``count``, ``sum`` or ``count_by``."""

    kind: str
    column: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: object) -> object:
        if value == "count":
            return {"kind": "count"}
        if isinstance(value, dict) and len(value) == 1:
            kind, column = next(iter(value.items()))
            if kind in ("sum", "count_by") and isinstance(column, str):
                return {"kind": kind, "column": column}
        raise ValueError("a control is 'count', {sum: column} or {count_by: column}")

    @property
    def label(self) -> str:
        """How the report names it: ``count``, ``sum(rent)``, ``count_by(ward)``."""
        return self.kind if self.column is None else f"{self.kind}({self.column})"


class LedgerTotal(Strict):
    """The ledger's own total rows (合計, 小計), compared with what was loaded.

    ``rows`` names the skip rule that finds them (a 小計 label), or is
    ``last`` — the last row of each sheet that no other rule skipped, a total
    without a label. ``covers`` says which rows each one totals: ``block``,
    the rows since the previous total row of the same kind in its file (a
    subtotal per estate, even when the ledger continues on the next sheet),
    ``sheet``, every row above it in its sheet, or ``file``, every row above
    it in its file (the grand total). ``columns`` are the target columns it totals; the figure is
    read from the total row's cell in each column's source, through the
    column's own transforms. An unexplained difference fails the run unless
    ``informative``."""

    name: str
    rows: str
    covers: Literal["block", "sheet", "file"] = "block"
    columns: Names
    informative: bool = False

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        return _lower_slug(value, "a total's name")


class TableMapping(Strict):
    """How one target table is filled."""

    source: str
    key: Names | None = None
    skip: tuple[SkipRule, ...] = ()
    until: Until | None = None
    columns: dict[str, ColumnMapping]
    controls: tuple[Control, ...] = ()
    rows: RowCount | None = None
    totals: tuple[LedgerTotal, ...] = ()
    duplicates: Literal["reject_all", "keep_first"] = "reject_all"
    """What rows sharing a primary key become: every copy rejected, or the first
    copy (in source order, among rows passing every other row check) loaded
    with a note and the later ones rejected."""

    @model_validator(mode="after")
    def _consistent(self) -> TableMapping:
        if not self.columns:
            raise ValueError("a table mapping needs at least one column")
        names = [rule.name for rule in self.skip]
        if len(names) != len(set(names)):
            raise ValueError("skip rule names must be unique within a table")
        for reserved in ("after_table", "footnote"):
            if reserved in names:
                raise ValueError(f"{reserved!r} is ikou's own skip name; name the rule otherwise")
        for name in self.key or ():
            if name not in self.columns:
                raise ValueError(f"key names {name!r}, which is not a mapped column")
        totals = [total.name for total in self.totals]
        if len(totals) != len(set(totals)) or set(totals) & set(names):
            raise ValueError("totals need names unique within a table and apart from skip rules")
        for index, total in enumerate(self.totals):
            if total.rows != "last" and total.rows not in names:
                raise ValueError(
                    f"totals[{index}].rows names {total.rows!r}, which is neither a skip rule "
                    "of this table nor 'last'"
                )
            for column in total.columns:
                if column not in self.columns or len(self.columns[column].source) != 1:
                    raise ValueError(
                        f"totals[{index}].columns names {column!r}, which is not a column "
                        "mapped from one source column"
                    )
        return self

    def last_row_totals(self) -> tuple[str, ...]:
        """Names of the totals found by position (``rows: last``): each skips the
        last row of every sheet that no skip rule skipped."""
        return tuple(total.name for total in self.totals if total.rows == "last")

    def source_columns(self) -> tuple[str, ...]:
        """Every source column this table reads from the grid, in first-use order
        (not ``=sheet``, ``=file`` or ``=A1``: they come from where a row was found)."""
        seen: dict[str, None] = {}
        for column in self.columns.values():
            for name in column.source:
                seen.setdefault(name, None)
        for rule in self.skip:
            if rule.column is not None:
                seen.setdefault(rule.column, None)
        if self.until is not None and self.until.column is not None:
            seen.setdefault(self.until.column, None)
        return tuple(name for name in seen if not name.startswith("="))

    def title_cells(self) -> tuple[str, ...]:
        """The fixed cells (``=A1``) this table reads from each sheet, in first-use order."""
        named = [n for c in self.columns.values() for n in c.source] + [
            r.column for r in self.skip if r.column is not None
        ]
        return tuple(dict.fromkeys(n for n in named if title_cell(n) is not None))


_QUANTITY = re.compile(r"^([A-Za-z_]\w*)\.(count|sum\(([A-Za-z_]\w*)\))$")


class CrossControl(Strict):
    """A control total across tables: ``left`` must equal ``right``, in the
    source (the accepted rows) and in the target (computed by the database).
    Each side is ``<table>.count`` or ``<table>.sum(<column>)``."""

    name: str
    left: str
    right: str

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        return _lower_slug(value, "a cross control's name")

    @field_validator("left", "right")
    @classmethod
    def _quantity(cls, value: str) -> str:
        if not _QUANTITY.match(value):
            raise ValueError(f"{value!r} is not <table>.count or <table>.sum(<column>)")
        return value

    @staticmethod
    def parse(quantity: str) -> tuple[str, str | None]:
        """``members.count`` → (members, None); ``tenants.sum(rent)`` → (tenants, rent)."""
        match = _QUANTITY.match(quantity)
        assert match is not None
        return match[1], match[3]


class Mapping(Strict):
    """The whole mapping file."""

    mapping: str
    description: str | None = None
    tables: dict[str, TableMapping]
    cross_controls: tuple[CrossControl, ...] = ()

    @field_validator("tables")
    @classmethod
    def _not_empty(cls, value: dict[str, TableMapping]) -> dict[str, TableMapping]:
        if not value:
            raise ValueError("a mapping needs at least one table")
        return value

    def files(self) -> dict[str, str]:
        """Files the transforms read (lookup tables): path → SHA-256 as read."""
        found: dict[str, str] = {}
        for table in self.tables.values():
            for column in table.columns.values():
                for step in column.transforms:
                    found.update(step.bound.files)
        return found


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file (exit 2 with a key path on any problem)."""
    return load_model(path, Mapping, "mapping")
