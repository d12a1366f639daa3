"""Canonical hashing of tables: one encoding, used by every stage.

Each cell is encoded by its *logical* type, never by ``repr`` or ``hash()``:

========  ==========================================  =================
kind      value                                       encoding
========  ==========================================  =================
(any)     null / missing                              ``n``
string    ``"abc"``                                   ``s3:abc``
integer   ``45000``                                   ``i5:45000``
decimal   ``Decimal("45000.50")``                     ``d8:45000.5``
date      ``date(2010, 10, 7)``                       ``t10:2010-10-07``
datetime  ``datetime(2010, 10, 7, 9, 30)``            ``T19:2010-10-07T09:30:00``
boolean   ``True``                                    ``b1:1``
float     ``3.5`` (raw cells only)                    ``f3:3.5``
error     a spreadsheet error cell (raw cells only)   ``e7:#DIV/0!``
========  ==========================================  =================

The length prefix keeps the encoding unambiguous whatever a string contains;
null is distinct from the empty string (``n`` versus ``s0:``). A row is its
cells' encodings joined with ``\\x1e`` in column order; a table digest is
SHA-256 over a header naming the columns and kinds, then the row digests in
the table's canonical order.

Row digests are plain SHA-256 while they live in memory for one run; pass
``key`` to get HMAC-SHA256 digests whenever they are *kept* (a manifest),
because an unkeyed hash of a low-entropy row is the row to anyone who tries
the candidates (DESIGN.md, principle 3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import pandas as pd

__all__ = ["KINDS", "CellError", "encode_value", "row_digests", "table_digest"]

KINDS = ("string", "integer", "decimal", "date", "boolean", "raw")
_SEP = "\x1e"


class CellError(str):
    """A spreadsheet error cell (``#REF!``, ``#DIV/0!``…) kept apart from text."""

    __slots__ = ()


def _field(tag: str, text: str) -> str:
    return f"{tag}{len(text)}:{text}"


def _decimal_text(value: Decimal) -> str:
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def encode_value(value: Any) -> str:
    """Encode one cell by its Python type (used for raw cells and as reference)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "n"
    if isinstance(value, CellError):
        return _field("e", str(value))
    if isinstance(value, str):
        return _field("s", value)
    if isinstance(value, bool):
        return _field("b", "1" if value else "0")
    if isinstance(value, int):
        return _field("i", str(value))
    if isinstance(value, float):
        if value != value:  # NaN is how pandas spells a missing float
            return "n"
        return _field("f", str(value))
    if isinstance(value, Decimal):
        return _field("d", _decimal_text(value))
    if isinstance(value, dt.datetime):
        return _field("T", value.isoformat())
    if isinstance(value, dt.date):
        return _field("t", value.isoformat())
    if isinstance(value, dt.time):
        return _field("h", value.isoformat())
    if isinstance(value, dt.timedelta):
        return _field("D", str(value.total_seconds()))
    # numpy scalars and the like: encode by what they are, not by repr.
    if hasattr(value, "item"):
        return encode_value(value.item())
    raise TypeError(f"cannot canonically encode a value of type {type(value).__name__}")


def _encode_column(series: pd.Series, kind: str) -> pd.Series:
    """Vectorised encoding of one column; distinct values are encoded once."""
    if kind == "string" or (kind == "raw" and isinstance(series.dtype, pd.StringDtype)):
        text = series.astype("string")
        out = "s" + text.str.len().astype("string") + ":" + text
        return out.fillna("n").astype(object)
    if kind == "integer":
        text = series.astype("Int64").astype("string")
        out = "i" + text.str.len().astype("string") + ":" + text
        return out.fillna("n").astype(object)
    if kind == "boolean":
        return (
            series.astype("boolean").map({True: "b1:1", False: "b1:0"}).fillna("n").astype(object)
        )
    if kind not in KINDS:
        raise ValueError(f"unknown column kind {kind!r}")
    # decimal, date, raw: object columns; encode each distinct value once.
    if kind == "raw":
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred == "empty":
            return pd.Series("n", index=series.index, dtype=object)
        if inferred == "string" and not any(isinstance(v, CellError) for v in series.dropna()):
            return _encode_column(series.astype("string"), "string")
    values = series.astype(object)
    cache: dict[Any, str] = {}
    encoded = []
    for value in values:
        try:
            key = (type(value), value)
            hit = cache.get(key)
        except TypeError:  # unhashable: encode directly
            encoded.append(encode_value(value))
            continue
        if hit is None:
            hit = encode_value(value)
            cache[key] = hit
        encoded.append(hit)
    return pd.Series(encoded, index=series.index, dtype=object)


def row_digests(
    frame: pd.DataFrame, kinds: Mapping[str, str], *, key: bytes | None = None
) -> pd.Series:
    """SHA-256 (or HMAC-SHA256 under ``key``) of each row, over ``kinds``' columns.

    Columns are taken in the order of ``kinds``; the result keeps the frame's
    index, so rows can be matched by key or position afterwards.
    """
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    joined: list[str] | None = None
    for column, kind in kinds.items():
        encoded = _encode_column(frame[column], kind).tolist()
        if joined is None:
            joined = encoded
        else:
            joined = [f"{a}{_SEP}{b}" for a, b in zip(joined, encoded, strict=True)]
    assert joined is not None
    if key is None:
        digests = [hashlib.sha256(row.encode("utf-8")).hexdigest() for row in joined]
    else:
        digests = [hmac.new(key, row.encode("utf-8"), hashlib.sha256).hexdigest() for row in joined]
    return pd.Series(digests, index=frame.index, dtype=object)


def table_digest(
    frame: pd.DataFrame,
    kinds: Mapping[str, str],
    *,
    digests: Iterable[str] | None = None,
) -> str:
    """SHA-256 over the column header and the row digests, in the frame's order.

    Pass ``digests`` when the row digests are already computed, so a table is
    never encoded twice.
    """
    hasher = hashlib.sha256()
    header = _SEP.join(f"{name}:{kind}" for name, kind in kinds.items())
    hasher.update(header.encode("utf-8"))
    hasher.update(b"\n")
    rows = digests if digests is not None else row_digests(frame, kinds)
    count = 0
    for digest in rows:
        hasher.update(digest.encode("ascii"))
        hasher.update(b"\n")
        count += 1
    hasher.update(f"rows={count}".encode("ascii"))
    return hasher.hexdigest()
