"""The target's tables: made from the contract, or a vendor's checked against it.

The contract is the one description of the new system's tables, so the DDL
comes from it the way the pandera schema does, and both databases get the
same constraints where they can hold them: typed columns, the primary key,
NOT NULL for required columns, a FOREIGN KEY for every ``references``, a
CHECK for each range (``min``/``max``) and list of ``allowed`` values,
``varchar(n)`` for ``max_length``, UNIQUE for ``unique`` columns, and the
contract's Japanese ``label:`` and ``description`` as the table's and
columns' comments (PostgreSQL; SQLite has no comments, and enforces foreign
keys only when asked, which ikou does not).

Not in the DDL: a ``pattern`` (the contract's patterns are RE2, PostgreSQL's
are its own dialect, and a constraint stricter than ikou's check would fail a
load ikou had accepted) and decimal ranges on SQLite, which stores ikou's
exact decimals as text and would compare them as text.

When the target already holds the tables (the vendor's schema),
:func:`schema_differences` names every way they differ from the contract —
a missing table or column, a type that cannot hold the contract's values,
nullability, the primary key, a foreign key — before a row is written.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ikou.validation.contract import ColumnContract, Contract, TableContract

__all__ = [
    "ExactDecimal",
    "comment",
    "foreign_keys",
    "schema_differences",
    "target_metadata",
    "target_metadata_one",
]

_NAME_LIMIT = 63  # PostgreSQL's identifier length


class ExactDecimal(sa.types.TypeDecorator[Decimal]):
    """``NUMERIC`` where the database has exact decimals (unconstrained unless the
    contract gives ``precision``/``scale``); canonical text on SQLite, whose
    NUMERIC affinity would turn 0.1 into a binary float."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int | None = None, scale: int | None = None) -> None:
        super().__init__()
        self._precision = precision
        self._scale = scale

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String())
        if self._precision is None and self._scale is None:
            return dialect.type_descriptor(sa.Numeric(asdecimal=True))
        return dialect.type_descriptor(
            sa.Numeric(self._precision or 38, self._scale or 0, asdecimal=True)
        )

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return format(Decimal(value), "f")
        return Decimal(value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value))


def _column_type(spec: ColumnContract) -> sa.types.TypeEngine[Any]:
    if spec.type == "string":
        return sa.String(spec.max_length) if spec.max_length else sa.Text()
    if spec.type == "integer":
        return sa.BigInteger()
    if spec.type == "decimal":
        return ExactDecimal(spec.precision, spec.scale)
    if spec.type == "date":
        return sa.Date()
    return sa.Boolean()


def comment(label: str | None, description: str | None) -> str | None:
    """A table's or column's comment: the contract's label, then its description
    (the description alone when it begins with the label: 入居者番号（6桁…））."""
    if label and description and description.startswith(label):
        return description
    return " — ".join(part for part in (label, description) if part) or None


def _name(*parts: str) -> str:
    """A constraint name within PostgreSQL's 63 bytes (a digest where it would not be)."""
    name = "_".join(parts)
    if len(name.encode("utf-8")) <= _NAME_LIMIT:
        return name
    return f"{name[:50]}_{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


def foreign_keys(contract: Contract, name: str, tables: list[str]) -> dict[str, tuple[str, str]]:
    """Column → (parent table, parent column) for each ``references`` of table
    ``name`` that a FOREIGN KEY can hold: the parent is among ``tables`` and its
    column is the parent's whole primary key or ``unique`` (a database refuses a
    foreign key to anything else; the validate stage checks such references)."""
    out = {}
    for column, spec in contract.tables[name].columns.items():
        if spec.references is None:
            continue
        parent, key = spec.references.split(".")
        table = contract.tables[parent]
        if parent in tables and (table.primary_key == (key,) or table.columns[key].unique):
            out[column] = (parent, key)
    return out


def _not_sqlite(_ddl: Any, _target: Any, _bind: Any, **kw: Any) -> bool:
    return bool(kw["dialect"].name != "sqlite")


def _checks(table: str, column: sa.Column[Any], spec: ColumnContract) -> list[sa.Constraint]:
    """CHECK constraints for a column's range and allowed values."""
    out: list[sa.Constraint] = []
    literal = {"integer": sa.BigInteger(), "decimal": sa.Numeric(), "date": sa.Date()}
    bounds = []
    if spec.min is not None:
        bounds.append(column >= sa.literal(spec.min, literal[spec.type]))
    if spec.max is not None:
        bounds.append(column <= sa.literal(spec.max, literal[spec.type]))
    if bounds:
        check = sa.CheckConstraint(sa.and_(*bounds), name=_name("ck", table, column.name, "range"))
        out.append(check.ddl_if(callable_=_not_sqlite) if spec.type == "decimal" else check)
    if spec.allowed is not None:
        kind = {"string": str, "integer": int, "boolean": bool}.get(spec.type)
        values = [v for v in spec.allowed if type(v) is kind]  # what pandera's isin can match
        if values:
            out.append(
                sa.CheckConstraint(
                    column.in_([sa.literal(v, column.type) for v in values]),
                    name=_name("ck", table, column.name, "allowed"),
                )
            )
    return out


