"""Arrow in and out of the target database: ADBC under SQLAlchemy.

The load and the read-back move every row of every table; through a DB-API
driver each cell is a Python object twice over (``executemany`` parameters,
``fetchall`` tuples), which was most of their time. ADBC moves Arrow record
batches instead: ``adbc_ingest`` binds whole columns, ``fetch_arrow_table``
returns them.

Everything else about the target — DDL from the contract, the empty-table
check, ``COUNT``/``SUM``/``GROUP BY`` controls, savepoints, one transaction
committed only when everything balances — stays SQLAlchemy's. For SQLite that
means one connection serving both: :class:`SQLiteADBC` is SQLAlchemy's
``pysqlite`` dialect over ``adbc_driver_sqlite``'s DB-API module (the same SQL,
the same types, the same transaction), registered as ``sqlite+adbc`` and
chosen by :func:`~ikou.pipeline.stages.load.open_target` for every
``sqlite://`` URL. PostgreSQL through psycopg 3 moves its rows with COPY and a
server-side cursor instead (:mod:`.postgres`); other databases keep their
SQLAlchemy driver and the row-wise path.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import types
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

__all__ = [
    "SQLiteADBC",
    "adbc_connection",
    "adbc_errors",
    "canonical_column",
    "fetch_arrow",
    "ingest",
    "per_distinct",
    "python_values",
    "sqlite_column",
]

DIALECT = "sqlite.adbc"


def _dbapi() -> types.ModuleType:
    """``adbc_driver_sqlite.dbapi`` plus the two attributes SQLAlchemy's SQLite
    dialect reads from the ``sqlite3`` module (version checks only)."""
    import adbc_driver_sqlite.dbapi as adbc

    module = types.ModuleType("ikou_adbc_sqlite")
    module.__dict__.update({k: getattr(adbc, k) for k in dir(adbc) if not k.startswith("__")})
    module.sqlite_version_info = sqlite3.sqlite_version_info  # type: ignore[attr-defined]
    module.version_info = (2, 6, 0)  # type: ignore[attr-defined]
    return module


class SQLiteADBC(SQLiteDialect_pysqlite):
    """SQLite through ADBC: SQLAlchemy's SQLite SQL and types, Arrow for bulk rows.

    ADBC's connection opens a transaction itself (autocommit off) and SQLite's
    DDL is transactional, so ``CREATE TABLE`` rolls back with the load; the
    ``pysqlite`` connect hook (a ``REGEXP`` function through the ``sqlite3``
    API) is not available here and nothing in ikou uses it.
    """

    driver = "adbc"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> types.ModuleType:
        return _dbapi()

    def on_connect(self) -> None:
        return None

    def create_connect_args(self, url: sa.URL) -> tuple[list[Any], dict[str, Any]]:
        return [url.database or ":memory:"], {}


sa.dialects.registry.impls[DIALECT] = lambda: SQLiteADBC


def adbc_errors() -> tuple[type[Exception], ...]:
    """The DB-API error class ADBC raises where SQLAlchemy does not wrap it (the
    ingest and the Arrow fetch go to the driver directly)."""
    from adbc_driver_manager import dbapi

    return (dbapi.Error,)


def adbc_connection(connection: sa.Connection) -> Any | None:
    """The ADBC DB-API connection beneath ``connection``, or ``None`` when its
    driver is not ADBC."""
    if connection.dialect.driver != "adbc":
        return None
    return connection.connection.dbapi_connection


def ingest(
    connection: sa.Connection, table: str, data: pa.Table, *, temporary: bool = False
) -> bool:
    """Append ``data`` to existing table ``table`` (a temporary one: ``temporary``) in
    the connection's transaction; ``False`` (nothing written) when the connection
    is not ADBC."""
    raw = adbc_connection(connection)
    if raw is None:
        return False
    cursor = raw.cursor()
    try:
        cursor.adbc_ingest(table, data, mode="append", temporary=temporary)
    finally:
        cursor.close()
    return True


def fetch_arrow(connection: sa.Connection, sql: str, rows: int) -> pa.Table | None:
    """The result of ``sql`` as one Arrow table (``None`` when the connection is
    not ADBC). ``rows`` (an upper bound on the result) sizes SQLite's one batch:
    ADBC's SQLite driver infers each column's type from its first batch, so a
    column that starts with more NULLs than a batch holds would otherwise be
    typed as integers and refuse the text after them."""
    raw = adbc_connection(connection)
    if raw is None:
        return None
    cursor = raw.cursor()
    try:
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(max(rows, 1))})
        cursor.execute(sql)
        return cursor.fetch_arrow_table()
    finally:
        cursor.close()


def per_distinct(values: np.ndarray, convert: Any) -> list[Any]:
    """``convert`` once per distinct non-null value of an object array; nulls stay ``None``."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    done = np.array([convert(u) for u in uniques] + [None], dtype=object)
    return done[codes].tolist()  # type: ignore[no-any-return]


