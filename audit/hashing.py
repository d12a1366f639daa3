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

Reconciliation does not hash rows: it pairs rows by key and compares the
same tags, lengths and payloads a column at a time (:meth:`EncodedTable.differ`);
a row digest is the per-row form of that comparison, for a single row's
identity. Row digests are plain SHA-256 while they live in memory; pass
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
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "KINDS",
    "CellError",
    "EncodedTable",
    "encode_arrow",
    "encode_distinct",
    "encode_table",
    "encode_value",
    "joined",
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
    # NaN: pandas' missing float. -0.0 is 0.0 (+ 0.0 makes it so): a ledger's −0
    # is zero, and a factorize takes the two as one value, as the encoding must.
    return ("n", "") if value != value else ("f", str(value + 0.0))


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


@dataclass(frozen=True)
class _Cells:
    """One column canonicalised: a tag byte, a payload length and a payload per cell.

    The payloads are one Arrow ``large_binary`` array of UTF-8 bytes (no nulls:
    a null's payload is empty), so a column's concatenated payloads are a slice
    of one buffer and a row's are joined in C, never through Python strings.
    """

    tags: np.ndarray  # uint8
    lengths: np.ndarray  # int64, in characters
    payloads: pa.Array  # large_binary, UTF-8


_BINARY = pa.large_binary()
_NOTHING = pa.scalar(b"", _BINARY)


def _texts(payloads: Any) -> tuple[pa.Array, np.ndarray]:
    """Payloads (a sequence of ``str``) as UTF-8 bytes in Arrow, with their lengths in
    characters."""
    try:
        text = pa.array(payloads, type=pa.large_string())
    except UnicodeEncodeError:  # lone surrogates: written as 'surrogatepass' writes them
        raw = [_utf8(p) for p in payloads]
        lengths = np.fromiter(map(len, payloads), dtype=np.int64, count=len(raw))
        return pa.array(raw, type=_BINARY), lengths
    lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return text.cast(_BINARY), lengths


def _integer_texts(values: np.ndarray, null: np.ndarray) -> pa.Array | None:
    """``str(int)`` of each integer cell (empty for nulls) in C; ``None`` past 64 bits."""
    numbers = np.zeros(len(values), dtype=np.int64)
    try:
        numbers[~null] = values[~null]
    except OverflowError:
        return None
    texts = pc.cast(pa.array(numbers), pa.large_string())
    return pc.if_else(pa.array(null), "", texts) if null.any() else texts


_NULLS = {type(None), type(pd.NA)}


def _cells(series: pd.Series, kind: str) -> _Cells:
    if kind not in KINDS:
        raise ValueError(f"unknown column kind {kind!r}")
    values = series.to_numpy(dtype=object)
    types = set(map(type, values))
    if types <= {str, *_NULLS} or kind == "string":  # text: straight into Arrow
        try:
            text = pa.array(values, type=pa.large_string(), from_pandas=True)
        except (UnicodeEncodeError, pa.ArrowTypeError, pa.ArrowInvalid):
            pass  # lone surrogates, or not text after all: the general path keeps them
        else:
            null = text.is_null().to_numpy(zero_copy_only=False)
            text = pc.fill_null(text, "")
            lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False).astype(np.int64)
            return _Cells(
                np.where(null, _NULL, _STRING).astype(np.uint8), lengths, text.cast(_BINARY)
            )
    if kind == "integer" and types - _NULLS <= {int}:
        null = pd.isna(values)
        tags = np.where(null, _NULL, ord("i")).astype(np.uint8)
        texts = _integer_texts(values, null)
        if texts is not None:
            lengths = pc.utf8_length(texts).to_numpy(zero_copy_only=False).astype(np.int64)
            return _Cells(tags, lengths, texts.cast(_BINARY))
    return _by_type(values, types)


