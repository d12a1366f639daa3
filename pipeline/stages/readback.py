"""Reading the target back: its rows as canonical Arrow, and its own controls.

The reconcile stage, the production seal and ``ikou reconcile`` read what the
target holds through these functions, on the load's connection (inside its
transaction) or an engine of their own: every row in key order as Arrow in
the canonical form the hashing reads (:func:`read_back_arrow`), and
``COUNT``/``SUM``/``GROUP BY`` computed by the database itself
(:func:`target_aggregates`). Given ``keys`` (a table of this run's keys, see
:func:`~.load.run_keys`), both cover only those rows: an appending run
reconciles its own rows, never the ones that were there before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ikou.errors import TargetError
from ikou.pipeline.stages.arrowdb import canonical_column, fetch_arrow, per_distinct, python_values
from ikou.pipeline.stages.ddl import target_metadata_one
from ikou.pipeline.stages.postgres import fetch_server_side, is_psycopg
from ikou.validation.contract import TableContract
from ikou.validation.reconcile import OVERFLOW

__all__ = [
    "Target",
    "category",
    "connected",
    "joined",
    "read_back",
    "read_back_arrow",
    "target_aggregates",
]

Target = Engine | sa.Connection
"""Where rows are read from: an engine (a connection of its own) or the load's
connection, inside its transaction."""


@contextmanager
def connected(target: Target) -> Iterator[sa.Connection]:
    """``target`` itself, or a connection of the engine's own (closed after)."""
    if isinstance(target, sa.Connection):
        yield target
        return
    try:
        with target.connect() as connection:
            yield connection
    except sa.exc.OperationalError as exc:
        raise TargetError(
            f"the target database ({target.dialect.name}) cannot be reached or used "
            f"({type(exc.orig).__name__}); check the target URL and that it is writable.",
        ) from None


def joined(table: sa.Table, keys: sa.Table | None) -> sa.FromClause:
    """``table``, or only its rows whose keys are in ``keys``."""
    if keys is None:
        return table
    on = sa.and_(*(table.c[c.name] == c for c in keys.columns))
    return table.join(keys, on)


def read_back(
    target: Target, contract: TableContract, name: str, *, keys: sa.Table | None = None
) -> pd.DataFrame:
    """Every row of target table ``name`` in key order, as plain Python values —
    ``str``, ``int``, ``Decimal``, ``date``, ``bool`` or ``None``, what SQLAlchemy
    returns and the canonical hash encodes (no rows when the table does not exist;
    only the rows whose keys are in ``keys`` when given, see :func:`~.load.run_keys`)."""
    rows = read_back_arrow(target, contract, name, keys=keys)
    kinds = contract.kinds()
    return pd.DataFrame(
        {
            column: pd.Series(python_values(rows.column(i), kind), dtype=object)
            for i, (column, kind) in enumerate(kinds.items())
        }
    )


def _key_order(connection: sa.Connection, table: sa.Table, contract: TableContract) -> list[Any]:
    """The primary key, with text compared byte by byte on PostgreSQL (``COLLATE "C"``,
    SQLite's own order) so both databases return the rows in the same order."""
    columns: list[Any] = [table.c[k] for k in contract.primary_key]
    if connection.dialect.name == "postgresql":
        columns = [
            c.collate("C") if contract.columns[c.name].type == "string" else c for c in columns
        ]
    return columns


def read_back_arrow(
    target: Target, contract: TableContract, name: str, *, keys: sa.Table | None = None
) -> pa.Table:
    """Every row of target table ``name`` in key order, as Arrow in the canonical
    form of :func:`~.arrowdb.canonical_column` (one column per contract column,
    in contract order; no rows when the table does not exist; only the rows
    whose keys are in ``keys`` when given).

    Through ADBC the rows never become Python objects; PostgreSQL's come
    through a server-side cursor in batches (:mod:`.postgres`); another
    driver's rows come back as tuples and each column goes through its type's
    result processor in one pass (what Core would do row by row).
    """
    metadata = sa.MetaData()
    kinds = contract.kinds()
    table = target_metadata_one(metadata, name, contract)
    with connected(target) as connection:
        if not sa.inspect(connection).has_table(name):
            return pa.table(
                {c: canonical_column(pa.array([], pa.large_string()), k) for c, k in kinds.items()}
            )
        dialect = connection.dialect
        source = joined(table, keys)
        query = sa.select(table).select_from(source)
        sql = str(query.order_by(*_key_order(connection, table, contract)).compile(dialect=dialect))
        if is_psycopg(connection):
            fetched = fetch_server_side(connection, sql, kinds)
        else:
            count = connection.execute(sa.select(sa.func.count()).select_from(source)).scalar()
            fetched = fetch_arrow(connection, sql, count or 0)
            if fetched is None:
                fetched = _fetch_rows(connection, table, sql, kinds)
    return pa.table(
        {
            column: canonical_column(fetched.column(i), kind)
            for i, (column, kind) in enumerate(kinds.items())
        }
    )


