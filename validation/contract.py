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
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, field_validator, model_validator

from ikou.mappings.patterns import check_pattern, regex_arguments
from ikou.mappings.spec import RowCount
from ikou.mappings.yamlfile import Names, Strict, load_model

__all__ = [
    "ColumnContract",
    "Contract",
    "RowCount",
    "TableContract",
    "load_contract",
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


class ColumnContract(Strict):
    """One column of a target table."""

    type: ColumnType
    label: str | None = None
    """The column's name in the office's language (入居者番号), shown in reports
    instead of the SQL name (the SQL name beside it, small)."""
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
    matches_address: str | None = None
    """For a postal-code column: the column whose address the code's prefecture
    and city must begin (checked against Japan Post's data, offline)."""
    address_mismatch: Literal["warn", "reject"] = "warn"
    personal: bool | None = None
    """Whether the column holds personal information, for the council's brief:
    unset, a column read from a source is personal and a generated one is not."""
    generated: Literal["sequence", "uuid"] | None = None
    """A surrogate key ikou makes for a legacy file without a stable one:
    ``sequence`` numbers the loaded rows 1, 2, … in source order (integer);
    ``uuid`` derives a UUID from each row's file, sheet and row (string)."""

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
        if self.generated == "sequence" and self.type != "integer":
            raise ValueError("generated: sequence needs an integer column")
        if self.generated == "uuid" and self.type != "string":
            raise ValueError("generated: uuid needs a string column")
        if self.matches_address is not None and self.type != "string":
            raise ValueError("matches_address applies to string columns (postal codes) only")
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


class TableContract(Strict):
    """One target table: its columns (in order) and primary key."""

    label: str | None = None
    """The table's name in the office's language (入居者), shown in reports."""
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
            for key, pattern in regex_arguments(args or {}):
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
        for name, column in self.columns.items():
            address = column.matches_address
            if address is not None and self.columns.get(address, column).type != "string":
                raise ValueError(
                    f"columns.{name}.matches_address names {address!r}, which is not a string "
                    "column of this table"
                )
            if address == name:
                raise ValueError(f"columns.{name}.matches_address names the column itself")
        return self

    def generated(self) -> dict[str, str]:
        """Columns ikou generates (column → ``sequence`` or ``uuid``)."""
        return {n: c.generated for n, c in self.columns.items() if c.generated is not None}

    def kinds(self) -> dict[str, str]:
        """Column name → logical type, in contract order (for hashing)."""
        return {name: column.type for name, column in self.columns.items()}


class Contract(Strict):
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