def _by_type(values: np.ndarray, types: set[type]) -> _Cells:
    """Cells of any types, one type at a time: each group is tagged and written
    exactly as :func:`tag_payload` does it, text and numbers without a call per cell."""
    tags = np.empty(len(values), dtype=np.uint8)
    payloads = np.empty(len(values), dtype=object)
    which = (
        np.fromiter(map(type, values), dtype=object, count=len(values)) if len(types) > 1 else None
    )
    for kind in types:
        rows = slice(None) if which is None else which == kind
        group = values[rows]
        if kind is str:
            tags[rows], payloads[rows] = _STRING, group
        elif kind in _NULLS:
            tags[rows], payloads[rows] = _NULL, ""
        elif kind is float:
            nan = group != group
            tags[rows] = np.where(nan, _NULL, ord("f"))
            payloads[rows] = [
                "" if n else str(v + 0.0)  # -0.0 is 0.0, as in _float
                for v, n in zip(group.tolist(), nan.tolist(), strict=True)
            ]
        elif kind is int:
            tags[rows], payloads[rows] = ord("i"), list(map(str, group))
        else:  # dates, booleans, error cells, decimals, numpy scalars…
            pairs = [tag_payload(v) for v in group]
            tags[rows] = np.fromiter((ord(t) for t, _ in pairs), dtype=np.uint8, count=len(pairs))
            payloads[rows] = [p for _, p in pairs]
    texts, lengths = _texts(payloads)
    return _Cells(tags, lengths, texts)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _spans(array: pa.Array) -> tuple[memoryview, np.ndarray]:
    """A ``large_binary`` array's data buffer and its ``len + 1`` offsets into it."""
    validity, offsets, data = array.buffers()
    del validity
    starts = np.frombuffer(offsets, dtype=np.int64, count=len(array) + 1, offset=8 * array.offset)
    return memoryview(data if data is not None else b""), starts


def _joined(array: pa.Array) -> memoryview:
    """Every payload of a column, concatenated: a slice of its data buffer."""
    if len(array) == 0:
        return memoryview(b"")
    data, offsets = _spans(array)
    return data[int(offsets[0]) : int(offsets[-1])]


@dataclass(frozen=True)
class EncodedTable:
    """A table's columns canonicalised once, for row digests."""

    kinds: dict[str, str]
    columns: list[_Cells]
    index: pd.Index

    def row_digests(self, *, key: bytes | None = None) -> pd.Series:
        """SHA-256 (or HMAC-SHA256 under ``key``) of each row, indexed like the frame.

        Each row's message — its tags and lengths, then its payloads — is
        assembled for all rows at once in Arrow; Python only hashes the slices.
        """
        rows = len(self.index)
        if rows == 0:
            return pd.Series([], index=self.index, dtype=object)
        width = len(self.columns)
        shape = np.empty((rows, width), dtype=[("tag", "u1"), ("length", "<i8")])
        for position, cells in enumerate(self.columns):
            shape["tag"][:, position] = cells.tags
            shape["length"][:, position] = cells.lengths
        heads = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(9 * width), rows, [None, pa.py_buffer(np.ascontiguousarray(shape))]
        ).cast(_BINARY)
        messages = pc.binary_join_element_wise(heads, *(c.payloads for c in self.columns), _NOTHING)
        data, offsets = _spans(messages)
        bounds = zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
        if key is None:
            sha256 = hashlib.sha256
            digests = [sha256(data[a:b]).hexdigest() for a, b in bounds]
        else:
            keyed = hmac.new(key, digestmod=hashlib.sha256)
            digests = []
            for a, b in bounds:
                one = keyed.copy()
                one.update(data[a:b])
                digests.append(one.hexdigest())
        return pd.Series(digests, index=self.index, dtype=object)

    def keys(self, names: list[str]) -> list[str]:
        """Each row's ``names`` columns in reference form (as :func:`row_keys`), unhashed,
        assembled in Arrow.

        For matching rows by key in memory only (never stored: it *is* the value).
        """
        parts = []
        for name in names:
            cells = self.columns[list(self.kinds).index(name)]
            tags = pa.array(cells.tags.view("S1")).cast(_BINARY)
            lengths = pc.cast(pa.array(cells.lengths), pa.large_string()).cast(_BINARY)
            colon = pa.scalar(b":", _BINARY)
            written = pc.binary_join_element_wise(tags, lengths, colon, cells.payloads, _NOTHING)
            parts.append(
                pc.if_else(pa.array(cells.tags == _NULL), pa.scalar(b"n", _BINARY), written)
            )
        joined = pc.binary_join_element_wise(*parts, _NOTHING) if parts else pa.array([], _BINARY)
        try:
            return joined.cast(pa.large_string()).to_pylist()  # type: ignore[no-any-return]
        except pa.ArrowInvalid:  # lone surrogates (kept by 'surrogatepass'): byte by byte
            return [bytes(k).decode("utf-8", "surrogatepass") for k in joined.to_pylist()]

    def differ(self, rows: np.ndarray, other: EncodedTable, others: np.ndarray) -> np.ndarray:
        """Whether row ``rows[i]`` here and row ``others[i]`` of ``other`` differ in any
        cell (tag, length or payload bytes), compared a whole column at a time."""
        if list(self.kinds.items()) != list(other.kinds.items()):
            raise ValueError("the two tables have different columns")
        differs = np.zeros(len(rows), dtype=bool)
        if not len(rows):
            return differs
        mine, theirs = pa.array(rows), pa.array(others)
        for left, right in zip(self.columns, other.columns, strict=True):
            differs |= left.tags[rows] != right.tags[others]
            differs |= left.lengths[rows] != right.lengths[others]
            payloads = pc.not_equal(left.payloads.take(mine), right.payloads.take(theirs))
            differs |= payloads.to_numpy(zero_copy_only=False)
        return differs

    def digest(self) -> str:
        """The table digest (see :func:`table_digest`) from these encodings."""
        return _digest(self.kinds, len(self.index), self.columns)

    def take(self, rows: np.ndarray) -> EncodedTable:
        """The same encodings for a subset of rows (a boolean mask), in order."""
        positions = np.flatnonzero(rows)
        chosen = pa.array(positions)
        columns = [
            _Cells(c.tags[positions], c.lengths[positions], c.payloads.take(chosen))
            for c in self.columns
        ]
        return EncodedTable(self.kinds, columns, self.index[positions])


