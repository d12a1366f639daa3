"""The load stage and the target database: DDL from the contract, one transaction.

Tables are created from the contract (:mod:`.ddl`: typed columns, keys,
NOT NULL, CHECK, foreign keys, comments) — or, when the target already holds
them (the vendor's schema), checked against it, every difference named
before anything is written — and every accepted row goes in inside the
run's one transaction (:func:`transaction`), parents before children: as
Arrow through ADBC on SQLite, with COPY on PostgreSQL (:mod:`.postgres`),
with ``executemany`` elsewhere. The run commits only after the rows read
back reconcile; any failure rolls the whole load back, DDL included (SQLite
is put in explicit-transaction mode so that ``CREATE TABLE`` is part of the
transaction too).

A target table that already holds rows is refused before anything is
written, unless the plan says ``target.if_exists: append``: then every key
this run loads must be new to the target, and the read-back and the
controls cover exactly this run's keys (:func:`run_keys`, a temporary table
joined to each target table).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ikou.audit.hashing import table_digest
from ikou.errors import (
    TargetDriverError,
    TargetError,
    TargetKeyExistsError,
    TargetNotEmptyError,
    TargetSchemaError,
)
from ikou.pipeline.stages import StageReport
from ikou.pipeline.stages.arrowdb import (
    adbc_errors,
    ingest,
    per_distinct,
    sqlite_column,
)
from ikou.pipeline.stages.ddl import (
    ExactDecimal,
    schema_differences,
    target_metadata,
    target_metadata_one,
)
from ikou.pipeline.stages.postgres import copy_in, is_psycopg, postgres_url
from ikou.pipeline.stages.readback import (
    category,
    connected,
    joined,
    read_back,
    read_back_arrow,
    target_aggregates,
)
from ikou.validation.contract import Contract, TableContract
from ikou.validation.schema import ValidatedTable

__all__ = [
    "ExactDecimal",
    "category",
    "open_target",
    "read_back",
    "read_back_arrow",
    "run_keys",
    "run_load",
    "sqlite_file",
    "target_aggregates",
    "target_metadata",
    "target_metadata_one",
    "transaction",
]


def open_target(url: str) -> Engine:
    """An engine for ``url``. SQLite goes through ADBC (:mod:`.arrowdb`: Arrow for the
    load and the read-back, the same SQL and one transaction, DDL included); a
    plain ``postgresql://`` through psycopg 3 (:mod:`.postgres`), which ``pip
    install "ikou[postgres]"`` brings."""
    try:
        parsed = sa.engine.make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.get_driver_name() == "pysqlite":
            parsed = parsed.set(drivername="sqlite+adbc")
        parsed = postgres_url(parsed)
        utf8 = {"client_encoding": "utf8"} if parsed.drivername == "postgresql+psycopg" else {}
        engine = sa.create_engine(parsed, connect_args=utf8)
    except ImportError as exc:
        raise TargetDriverError(
            f"the driver for {parsed.get_backend_name()} targets ({exc.name or 'its module'}) "
            "is not installed; install it and run again.",
        ) from None
    except (sa.exc.ArgumentError, ValueError) as exc:
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
def transaction(engine: Engine) -> Iterator[sa.Connection]:
    """A connection in one transaction: committed when the block ends, unless
    the block rolled it back; rolled back if the block raises (or is killed)."""
    with connected(engine) as connection:
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
    """Every row of ``frame`` into ``table``: COPY on PostgreSQL, one Arrow ingest
    through ADBC, or :func:`_insert_rows` where the driver is neither."""
    names = [column.name for column in table.columns if column.name in frame.columns]
    if frame.empty:
        return 0
    data = pa.table({name: sqlite_column(frame[name], kinds[name]) for name in names})
    if is_psycopg(connection):
        copy_in(connection, table, data)
        return len(frame)
    if not ingest(connection, table.name, data, temporary=table.schema == "temp"):
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


def _driver_errors() -> tuple[type[Exception], ...]:
    """What the drivers raise where SQLAlchemy does not wrap it (ADBC's ingest and
    fetch, psycopg's COPY and server-side cursor)."""
    try:
        import psycopg
    except ImportError:
        return adbc_errors()
    return (*adbc_errors(), psycopg.Error)


def _refuse_rows(connection: sa.Connection, metadata: sa.MetaData, if_exists: str) -> None:
    """Refuse a table that already holds rows, unless the plan appends."""
    inspector = sa.inspect(connection)
    for table in metadata.tables.values():
        if if_exists != "append" and inspector.has_table(table.name):
            count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            if count:
                raise TargetNotEmptyError(
                    f"target table {table.name!r} already holds {count} row(s); ikou loads "
                    "only into absent or empty tables unless the plan says "
                    "target.if_exists: append.",
                )


def _make_or_check(connection: sa.Connection, metadata: sa.MetaData, contract: Contract) -> None:
    """Create the tables when none exists; otherwise check the ones there (the
    vendor's schema) against the contract and refuse every difference at once."""
    inspector = sa.inspect(connection)
    if not any(inspector.has_table(name) for name in metadata.tables):
        metadata.create_all(connection, checkfirst=False)
        return
    differences = tuple(schema_differences(connection, metadata, contract))
    if differences:
        listed = "\n".join(f"  - {d}" for d in differences)
        raise TargetSchemaError(
            f"the target's tables differ from the contract in {len(differences)} way(s); "
            f"nothing was loaded:\n{listed}",
            differences,
        )


def run_keys(
    connection: sa.Connection, name: str, contract: TableContract, frame: pd.DataFrame
) -> sa.Table:
    """A temporary table holding the primary keys of ``frame`` (this run's rows of
    table ``name``), made afresh in ``connection``'s transaction: what an appending
    run's read-back and controls are joined to."""
    schema = {"postgresql": "pg_temp", "sqlite": "temp"}.get(connection.dialect.name)
    if schema is None:
        raise TargetError(
            f"target.if_exists: append works on PostgreSQL and SQLite targets, not on "
            f"{connection.dialect.name}; load into empty tables instead.",
        )
    table = target_metadata_one(sa.MetaData(), name, contract)
    keys = sa.Table(
        f"ikou_keys_{name}"[:63],
        sa.MetaData(),
        *(sa.Column(k, table.c[k].type, primary_key=True) for k in contract.primary_key),
        schema=schema,
    )
    connection.execute(sa.schema.DropTable(keys, if_exists=True))
    connection.execute(sa.schema.CreateTable(keys))
    kinds = {k: contract.columns[k].type for k in contract.primary_key}
    _insert(connection, keys, frame[list(contract.primary_key)], kinds)
    return keys


def _refuse_known_keys(
    connection: sa.Connection,
    metadata: sa.MetaData,
    validated: dict[str, ValidatedTable],
    contract: Contract,
) -> None:
    """Under ``if_exists: append``, refuse every key already in the target."""
    held = []
    for name, table in metadata.tables.items():
        keys = run_keys(connection, name, contract.tables[name], validated[name].accepted)
        count = connection.execute(
            sa.select(sa.func.count()).select_from(joined(table, keys))
        ).scalar()
        if count:
            held.append(f"{name!r} ({count})")
    if held:
        raise TargetKeyExistsError(
            "the target already holds keys this run would append, in table(s) "
            f"{', '.join(held)}; under if_exists: append every loaded key must be new. "
            "Nothing was loaded.",
        )


def run_load(
    validated: dict[str, ValidatedTable],
    contract: Contract,
    connection: sa.Connection,
    *,
    digests: dict[str, str] | None = None,
    if_exists: str = "fail",
) -> tuple[dict[str, int], StageReport]:
    """Create (or check) the tables and insert every accepted row, parents first,
    inside ``connection``'s transaction (see :func:`transaction`; the caller commits).

    ``digests`` (table → digest of the accepted rows, from the validate stage)
    saves encoding the same rows again for the stage's output hash.
    ``if_exists`` is the plan's ``target.if_exists``.
    """
    metadata = target_metadata(contract, list(validated))
    loaded: dict[str, int] = {}
    loaded_digests: list[str] = []
    try:
        _refuse_rows(connection, metadata, if_exists)
        _make_or_check(connection, metadata, contract)
        if if_exists == "append":
            _refuse_known_keys(connection, metadata, validated, contract)
        for table in metadata.sorted_tables:  # parents before children: foreign keys hold
            kinds = contract.tables[table.name].kinds()
            loaded[table.name] = _insert(connection, table, validated[table.name].accepted, kinds)
        for name, table in validated.items():
            if digests is not None and name in digests:
                loaded_digests.append(f"{name}:{digests[name]}")
            else:
                kinds = {
                    k: v
                    for k, v in contract.tables[name].kinds().items()
                    if k in table.accepted.columns
                }
                loaded_digests.append(f"{name}:{table_digest(table.accepted, kinds)}")
    except (sa.exc.SQLAlchemyError, *_driver_errors()) as exc:
        raise TargetError(
            f"the load into the target failed and was rolled back ({type(exc).__name__}); "
            "the target is as it was.",
        ) from None
    loaded = {name: loaded[name] for name in validated}
    output = hashlib.sha256("\n".join(loaded_digests).encode("ascii")).hexdigest()
    return loaded, StageReport("load", {"loaded": sum(loaded.values())}, output, {"tables": loaded})
