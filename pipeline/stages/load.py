"""The load stage and the target database: DDL from the contract, one transaction.

Tables are created from the contract (typed columns, primary key, NOT NULL
for required columns) and every accepted row is inserted with
``executemany`` inside the run's one transaction (:func:`transaction`),
which the run commits only after the rows read back reconcile; any failure
rolls the whole load back, DDL included (SQLite is put in
explicit-transaction mode so that ``CREATE TABLE`` is part of the
transaction too). A target table that already holds rows is refused before
anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ikou.audit.hashing import table_digest
from ikou.errors import TargetError
from ikou.pipeline.stages import StageReport
from ikou.pipeline.stages.arrowdb import (
    adbc_errors,
    canonical_column,
    fetch_arrow,
    ingest,
    per_distinct,
    python_values,
    sqlite_column,
)
from ikou.validation.contract import Contract, TableContract
from ikou.validation.reconcile import OVERFLOW
from ikou.validation.schema import ValidatedTable

__all__ = [
    "ExactDecimal",
    "open_target",
    "read_back",
    "read_back_arrow",
    "run_load",
    "sqlite_file",
    "target_aggregates",
    "target_metadata",
    "target_metadata_one",
    "transaction",
]

Target = Engine | sa.Connection
"""Where rows are read from: an engine (a connection of its own) or the load's
connection, inside its transaction."""


class ExactDecimal(sa.types.TypeDecorator[Decimal]):
    """``NUMERIC`` where the database has exact decimals; canonical text on SQLite,
    whose NUMERIC affinity would turn 0.1 into a binary float."""

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int | None = None, scale: int | None = None) -> None:
        super().__init__()
        self._precision = precision
        self._scale = scale

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String())
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


def _column_type(kind: str, spec: Any) -> sa.types.TypeEngine[Any]:
    if kind == "string":
        return sa.String(spec.max_length) if spec.max_length else sa.Text()
    if kind == "integer":
        return sa.BigInteger()
    if kind == "decimal":
        return ExactDecimal(spec.precision, spec.scale)
    if kind == "date":
        return sa.Date()
    return sa.Boolean()


def target_metadata(contract: Contract, tables: list[str]) -> sa.MetaData:
    """SQLAlchemy tables for the named contract tables."""
    metadata = sa.MetaData()
    for name in tables:
        target_metadata_one(metadata, name, contract.tables[name])
    return metadata


def open_target(url: str) -> Engine:
    """An engine for ``url``. SQLite goes through ADBC (:mod:`.arrowdb`: Arrow for the
    load and the read-back, the same SQL and one transaction, DDL included)."""
    try:
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.get_driver_name() == "pysqlite":
            parsed = parsed.set(drivername="sqlite+adbc")
        engine = sa.create_engine(parsed)
    except (sa.exc.ArgumentError, ImportError, ValueError) as exc:
        kind = type(exc).__name__
        raise TargetError(
            f"the target URL is not usable ({kind}); write it as a SQLAlchemy URL such as "
            "sqlite:///path/to/file.db or postgresql://user@host/db.",
        ) from None
    if engine.dialect.name == "sqlite" and engine.dialect.driver == "pysqlite":

        @sa.event.listens_for(engine, "connect")
        def _no_implicit(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(connection: sa.Connection) -> None:
            connection.exec_driver_sql("BEGIN")

    return engine


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (``None`` for other databases and memory)."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


@contextmanager
def _connected(target: Target) -> Iterator[sa.Connection]:
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


@contextmanager
def transaction(engine: Engine) -> Iterator[sa.Connection]:
    """A connection in one transaction: committed when the block ends, unless
    the block rolled it back; rolled back if the block raises (or is killed)."""
    with _connected(engine) as connection:
        begun = connection.begin()
        try:
            yield connection
        except BaseException:
            if begun.is_active:
                begun.rollback()
            raise
        if begun.is_active:
            try:
                begun.commit()
            except sa.exc.SQLAlchemyError as exc:
                raise TargetError(
                    f"the target refused to commit the load ({type(exc).__name__}); it was "
                    "rolled back and the target is as it was.",
                ) from None


def _insert(
    connection: sa.Connection, table: sa.Table, frame: pd.DataFrame, kinds: dict[str, str]
) -> int:
    """Every row of ``frame`` into ``table``: one Arrow ingest through ADBC, or
    :func:`_insert_rows` where the driver is not ADBC."""
    names = [column.name for column in table.columns if column.name in frame.columns]
    if frame.empty:
        return 0
    data = pa.table({name: sqlite_column(frame[name], kinds[name]) for name in names})
    if not ingest(connection, table.name, data):
        return _insert_rows(connection, table, frame)
    return len(frame)


def _insert_rows(connection: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """``executemany`` of every row, with SQLAlchemy's own type processing done per column.

    Core's ``execute(insert, [dicts])`` builds parameters row by row, which is
    most of a 200,000-row load; here each column goes through its type's bind
    processor (the same function Core would call) in one pass, and the rows
    go to the driver in one ``executemany`` in its own parameter style.
    """
    dialect = connection.dialect
    names = [column.name for column in table.columns if column.name in frame.columns]
    columns = []
    for name in names:
        values = frame[name].to_numpy(dtype=object, na_value=None).tolist()
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            columns.append(values)
        elif isinstance(table.c[name].type, sa.Date):  # dates repeat: once per distinct value
            # (only dates: Decimal("1") and Decimal("1.0") are equal but written differently)
            columns.append(per_distinct(np.array(values, dtype=object), process))
        else:
            columns.append([process(v) for v in values])
    compiled = table.insert().compile(dialect=dialect, column_keys=names)
    if compiled.positiontup is not None:  # qmark, format, numeric
        order = [names.index(key) for key in compiled.positiontup]
        params: list[Any] = list(zip(*(columns[i] for i in order), strict=True))
    else:  # named, pyformat
        params = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    connection.exec_driver_sql(compiled.string, params)
    return len(params)


def _assert_empty(connection: sa.Connection, metadata: sa.MetaData) -> None:
    inspector = sa.inspect(connection)
    for table in metadata.tables.values():
        if inspector.has_table(table.name):
            count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            if count:
                raise TargetError(
                    f"target table {table.name!r} already holds {count} row(s); "
                    "ikou loads only into absent or empty tables.",
                )


def run_load(
    validated: dict[str, ValidatedTable],
    contract: Contract,
    connection: sa.Connection,
    *,
    digests: dict[str, str] | None = None,
) -> tuple[dict[str, int], StageReport]:
    """Create the tables and insert every accepted row, inside ``connection``'s
    transaction (see :func:`transaction`; the caller commits).

    ``digests`` (table → digest of the accepted rows, from the validate stage)
    saves encoding the same rows again for the stage's output hash.
    """
    metadata = target_metadata(contract, list(validated))
    loaded: dict[str, int] = {}
    loaded_digests: list[str] = []
    try:
        _assert_empty(connection, metadata)
        metadata.create_all(connection, checkfirst=True)
        for name, table in validated.items():
            kinds = contract.tables[name].kinds()
            loaded[name] = _insert(connection, metadata.tables[name], table.accepted, kinds)
            if digests is not None and name in digests:
                loaded_digests.append(f"{name}:{digests[name]}")
            else:
                kinds = {
                    k: v
                    for k, v in contract.tables[name].kinds().items()
                    if k in table.accepted.columns
                }
                loaded_digests.append(f"{name}:{table_digest(table.accepted, kinds)}")
    except (sa.exc.SQLAlchemyError, *adbc_errors()) as exc:
        raise TargetError(
            f"the load into the target failed and was rolled back ({type(exc).__name__}); "
            "the target is as it was.",
        ) from None
    output = hashlib.sha256("\n".join(loaded_digests).encode("ascii")).hexdigest()
    return loaded, StageReport("load", {"loaded": sum(loaded.values())}, output, {"tables": loaded})


def read_back(target: Target, contract: TableContract, name: str) -> pd.DataFrame:
    """Every row of target table ``name`` in key order, as plain Python values —
    ``str``, ``int``, ``Decimal``, ``date``, ``bool`` or ``None``, what SQLAlchemy
    returns and the canonical hash encodes (no rows when the table does not exist)."""
    rows = read_back_arrow(target, contract, name)
    kinds = contract.kinds()
    return pd.DataFrame(
        {
            column: pd.Series(python_values(rows.column(i), kind), dtype=object)
            for i, (column, kind) in enumerate(kinds.items())
        }
    )


def read_back_arrow(target: Target, contract: TableContract, name: str) -> pa.Table:
    """Every row of target table ``name`` in key order, as Arrow in the canonical
    form of :func:`~.arrowdb.canonical_column` (one column per contract column,
    in contract order; no rows when the table does not exist).

    Through ADBC the rows never become Python objects; another driver's rows
    come back as tuples and each column goes through its type's result
    processor in one pass (what Core would do row by row).
    """
    metadata = sa.MetaData()
    kinds = contract.kinds()
    table = target_metadata_one(metadata, name, contract)
    with _connected(target) as connection:
        if not sa.inspect(connection).has_table(name):
            return pa.table(
                {c: canonical_column(pa.array([], pa.large_string()), k) for c, k in kinds.items()}
            )
        dialect = connection.dialect
        query = sa.select(table).order_by(*(table.c[k] for k in contract.primary_key))
        sql = str(query.compile(dialect=dialect))
        count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0
        fetched = fetch_arrow(connection, sql, count)
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


def target_metadata_one(metadata: sa.MetaData, name: str, contract: TableContract) -> sa.Table:
    """One contract table bound to ``metadata``: typed columns, primary key, NOT NULL."""
    return sa.Table(
        name,
        metadata,
        *(
            sa.Column(
                column,
                _column_type(spec.type, spec),
                primary_key=column in contract.primary_key,
                nullable=not (spec.required or column in contract.primary_key),
            )
            for column, spec in contract.columns.items()
        ),
    )


def target_aggregates(
    target: Target, name: str, contract: TableContract, sums: list[str], count_by: list[str]
) -> dict[str, Any]:
    """``count``, ``sum(col)`` and ``count_by(col)`` computed by the database itself.

    An integer sum the database cannot compute (SQLite raises "integer
    overflow" past 2⁶³) is :data:`~validation.reconcile.OVERFLOW`, a finding,
    never a wrapped-around number or a failed run.
    """
    metadata = sa.MetaData()
    table = target_metadata_one(metadata, name, contract)
    out: dict[str, Any] = {}
    with _connected(target) as connection:
        out["count"] = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
        for column in sums:
            if contract.columns[column].type == "integer":
                out[f"sum({column})"] = _integer_sum(connection, table.c[column])
        for column in count_by:
            rows = connection.execute(
                sa.select(table.c[column], sa.func.count()).group_by(table.c[column])
            ).fetchall()
            out[f"count_by({column})"] = {_category(v): int(n) for v, n in rows}
    return out


def _integer_sum(connection: sa.Connection, column: sa.Column[Any]) -> int | str:
    savepoint = connection.begin_nested() if connection.in_transaction() else None
    try:
        total = connection.execute(sa.select(sa.func.sum(column))).scalar()
    except (sa.exc.OperationalError, sa.exc.DataError) as exc:
        if "overflow" not in str(exc.orig).lower() and "out of range" not in str(exc.orig).lower():
            raise
        if savepoint is not None:
            savepoint.rollback()
        return OVERFLOW
    if savepoint is not None:
        savepoint.commit()
    return int(total or 0)


def _category(value: Any) -> str:
    return "(null)" if value is None else str(value)