def _fetch_rows(
    connection: sa.Connection, table: sa.Table, sql: str, kinds: dict[str, str]
) -> pa.Table:
    """The rows of ``sql`` through a DB-API cursor, as Arrow in canonical form."""
    dialect = connection.dialect
    cursor = connection.connection.cursor()  # plain tuples, no Row objects
    try:
        cursor.execute(sql)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in kinds]
    out = {}
    for (column, kind), values in zip(kinds.items(), columns, strict=True):
        process = table.c[column].type.dialect_impl(dialect).result_processor(dialect, None)
        if process is None:
            plain = list(values)
        elif isinstance(table.c[column].type, sa.Date):
            plain = per_distinct(np.array(values, dtype=object), process)
        else:
            plain = [process(v) for v in values]
        if kind == "decimal":
            plain = [None if v is None else format(Decimal(v), "f") for v in plain]
        elif kind == "date":
            plain = [None if v is None else v.isoformat() for v in plain]
        out[column] = pa.array(plain, type=_ARROW_KIND[kind])
    return pa.table(out)


_ARROW_KIND = {
    "string": pa.large_string(),
    "integer": pa.int64(),
    "decimal": pa.large_string(),
    "date": pa.large_string(),
    "boolean": pa.bool_(),
}


def target_aggregates(
    target: Target,
    name: str,
    contract: TableContract,
    sums: list[str],
    count_by: list[str],
    *,
    keys: sa.Table | None = None,
) -> dict[str, Any]:
    """``count``, ``sum(col)`` and ``count_by(col)`` computed by the database itself
    (over the rows whose keys are in ``keys`` when given, see :func:`~.load.run_keys`).

    An integer sum the database cannot compute (SQLite raises "integer
    overflow" past 2⁶³) is :data:`~validation.reconcile.OVERFLOW`, a finding,
    never a wrapped-around number or a failed run.
    """
    metadata = sa.MetaData()
    table = target_metadata_one(metadata, name, contract)
    source = joined(table, keys)
    out: dict[str, Any] = {}
    with connected(target) as connection:
        out["count"] = connection.execute(sa.select(sa.func.count()).select_from(source)).scalar()
        for column in sums:
            if contract.columns[column].type == "integer":
                total = sa.select(sa.func.sum(table.c[column])).select_from(source)
                out[f"sum({column})"] = _integer_sum(connection, total)
        for column in count_by:
            kind = contract.columns[column].type
            rows = connection.execute(
                sa.select(table.c[column], sa.func.count())
                .select_from(source)
                .group_by(table.c[column])
            ).fetchall()
            tally: dict[str, int] = {}
            for value, n in rows:  # 1 and True, 1.50 and 1.5: one category each
                label = category(value, kind)
                tally[label] = tally.get(label, 0) + int(n)
            out[f"count_by({column})"] = tally
    return out


def _integer_sum(connection: sa.Connection, query: sa.Select[Any]) -> int | str:
    savepoint = connection.begin_nested() if connection.in_transaction() else None
    try:
        total = connection.execute(query).scalar()
    except (sa.exc.OperationalError, sa.exc.DataError) as exc:
        if "overflow" not in str(exc.orig).lower() and "out of range" not in str(exc.orig).lower():
            raise
        if savepoint is not None:
            savepoint.rollback()
        return OVERFLOW
    if savepoint is not None:
        savepoint.commit()
    return int(total or 0)


def category(value: Any, kind: str) -> str:
    """A ``count_by`` category as both sides write it, whatever the database
    returned: ``(null)``, ``True``/``False``, a decimal without trailing zeros,
    an ISO date, or the value's text."""
    if value is None:
        return "(null)"
    if kind == "boolean":
        return str(bool(value))
    if kind == "decimal":
        text = format(Decimal(str(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if kind == "date" and hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