def _arrow_cells(values: pa.Array, kind: str) -> _Cells:
    """One canonical Arrow column (text for strings, ISO dates and decimals; int64;
    bool) encoded in C: the read-back never becomes Python objects."""
    if kind not in KINDS or kind == "raw":
        raise ValueError(f"unknown column kind {kind!r}")
    null = values.is_null().to_numpy(zero_copy_only=False)
    tag = {"string": "s", "integer": "i", "decimal": "d", "date": "t", "boolean": "b"}[kind]
    tags = np.where(null, _NULL, ord(tag)).astype(np.uint8)
    if kind == "decimal":  # the stored text, normalised: once per distinct value
        texts = values.to_pylist()
        distinct = {t: _decimal_text(Decimal(t)) for t in set(texts) if t is not None}
        payloads, lengths = _texts(["" if t is None else distinct[t] for t in texts])
        return _Cells(tags, lengths, payloads)
    if kind == "boolean":
        values = pc.if_else(values, "1", "0")
    text = pc.fill_null(values.cast(pa.large_string()), "")
    lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False).astype(np.int64)
    return _Cells(tags, lengths, text.cast(_BINARY))


def encode_arrow(table: pa.Table, kinds: Mapping[str, str]) -> EncodedTable:
    """Canonicalise a table read back in Arrow (see :func:`~ikou.pipeline.stages.
    arrowdb.canonical_column`); digests equal :func:`encode_table`'s of the same
    values as Python objects."""
    columns = [
        _arrow_cells(table.column(name).combine_chunks(), kind) for name, kind in kinds.items()
    ]
    return EncodedTable(dict(kinds), columns, pd.RangeIndex(table.num_rows))


def encode_distinct(
    columns: Mapping[str, tuple[np.ndarray, list[Any]]], index: pd.Index
) -> EncodedTable:
    """Raw columns given as type-exact codes and distinct values (``-1`` for null, as
    ``mappings.transforms.typed_factorize`` makes them): each distinct value is
    encoded once and spread by its code. Digests equal :func:`encode_table`'s of
    the same cells with kind ``raw``."""
    cells = []
    for codes, uniques in columns.values():
        values = np.empty(len(uniques) + 1, dtype=object)  # the last answers code -1: null
        values[:-1] = uniques
        one = _by_type(values, set(map(type, values)))
        at = np.where(codes < 0, len(uniques), codes)
        cells.append(_Cells(one.tags[at], one.lengths[at], one.payloads.take(pa.array(at))))
    return EncodedTable(dict.fromkeys(columns, "raw"), cells, index)


def joined(first: EncodedTable, second: EncodedTable) -> EncodedTable:
    """The columns of ``first`` then those of ``second`` (the same rows), as one table."""
    if len(first.index) != len(second.index) or set(first.kinds) & set(second.kinds):
        raise ValueError("the tables do not have the same rows and distinct columns")
    return EncodedTable(
        {**first.kinds, **second.kinds}, first.columns + second.columns, first.index
    )


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
        column_hash.update(_joined(cells.payloads))
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