def sqlite_column(values: pd.Series, kind: str) -> pa.Array:
    """An accepted column as SQLAlchemy stores it in SQLite, as Arrow: text, 64-bit
    integers, dates as ISO text, exact decimals as their text (:class:`~.load.ExactDecimal`),
    booleans as 0/1."""
    objects = values.to_numpy(dtype=object, na_value=None)
    if kind == "string":
        return pa.array(objects, type=pa.large_string())
    if kind == "integer":
        return pa.array(objects, type=pa.int64())
    if kind == "date":
        if {type(v) for v in objects if v is not None} <= {dt.date}:
            return pa.array(objects, type=pa.date32()).cast(pa.large_string())
        return pa.array(per_distinct(objects, dt.date.isoformat), type=pa.large_string())
    if kind == "decimal":
        texts = [None if v is None else format(Decimal(v), "f") for v in objects]
        return pa.array(texts, type=pa.large_string())
    return pa.array(objects, type=pa.bool_()).cast(pa.int64())


def _iso_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        return text  # not a date: kept as written, so it differs from what was loaded


_CANONICAL = {"integer": pa.int64(), "boolean": pa.bool_()}


def canonical_column(values: pa.Array | pa.ChunkedArray, kind: str) -> pa.Array:
    """A column read back, in the one form the hashing reads (:func:`~ikou.audit.hashing.
    encode_arrow`): text for strings, dates (ISO) and decimals; int64; bool."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count == len(values):  # ADBC's SQLite types a column of nulls int64
        return pa.nulls(len(values), _CANONICAL.get(kind, pa.large_string()))
    if kind == "integer":
        return values.cast(pa.int64())
    if kind == "boolean":
        if pa.types.is_boolean(values.type):
            return values
        return pc.not_equal(values.cast(pa.int64()), 0)  # SQLAlchemy's bool(value)
    if (
        kind == "date"
        and not pa.types.is_string(values.type)
        and not pa.types.is_large_string(values.type)
    ):
        return values.cast(pa.date32()).cast(pa.large_string())
    text = values.cast(pa.large_string())
    if kind == "date":  # ISO as written; anything else is converted value by value
        try:
            return text.cast(pa.date32()).cast(pa.large_string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            objects = np.array(text.to_pylist(), dtype=object)
            return pa.array(per_distinct(objects, _iso_date), type=pa.large_string())
    return text


def python_values(values: pa.Array, kind: str) -> list[Any]:
    """A canonical column (:func:`canonical_column`) as the Python values SQLAlchemy
    returns: ``str``, ``int``, ``date``, ``Decimal``, ``bool`` or ``None``."""
    if kind == "date":
        objects = np.array(values.to_pylist(), dtype=object)
        return per_distinct(objects, _python_date)
    if kind == "decimal":
        return [None if v is None else Decimal(v) for v in values.to_pylist()]
    return values.to_pylist()  # type: ignore[no-any-return]


def _python_date(text: str) -> dt.date | str:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text
