"""The contract: what the new system's tables must hold.

A contract is written once per target system and shared by every office that
migrates to it. It names tables, their typed columns, constraints and primary
keys; the row-level pandera schema and the target's DDL are both generated
from it, so the two cannot disagree. See ``docs/plan.md`` for every key.

The rules for every regular expression a plan supplies live here too
(:func:`check_pattern` at load, :func:`pattern_test` to run one with RE2):
the mapping's skip rules use them, and the mapping module imports this one,
not the other way round.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar

import re2
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ikou.mappings.yamlfile import Names, load_model

__all__ = [
    "ColumnContract",
    "Contract",
    "RowCount",
    "TableContract",
    "check_pattern",
    "compile_pattern",
    "load_contract",
    "pattern_test",
]

ColumnType = Literal["string", "integer", "decimal", "date", "boolean"]
Bound = int | Decimal | dt.date


T = TypeVar("T")


def _sql_names(value: dict[str, T], what: str, empty: str) -> dict[str, T]:
    """Names that every SQL database takes unquoted: letters, digits, underscores."""
    if not value:
        raise ValueError(empty)
    for name in value:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"{what} name {name!r} must be letters, digits and underscores")
    return value


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a pattern that does not compile is reported, not printed


def compile_pattern(pattern: str) -> re2._Regexp:
    """``pattern`` compiled by RE2, which runs in time linear in the text.

    Skip rules and contract patterns are run through this: Python's ``re``
    backtracks, and one pattern like ``(a+)+$`` against one long cell would
    hang the run. Raises ``re2.error`` if RE2 cannot compile it; plans
    are checked with :func:`check_pattern` when they are loaded, so a loaded
    plan's patterns always compile.
    """
    return re2.compile(pattern, _RE2_OPTIONS)


def pattern_test(pattern: str, *, whole: bool) -> Callable[[str], bool]:
    """Whether a text holds a match of ``pattern`` (``whole``: is one), by RE2.

    The text goes to RE2 as UTF-8 bytes, which is what RE2 matches anyway:
    the answer is the same as for the ``str``, and the wrapper need not map
    match positions back to characters (three times faster per value).
    """
    regex = compile_pattern(pattern)
    find = regex.fullmatch if whole else regex.search

    def test(text: str) -> bool:
        return find(text.encode("utf-8", "surrogatepass")) is not None

    return test


_QUANTIFIER = re.compile(r"[*+?]|\{[0-9]+(,[0-9]*)?\}")


def _escape_end(pattern: str, at: int) -> int:
    """Where the escape sequence starting with the backslash at ``at`` ends."""
    letter = pattern[at + 1 : at + 2]
    if letter == "Q":  # \Q…\E: literal text
        end = pattern.find("\\E", at + 2)
        return len(pattern) if end < 0 else end + 2
    if letter in ("p", "P", "x") and pattern[at + 2 : at + 3] == "{":  # \p{Han}, \x{3042}
        end = pattern.find("}", at + 3)
        return len(pattern) if end < 0 else end + 1
    if letter in ("p", "P"):  # \pN
        return at + 3
    if letter == "x":  # \x41
        return at + 4
    return at + 2


def _class_end(pattern: str, at: int) -> int:
    """Where the character class opened by the ``[`` at ``at`` ends.

    A ``]`` right after ``[`` or ``[^`` is a literal, and so is a ``(``
    anywhere in a class (``[(]``); ``[:alpha:]`` inside a class is a unit.
    """
    at += 1
    if pattern[at : at + 1] == "^":
        at += 1
    if pattern[at : at + 1] == "]":
        at += 1
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            at = _escape_end(pattern, at)
        elif pattern.startswith("[:", at) and (close := pattern.find(":]", at + 2)) >= 0:
            at = close + 2
        elif char == "]":
            return at + 1
        else:
            at += 1
    return at


def _nested_repetition(pattern: str) -> str | None:
    """The first group, with its quantifier, that holds an unbounded repetition
    (``+``, ``*``, ``{n,}``) and is itself repeated without bound, as written
    in ``pattern`` (``(a+)+`` in ``(a+)+$``); None if there is none.

    One pass over the text, so the check itself is linear. It is meant for a
    pattern RE2 has compiled, whose syntax is therefore well-formed.
    """
    open_groups: list[tuple[int, bool]] = []  # (where it starts, enclosing level's flag)
    holds = False  # the current level holds an unbounded repetition so far
    atom: tuple[int, bool] | None = None  # the last atom: where it starts, holds one
    at = 0
    while at < len(pattern):
        char = pattern[at]
        quantifier = _QUANTIFIER.match(pattern, at)
        if quantifier is not None and atom is not None:
            unbounded = quantifier[0] in ("*", "+") or quantifier[0].endswith(",}")
            at = quantifier.end()
            if pattern[at : at + 1] == "?":  # lazy: the same repetition
                at += 1
            if unbounded and atom[1]:
                return pattern[atom[0] : at]
            holds = holds or unbounded
            atom = (atom[0], atom[1] or unbounded)
        elif char == "\\":
            atom, at = (at, False), _escape_end(pattern, at)
        elif char == "[":
            atom, at = (at, False), _class_end(pattern, at)
        elif char == "(":
            start, at = at, at + 1
            if pattern.startswith("?P<", at) or pattern.startswith("?<", at):
                at = pattern.find(">", at) + 1 or len(pattern)
            elif pattern.startswith("?", at):  # (?i:…) or the flags-only (?i)
                while at < len(pattern) and pattern[at] not in ":)":
                    at += 1
                if pattern[at : at + 1] == ")":
                    atom, at = None, at + 1
                    continue
                at += 1
            open_groups.append((start, holds))
            holds, atom = False, None
        elif char == ")" and open_groups:
            start, outer = open_groups.pop()
            atom, holds, at = (start, holds), outer or holds, at + 1
        elif char == "|":
            atom, at = None, at + 1
        else:
            atom, at = (at, False), at + 1
    return None


def _unsupported(pattern: str, detail: str) -> str:
    """What to do about a pattern RE2 refuses, from RE2's own reason."""
    if re.fullmatch(r"invalid escape sequence: \\[1-9]", detail) or "(?P=" in pattern:
        return (
            "; RE2, which ikou runs every pattern with, has no backreferences "
            "(\\1, (?P=name)): write the repeated part out"
        )
    if re.search(r"\(\?<?[=!]", detail):
        return (
            "; RE2, which ikou runs every pattern with, has no lookahead or lookbehind: "
            "match the text itself"
        )
    if detail.endswith("\\Z"):
        return "; RE2 writes the end of the text as \\z or $"
    return "; ikou uses RE2 syntax (see docs/plan.md)"


def check_pattern(pattern: str, what: str) -> str:
    """``pattern`` if ikou may run it; a ValueError that says why not otherwise.

    Refused: a pattern RE2 cannot compile (backreferences, lookaround), and a
    pattern with nested unbounded repetition such as ``(a+)+$``. ikou runs the
    latter in linear time with RE2, but patterns travel on — a contract's to a
    database CHECK constraint or the vendor's system, any of them to the next
    script that copies it — and in a backtracking engine it can hang on one
    long value.
    """
    try:
        compile_pattern(pattern)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else ""
        detail = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        raise ValueError(
            f"{what} is not a valid regular expression ({detail})" + _unsupported(pattern, detail)
        ) from None
    nested = _nested_repetition(pattern)
    if nested is not None:
        raise ValueError(
            f"{what} repeats without bound a group that repeats inside ({nested}); such a "
            "pattern backtracks catastrophically in the engines it may travel to (Python and "
            "pandas, a database CHECK constraint, the vendor's system), so write a single "
            "repetition (a+$, not (a+)+$) or bound the inner one ([0-9]{1,9}, not [0-9]+)"
        )
    return pattern


def _regex_arguments(args: dict[Any, Any]) -> list[tuple[str, str]]:
    """The regular expressions among an expectation's arguments (``regex``,
    ``regex_list``): held to the same rules as every other plan pattern."""
    found: list[tuple[str, str]] = []
    if isinstance(args.get("regex"), str):
        found.append(("regex", args["regex"]))
    if isinstance(args.get("regex_list"), list | tuple):
        found += [
            (f"regex_list[{i}]", item)
            for i, item in enumerate(args["regex_list"])
            if isinstance(item, str)
        ]
    return found


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnContract(_Strict):
    """One column of a target table."""

    type: ColumnType
    description: str | None = None
    required: bool = False
    unique: bool = False
    pattern: str | None = None
    min: Bound | None = None
    max: Bound | None = None
    allowed: tuple[str | int | bool, ...] | None = None
    max_length: int | None = Field(default=None, gt=0)
    precision: int | None = Field(default=None, gt=0, le=38)
    scale: int | None = Field(default=None, ge=0, le=18)
    non_null: float | None = Field(default=None, gt=0, le=1)
    references: str | None = None

    @field_validator("references")
    @classmethod
    def _table_dot_column(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z_]\w*\.[A-Za-z_]\w*", value):
            raise ValueError("references names the parent as table.column, e.g. tenants.tenant_id")
        return value

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        return None if value is None else check_pattern(value, "the pattern")

    @model_validator(mode="after")
    def _fits_type(self) -> ColumnContract:
        if self.pattern is not None and self.type != "string":
            raise ValueError("pattern applies to string columns only")
        if self.max_length is not None and self.type != "string":
            raise ValueError("max_length applies to string columns only")
        if (self.precision is not None or self.scale is not None) and self.type != "decimal":
            raise ValueError("precision and scale apply to decimal columns only")
        for name in ("min", "max"):
            bound = getattr(self, name)
            if bound is None:
                continue
            if self.type in ("string", "boolean"):
                raise ValueError(f"{name} applies to integer, decimal and date columns only")
            if self.type == "date" and not isinstance(bound, dt.date):
                raise ValueError(f"{name} of a date column must be a date like 1950-01-01")
            if self.type in ("integer", "decimal") and isinstance(bound, dt.date):
                raise ValueError(f"{name} of a {self.type} column must be a number")
        return self


class RowCount(_Strict):
    """Bounds on a table's number of loaded rows (a dataset-level expectation)."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class TableContract(_Strict):
    """One target table: its columns (in order) and primary key."""

    description: str | None = None
    primary_key: Names
    columns: dict[str, ColumnContract]
    rows: RowCount | None = None
    expectations: tuple[dict[str, dict[str, Any]], ...] = ()

    @field_validator("expectations", mode="before")
    @classmethod
    def _named_expectations(cls, value: object) -> object:
        if not isinstance(value, list | tuple):
            raise ValueError("expectations is a list of {expect_…: {arguments}}")
        for index, item in enumerate(value):
            if not (isinstance(item, dict) and len(item) == 1):
                raise ValueError(f"[{index}]: an expectation is one {{expect_…: {{arguments}}}}")
            name, args = next(iter(item.items()))
            if not re.fullmatch(r"expect_[a-z0-9_]+", str(name)):
                raise ValueError(f"[{index}]: {name!r} is not a great-expectations name (expect_…)")
            if args is not None and not isinstance(args, dict):
                raise ValueError(f"[{index}]: the arguments of {name} must be a mapping")
            for key, pattern in _regex_arguments(args or {}):
                try:
                    check_pattern(pattern, f"the {key} of {name}")
                except ValueError as exc:
                    raise ValueError(f"[{index}]: {exc}") from None
        return [{str(k): v or {} for k, v in item.items()} for item in value]

    @field_validator("columns")
    @classmethod
    def _column_names(cls, value: dict[str, ColumnContract]) -> dict[str, ColumnContract]:
        return _sql_names(value, "column", "a table needs at least one column")

    @model_validator(mode="after")
    def _key_is_a_column(self) -> TableContract:
        if not self.primary_key:
            raise ValueError("primary_key must name at least one column")
        for name in self.primary_key:
            if name not in self.columns:
                raise ValueError(f"primary_key names {name!r}, which is not one of the columns")
        return self

    def kinds(self) -> dict[str, str]:
        """Column name → logical type, in contract order (for hashing)."""
        return {name: column.type for name, column in self.columns.items()}


class Contract(_Strict):
    """The whole contract file."""

    contract: str
    version: str | int = 1
    description: str | None = None
    tables: dict[str, TableContract]

    @field_validator("tables")
    @classmethod
    def _table_names(cls, value: dict[str, TableContract]) -> dict[str, TableContract]:
        return _sql_names(value, "table", "a contract needs at least one table")

    @model_validator(mode="after")
    def _references_exist(self) -> Contract:
        for table_name, table in self.tables.items():
            for column_name, column in table.columns.items():
                if column.references is None:
                    continue
                parent, key = column.references.split(".")
                if parent not in self.tables or key not in self.tables[parent].columns:
                    raise ValueError(
                        f"tables.{table_name}.columns.{column_name}.references names "
                        f"{column.references}, which is not a column of this contract"
                    )
        return self


def load_contract(path: Path) -> Contract:
    """Read and check a contract file (exit 2 with a key path on any problem)."""
    return load_model(path, Contract, "contract")