def target_metadata_one(
    metadata: sa.MetaData,
    name: str,
    contract: TableContract,
    references: dict[str, tuple[str, str]] | None = None,
) -> sa.Table:
    """One contract table bound to ``metadata``: typed columns, primary key, NOT
    NULL, CHECK, UNIQUE and comments; a FOREIGN KEY for each of ``references``
    (column → parent table and column, from :func:`foreign_keys`)."""
    columns = [
        sa.Column(
            column,
            _column_type(spec),
            nullable=not (spec.required or column in contract.primary_key),
            comment=comment(spec.label, spec.description),
        )
        for column, spec in contract.columns.items()
    ]
    constraints: list[sa.Constraint] = [
        sa.PrimaryKeyConstraint(*contract.primary_key, name=_name("pk", name))
    ]
    for column in columns:
        spec = contract.columns[column.name]
        constraints += _checks(name, column, spec)
        if spec.unique and (column.name,) != tuple(contract.primary_key):
            constraints.append(
                sa.UniqueConstraint(column.name, name=_name("uq", name, column.name))
            )
    for column, (parent, key) in (references or {}).items():
        constraints.append(
            sa.ForeignKeyConstraint([column], [f"{parent}.{key}"], name=_name("fk", name, column))
        )
    return sa.Table(
        name,
        metadata,
        *columns,
        *constraints,
        comment=comment(contract.label, contract.description),
    )


def target_metadata(contract: Contract, tables: list[str]) -> sa.MetaData:
    """SQLAlchemy tables for the named contract tables, with the foreign keys
    among them (``metadata.sorted_tables`` puts parents first)."""
    metadata = sa.MetaData()
    for name in tables:
        references = foreign_keys(contract, name, tables)
        target_metadata_one(metadata, name, contract.tables[name], references)
    return metadata


_INTEGER_RANGE = {sa.SmallInteger: 2**15, sa.BigInteger: 2**63, sa.Integer: 2**31}


def _type_difference(
    table: str, column: str, spec: ColumnContract, found: Any, dialect: str
) -> str | None:
    """Why the target's column type cannot hold the contract's values, or ``None``."""
    where = f"column {table}.{column}"
    kind = "string" if spec.type == "decimal" and dialect == "sqlite" else spec.type
    fits = {
        "string": isinstance(found, sa.String) and not isinstance(found, sa.CHAR),
        "integer": isinstance(found, sa.Integer),
        "decimal": isinstance(found, sa.Numeric) and not isinstance(found, sa.Float),
        "date": isinstance(found, sa.Date),
        "boolean": isinstance(found, sa.Boolean),
    }[kind]
    if not fits:
        return f"{where} is {found}, which cannot hold the contract's {spec.type} values."
    if kind == "string" and found.length is not None:
        if spec.max_length is None:
            return f"{where} holds at most {found.length} characters; the contract sets no limit."
        if found.length < spec.max_length:
            return (
                f"{where} holds at most {found.length} characters; the contract allows "
                f"{spec.max_length}."
            )
    if kind == "integer" and dialect != "sqlite":  # SQLite's integers are all 64-bit
        limit = next(n for t, n in _INTEGER_RANGE.items() if isinstance(found, t))
        low, high = spec.min, spec.max
        if limit < 2**63 and (low is None or high is None or low < -limit or high >= limit):
            return f"{where} is {found}, too small for the contract's integers."
    if kind == "decimal" and found.precision is not None:
        unlimited = spec.precision is None and spec.scale is None
        want_scale, scale = spec.scale or 0, found.scale or 0
        whole, want_whole = found.precision - scale, (spec.precision or 38) - want_scale
        if unlimited or scale < want_scale or whole < want_whole:
            return f"{where} is {found}, which rounds or refuses decimals the contract allows."
    return None


def _column_differences(
    inspector: sa.Inspector, name: str, contract: TableContract, dialect: str
) -> list[str]:
    found = {c["name"]: c for c in inspector.get_columns(name)}
    out = []
    for column, spec in contract.columns.items():
        if column not in found:
            out.append(f"table {name} has no column {column}.")
            continue
        typed = _type_difference(name, column, spec, found[column]["type"], dialect)
        if typed:
            out.append(typed)
        required = spec.required or column in contract.primary_key
        if required and found[column]["nullable"]:
            out.append(f"column {name}.{column} allows NULL; the contract requires a value.")
        if not required and not found[column]["nullable"]:
            out.append(f"column {name}.{column} is NOT NULL; the contract allows it empty.")
    for column, info in found.items():
        if column in contract.columns or info["nullable"]:
            continue
        if info.get("default") is None and not info.get("identity") and not info.get("computed"):
            out.append(
                f"column {name}.{column} is NOT NULL without a default, and the contract "
                "has no such column to fill it."
            )
    return out


def schema_differences(
    connection: sa.Connection, metadata: sa.MetaData, contract: Contract
) -> list[str]:
    """Every way the target's existing tables differ from the contract's, one
    sentence each (names only, never a value); empty when they agree."""
    inspector = sa.inspect(connection)
    dialect = connection.dialect.name
    tables = list(metadata.tables)
    out: list[str] = []
    for name in tables:
        if not inspector.has_table(name):
            out.append(f"table {name} is missing.")
            continue
        table = contract.tables[name]
        out += _column_differences(inspector, name, table, dialect)
        key = inspector.get_pk_constraint(name).get("constrained_columns") or []
        if set(key) != set(table.primary_key):
            want = ", ".join(table.primary_key)
            have = ", ".join(key) or "none"
            out.append(f"table {name} has primary key ({have}); the contract's is ({want}).")
        held = {
            (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
            for fk in inspector.get_foreign_keys(name)
        }
        for column, (parent, parent_key) in foreign_keys(contract, name, tables).items():
            if ((column,), parent, (parent_key,)) not in held:
                out.append(
                    f"column {name}.{column} has no foreign key to {parent}.{parent_key}, "
                    "which the contract's references declares."
                )
    return out
