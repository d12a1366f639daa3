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
cells' encodings joined with ``\\x1e`` in column order. A table digest (the
stage hashes in the audit chain) lays the same information out column by
column, see :func:`table_digest`.

Row digests are plain SHA-256 while they live in memory for one run; pass
``key`` to get HMAC-SHA256 digests whenever they are *kept* (a manifest),
because an unkeyed hash of a low-entropy row is the row to anyone who tries
the candidates (DESIGN.md, principle 3).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "KINDS",
    "CellError",
    "EncodedTable",
    "encode_table",
    "encode_value",
    "row_digests",
    "row_keys",
    "table_digest",
]

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


def _encode_column(series: pd.Series, kind: str) -> list[str]:
    """Encode one column; non-text values are encoded once per distinct value."""
    if kind not in KINDS:
        raise ValueError(f"unknown column kind {kind!r}")
    values = series.to_numpy(dtype=object, na_value=None)
    if kind == "string":
        return ["n" if v is None else f"s{len(v)}:{v}" for v in values]
    if kind == "integer":
        texts = ["" if v is None else str(int(v)) for v in values]
        return ["n" if v is None else f"i{len(t)}:{t}" for v, t in zip(values, texts, strict=True)]
    if kind == "boolean":
        return ["n" if v is None else ("b1:1" if v else "b1:0") for v in values]
    types = set(map(type, values))
    if types <= {str, type(None)}:
        return ["n" if v is None else f"s{len(v)}:{v}" for v in values]
    if _factorize_safe(types):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        table = np.array([encode_value(u) for u in uniques] + ["n"], dtype=object)
        return table[codes].tolist()
    cached = _encode_cached
    return ["n" if v is None else f"s{len(v)}:{v}" if type(v) is str else cached(v) for v in values]


def _factorize_safe(types: set[type]) -> bool:
    """``pd.factorize`` merges ``True``/``1``/``1.0``/``Decimal(1)`` and a ``str``
    subclass with its text: safe only with at most one numeric and one text type."""
    numeric = sum(1 for t in types if issubclass(t, bool | int | float | Decimal))
    text = sum(1 for t in types if issubclass(t, str))
    return numeric <= 1 and text <= 1


@lru_cache(maxsize=1 << 16, typed=True)
def _encode_hashable(value: Any) -> str:
    return encode_value(value)


def _encode_cached(value: Any) -> str:
    """``encode_value`` with a type-exact cache (``typed=True`` keeps 1, 1.0 and True apart)."""
    try:
        return _encode_hashable(value)
    except TypeError:  # unhashable
        return encode_value(value)


@dataclass(frozen=True)
class EncodedTable:
    """A table's canonical cell encodings, for row digests."""

    kinds: dict[str, str]
    columns: list[list[str]]
    index: pd.Index

    def row_digests(self, *, key: bytes | None = None) -> pd.Series:
        """SHA-256 (or HMAC-SHA256 under ``key``) of each row, indexed like the frame."""
        joined = [_SEP.join(cells) for cells in zip(*self.columns, strict=True)]
        if key is None:
            digests = [
                hashlib.sha256(r.encode("utf-8", "surrogatepass")).hexdigest() for r in joined
            ]
        else:
            digests = [
                hmac.new(key, r.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
                for r in joined
            ]
        return pd.Series(digests, index=self.index, dtype=object)


def encode_table(frame: pd.DataFrame, kinds: Mapping[str, str]) -> EncodedTable:
    """Encode ``kinds``' columns of ``frame`` (in that order) once."""
    columns = [_encode_column(frame[column], kind) for column, kind in kinds.items()]
    return EncodedTable(dict(kinds), columns, frame.index)


def row_digests(
    frame: pd.DataFrame, kinds: Mapping[str, str], *, key: bytes | None = None
) -> pd.Series:
    """SHA-256 (or HMAC-SHA256 under ``key``) of each row, over ``kinds``' columns.

    Columns are taken in the order of ``kinds``; the result keeps the frame's
    index, so rows can be matched by key or position afterwards.
    """
    return encode_table(frame, kinds).row_digests(key=key)


def row_keys(frame: pd.DataFrame, kinds: Mapping[str, str]) -> list[str]:
    """The canonical encoding of each row's ``kinds`` columns, unhashed.

    For matching rows by key in memory only (never stored: it *is* the value).
    """
    columns = [_encode_column(frame[column], kind) for column, kind in kinds.items()]
    return ["".join(cells) for cells in zip(*columns, strict=True)]


def _column_bytes(series: pd.Series, kind: str) -> bytes:
    """One column in the columnar canonical form (see :func:`table_digest`)."""
    values = series.to_numpy(dtype=object, na_value=None)
    present = ~pd.isna(values)
    kept = values[present]
    if kind == "integer":
        body = np.asarray(kept.tolist(), dtype="<i8").tobytes()
    elif kind == "boolean":
        body = np.asarray(kept.tolist(), dtype="u1").tobytes()
    else:
        layout = b"S"  # the cells are the texts themselves
        if kind != "string" and not set(map(type, kept)) <= {str}:
            layout = b"E"  # the cells' encode_value forms
            kept = np.array(_encode_column(pd.Series(kept, dtype=object), kind), dtype=object)
        texts = kept.tolist()
        lengths = np.fromiter(map(len, texts), dtype="<i8", count=len(texts)).tobytes()
        body = layout + lengths + "".join(texts).encode("utf-8", "surrogatepass")
    return np.packbits(present).tobytes() + hashlib.sha256(body).digest()


def table_digest(frame: pd.DataFrame, kinds: Mapping[str, str]) -> str:
    """SHA-256 of a whole table, column by column (the stage hashes in the chain).

    For each column, in ``kinds``' order: which cells are null (a bit mask),
    then the non-null cells — 64-bit little-endian integers, one byte per
    boolean, or for every other kind a layout byte, the cell texts' lengths and
    their concatenated UTF-8 (``S``: every cell is a string, taken as itself;
    ``E``: every cell in its :func:`encode_value` form). Lengths make the
    concatenation parse one way only. The header names the columns, kinds and row count. This is the
    same information as the row encoding, laid out so that hashing a
    200,000-row table costs a few C-speed passes instead of a Python call per
    cell.
    """
    hasher = hashlib.sha256()
    header = _SEP.join(f"{name}:{kind}" for name, kind in kinds.items())
    hasher.update(f"{header}\nrows={len(frame)}\n".encode("utf-8", "surrogatepass"))
    for column, kind in kinds.items():
        hasher.update(_column_bytes(frame[column], kind))
    return hasher.hexdigest()
