"""PostgreSQL through psycopg 3: COPY in, a server-side cursor out.

SQLAlchemy keeps everything about the target that is not bulk rows — the DDL,
the schema check, ``COUNT``/``SUM``/``GROUP BY`` controls, the run's one
transaction — and this module moves the rows beneath it on the same
connection (``connection.connection.driver_connection``), inside that
transaction:

* the load writes each table's accepted rows as CSV made by Arrow's writer
  (one pass in C++, no Python object per cell) into ``COPY … FROM STDIN``;
  a NULL is an unquoted empty field and an empty string a quoted one, which
  is exactly what both Arrow and PostgreSQL's CSV format mean by them;
* the read-back runs the query through a named (server-side) cursor and
  fetches it in batches, so a large table never sits in the server's reply
  buffer at once.

Only psycopg 3 (``postgresql+psycopg``, what a plain ``postgresql://`` URL
means to ikou) goes this way; it comes with ``pip install "ikou[postgres]"``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa

from ikou.errors import TargetDriverError

__all__ = [
    "INSTALL",
    "copy_in",
    "fetch_server_side",
    "is_psycopg",
    "postgres_url",
]

INSTALL = 'pip install "ikou[postgres]"'
_CHUNK = 1 << 20  # bytes per COPY write
_BATCH = 50_000  # rows per fetch from the server-side cursor


def postgres_url(url: sa.URL) -> sa.URL:
    """``url`` with psycopg 3 as its driver when it names none (SQLAlchemy's own
    default is psycopg2), checked importable; any other URL as it is.

    Raises :class:`~ikou.errors.TargetDriverError` with the install line when
    the driver is missing."""
    if url.get_backend_name() != "postgresql":
        return url
    if "+" not in url.drivername:
        url = url.set(drivername="postgresql+psycopg")
    driver = url.get_driver_name()
    module = {"psycopg": "psycopg", "psycopg2": "psycopg2", "pg8000": "pg8000"}.get(driver, driver)
    try:
        __import__(module)
    except ImportError:
        raise TargetDriverError(
            f"the PostgreSQL driver ({module}) is not installed; install it with "
            f"{INSTALL} and run again.",
        ) from None
    return url


def is_psycopg(connection: sa.Connection) -> bool:
    """Whether ``connection`` is PostgreSQL through psycopg 3."""
    return connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg"


def _quoted(connection: sa.Connection, table: sa.Table) -> str:
    preparer = connection.dialect.identifier_preparer
    return preparer.format_table(table)


def copy_in(connection: sa.Connection, table: sa.Table, data: pa.Table) -> None:
    """Append ``data`` (columns named as ``table``'s, in text-compatible Arrow types:
    strings, int64, ISO dates and decimals as text, booleans as 0/1) to ``table``
    with ``COPY … FROM STDIN (FORMAT csv)``, in the connection's transaction."""
    preparer = connection.dialect.identifier_preparer
    columns = ", ".join(preparer.quote(name) for name in data.column_names)
    sql = f"COPY {_quoted(connection, table)} ({columns}) FROM STDIN (FORMAT csv)"
    sink = pa.BufferOutputStream()
    pacsv.write_csv(data, sink, pacsv.WriteOptions(include_header=False))
    payload = memoryview(sink.getvalue())
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for start in range(0, len(payload), _CHUNK):
            copy.write(payload[start : start + _CHUNK])


_ARROW = {
    "string": pa.large_string(),
    "integer": pa.int64(),
    "date": pa.date32(),
    "boolean": pa.bool_(),
}


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _column(values: tuple[Any, ...], kind: str) -> pa.Array:
    if kind == "decimal":
        return pa.array([_decimal_text(v) for v in values], type=pa.large_string())
    return pa.array(values, type=_ARROW[kind])


def fetch_server_side(connection: sa.Connection, sql: str, kinds: dict[str, str]) -> pa.Table:
    """The rows of ``sql`` (one column per ``kinds`` entry, in order) through a named
    cursor in the connection's transaction, as Arrow: strings, int64, dates,
    decimals as their text, booleans."""
    raw = connection.connection.driver_connection
    batches: list[list[pa.Array]] = []
    with raw.cursor(name="ikou_read_back") as cursor:
        cursor.itersize = _BATCH
        cursor.execute(sql)
        while rows := cursor.fetchmany(_BATCH):
            columns = list(zip(*rows, strict=True))
            batches.append([_column(c, k) for c, k in zip(columns, kinds.values(), strict=True)])
    if not batches:
        empty = {"decimal": pa.large_string()}
        return pa.table({c: pa.array([], empty.get(k, _ARROW.get(k))) for c, k in kinds.items()})
    return pa.table(
        {
            column: pa.chunked_array([batch[i] for batch in batches])
            for i, column in enumerate(kinds)
        }
    )
