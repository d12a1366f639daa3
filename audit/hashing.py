"""Canonical hashing of tables: one cell canonicalisation, used by every stage.

Each cell is reduced to a **tag** (its logical type) and a **payload** (text),
never through ``repr`` or ``hash()``:

====  ==========================================  ======================
tag   value                                       payload
====  ==========================================  ======================
``n`` null / missing                              (empty)
``s`` ``"abc"``                                   ``abc``
``i`` ``45000``                                   ``45000``
``d`` ``Decimal("45000.50")``                     ``45000.5`` (no trailing zeros)
``t`` ``date(2010, 10, 7)``                       ``2010-10-07``
``T`` ``datetime(2010, 10, 7, 9, 30)``            ``2010-10-07T09:30:00``
``b`` ``True``                                    ``1``
``f`` ``3.5`` (raw cells only)                    ``3.5``
``e`` a spreadsheet error cell (raw cells only)   ``#DIV/0!``
``h`` a time of day (raw cells only)              ``09:30:00``
``D`` a duration (raw cells only)                 seconds, e.g. ``90.0``
====  ==========================================  ======================

Null is distinct from the empty string (tag ``n`` versus ``s`` with an empty
payload). :func:`encode_value` writes one cell as ``tag + length + ":" +
payload`` (``s3:abc``), the human-readable reference form.

Digests are built from the same (tag, length, payload) triples, laid out so
that the lengths make every concatenation parse one way only:

* a **row digest** is SHA-256 over the row's tags and payload lengths (one
  byte and one 64-bit little-endian integer per cell, in column order),
  followed by the concatenated UTF-8 payloads;
* a **table digest** (a stage hash in the audit chain) is SHA-256 over a
  header naming the columns, kinds and row count, then, per column, the
  SHA-256 of its tags, its payload lengths and its concatenated payloads.

Both are computed with a few C-speed passes per column, which is what makes
hashing every stage of a 200,000-row ledger affordable.

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
from pathlib import Path
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
_NULL, _STRING = ord("n"), ord("s")


class CellError(str):
    """A spreadsheet error cell (``#REF!``, ``#DIV/0!``…) kept apart from text.

    ``error_cell`` lets code that may not import ``audit`` (the map engine)
    recognise one without confusing it with text that reads ``#REF!``.
    """

    __slots__ = ()
    error_cell = True


def _decimal_text(value: Decimal) -> str:
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def _float(value: float) -> tuple[str, str]:
    return ("n", "") if value != value else ("f", str(value))  # NaN: pandas' missing float


_BY_TYPE: dict[type, Any] = {
    str: lambda v: ("s", v),
    float: _float,
    int: lambda v: ("i", str(v)),
    bool: lambda v: ("b", "1" if v else "0"),
    CellError: lambda v: ("e", str(v)),
    Decimal: lambda v: ("d", _decimal_text(v)),
    dt.date: lambda v: ("t", v.isoformat()),
    dt.datetime: lambda v: ("T", v.isoformat()),
    type(None): lambda v: ("n", ""),
}


def tag_payload(value: Any) -> tuple[str, str]:
    """The (tag, payload) of one cell by its Python type (see the table above)."""
    exact = _BY_TYPE.get(type(value))
    if exact is not None:
        return exact(value)  # type: ignore[no-any-return]
    if value is pd.NA or value is pd.NaT:
        return "n", ""
    if isinstance(value, CellError):
        return "e", str(value)
    if isinstance(value, str):
        return "s", str(value)
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, int):
        return "i", str(int(value))
    if isinstance(value, float):
        return _float(float(value))
    if isinstance(value, Decimal):
        return "d", _decimal_text(value)
    if isinstance(value, dt.datetime):
        return "T", value.isoformat()
    if isinstance(value, dt.date):
        return "t", value.isoformat()
    if isinstance(value, dt.time):
        return "h", value.isoformat()
    if isinstance(value, dt.timedelta):
        return "D", str(value.total_seconds())
    if hasattr(value, "item"):  # numpy scalars: by what they are, not by repr
        return tag_payload(value.item())
    raise TypeError(f"cannot canonically encode a value of type {type(value).__name__}")


def encode_value(value: Any) -> str:
    """One cell in its reference form ``tag + length + ":" + payload`` (``n`` for null)."""
    tag, payload = tag_payload(value)
    return "n" if tag == "n" else f"{tag}{len(payload)}:{payload}"


def _factorize_safe(types: set[type]) -> bool:
    """``pd.factorize`` merges ``True``/``1``/``1.0``/``Decimal(1)`` and a ``str``
    subclass with its text: safe only with at most one numeric and one text type."""
    numeric = sum(1 for t in types if issubclass(t, bool | int | float | Decimal))
    text = sum(1 for t in types if issubclass(t, str))
    return numeric <= 1 and text <= 1


@dataclass(frozen=True)
class _Cells:
    """One column canonicalised: a tag byte, a payload length and a payload per cell."""

    tags: np.ndarray  # uint8
    lengths: np.ndarray  # int64
    payloads: list[str]


def _cells(series: pd.Series, kind: str) -> _Cells:
    if kind not in KINDS:
        raise ValueError(f"unknown column kind {kind!r}")
    values = series.to_numpy(dtype=object)
    null = pd.isna(values)
    some_null = bool(null.any())
    present = values[~null] if some_null else values
    types = set(map(type, present))
    if kind == "string" or types <= {str}:
        tags = np.where(null, _NULL, _STRING).astype(np.uint8)
        payloads = np.where(null, "", values).tolist() if some_null else values.tolist()
    elif kind == "integer" and types <= {int}:
        tags = np.where(null, _NULL, ord("i")).astype(np.uint8)
        texts = np.full(len(values), "", dtype=object)
        texts[~null] = list(map(str, present))
        payloads = texts.tolist()
    elif _factorize_safe(types):  # each distinct value once, spread back with numpy
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        distinct = [tag_payload(u) for u in uniques] + [("n", "")]
        tags = np.fromiter((ord(t) for t, _ in distinct), dtype=np.uint8)[codes]
        texts = np.array([p for _, p in distinct], dtype=object)
        lengths = np.fromiter((len(p) for _, p in distinct), dtype=np.int64)[codes]
        return _Cells(tags, lengths, texts[codes].tolist())
    else:  # bool next to numbers, or error cells next to text: type by type
        pairs = [tag_payload(v) for v in values]
        tags = np.fromiter((ord(t) for t, _ in pairs), dtype=np.uint8, count=len(pairs))
        payloads = [p for _, p in pairs]
    lengths = np.fromiter(map(len, payloads), dtype=np.int64, count=len(payloads))
    return _Cells(tags, lengths, payloads)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class EncodedTable:
    """A table's columns canonicalised once, for row digests."""

    kinds: dict[str, str]
    columns: list[_Cells]
    index: pd.Index

    def row_digests(self, *, key: bytes | None = None) -> pd.Series:
        """SHA-256 (or HMAC-SHA256 under ``key``) of each row, indexed like the frame."""
        rows = len(self.index)
        if rows == 0:
            return pd.Series([], index=self.index, dtype=object)
        width = len(self.columns)
        shape = np.empty((rows, width), dtype=[("tag", "u1"), ("length", "<i8")])
        for position, cells in enumerate(self.columns):
            shape["tag"][:, position] = cells.tags
            shape["length"][:, position] = cells.lengths
        heads = np.ascontiguousarray(shape).view(f"V{9 * width}").ravel()
        texts = ["".join(parts) for parts in zip(*(c.payloads for c in self.columns), strict=True)]
        if key is None:
            digests = [
                hashlib.sha256(head.tobytes() + _utf8(text)).hexdigest()
                for head, text in zip(heads, texts, strict=True)
            ]
        else:
            digests = [
                hmac.new(key, head.tobytes() + _utf8(text), hashlib.sha256).hexdigest()
                for head, text in zip(heads, texts, strict=True)
            ]
        return pd.Series(digests, index=self.index, dtype=object)

    def digest(self) -> str:
        """The table digest (see :func:`table_digest`) from these encodings."""
        return _digest(self.kinds, len(self.index), self.columns)

    def take(self, rows: np.ndarray) -> EncodedTable:
        """The same encodings for a subset of rows (a boolean mask), in order."""
        positions = np.flatnonzero(rows)
        columns = [
            _Cells(
                c.tags[positions],
                c.lengths[positions],
                np.array(c.payloads, dtype=object)[positions].tolist(),
            )
            for c in self.columns
        ]
        return EncodedTable(self.kinds, columns, self.index[positions])


def encode_table(frame: pd.DataFrame, kinds: Mapping[str, str]) -> EncodedTable:
    """Canonicalise ``kinds``' columns of ``frame`` (in that order) once."""
    columns = [_cells(frame[column], kind) for column, kind in kinds.items()]
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
    """Each row's ``kinds`` columns in reference form, unhashed.

    For matching rows by key in memory only (never stored: it *is* the value).
    """
    columns = [
        [encode_value(v) for v in frame[column].to_numpy(dtype=object, na_value=None)]
        if kind != "string"
        else [
            "n" if v is None else f"s{len(v)}:{v}"
            for v in frame[column].to_numpy(dtype=object, na_value=None)
        ]
        for column, kind in kinds.items()
    ]
    return ["".join(cells) for cells in zip(*columns, strict=True)]


def _digest(kinds: Mapping[str, str], rows: int, columns: list[_Cells]) -> str:
    hasher = hashlib.sha256()
    header = "\x1e".join(f"{name}:{kind}" for name, kind in kinds.items())
    hasher.update(_utf8(f"{header}\nrows={rows}\n"))
    for cells in columns:
        column_hash = hashlib.sha256(cells.tags.tobytes())
        column_hash.update(cells.lengths.astype("<i8").tobytes())
        column_hash.update(_utf8("".join(cells.payloads)))
        hasher.update(column_hash.digest())
    return hasher.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks (a whole-file hash is plain
    SHA-256: DESIGN.md, principle 3)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_digest(frame: pd.DataFrame, kinds: Mapping[str, str]) -> str:
    """SHA-256 of a whole table, column by column (the stage hashes in the chain)."""
    return _digest(kinds, len(frame), [_cells(frame[c], k) for c, k in kinds.items()])
