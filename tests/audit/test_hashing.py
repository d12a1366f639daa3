"""Canonical hashing: one encoding, typed, unambiguous, vectorised = per-value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ikou.audit.hashing import CellError, encode_value, row_digests, table_digest


def test_null_is_distinct_from_empty_string_and_types_are_distinct() -> None:
    encodings = {
        encode_value(v)
        for v in (None, "", "1", 1, 1.0, True, Decimal("1"), dt.date(2001, 1, 1), CellError("#N/A"))
    }
    assert len(encodings) == 9


def test_decimal_encoding_ignores_trailing_zeros() -> None:
    assert encode_value(Decimal("45000.00")) == encode_value(Decimal("45000"))
    assert encode_value(Decimal("0.10")) == encode_value(Decimal("0.1"))


@given(st.lists(st.one_of(st.none(), st.text(max_size=8)), min_size=1, max_size=20))
def test_vectorised_strings_equal_per_value_encoding(values: list[str | None]) -> None:
    frame = pd.DataFrame({"a": pd.Series(values, dtype="string")})
    raw = pd.DataFrame({"a": pd.Series(values, dtype=object)})
    assert row_digests(frame, {"a": "string"}).tolist() == row_digests(raw, {"a": "raw"}).tolist()


@given(st.lists(st.tuples(st.text(max_size=5), st.text(max_size=5)), min_size=1, max_size=10))
def test_no_two_different_rows_share_an_encoding(rows: list[tuple[str, str]]) -> None:
    frame = pd.DataFrame(rows, columns=["a", "b"]).astype("string")
    digests = row_digests(frame, {"a": "string", "b": "string"})
    assert len(set(digests)) == len(set(rows))


@given(st.lists(st.one_of(st.none(), st.integers(-(2**62), 2**62)), min_size=1, max_size=20))
def test_integer_column_matches_raw_ints(values: list[int | None]) -> None:
    typed = pd.DataFrame({"n": pd.Series(values, dtype="Int64")})
    raw = pd.DataFrame({"n": pd.Series(values, dtype=object)})
    assert row_digests(typed, {"n": "integer"}).tolist() == row_digests(raw, {"n": "raw"}).tolist()


def test_keyed_digests_differ_from_plain_and_by_key() -> None:
    frame = pd.DataFrame({"a": pd.Series(["x"], dtype="string")})
    plain = row_digests(frame, {"a": "string"})[0]
    k1 = row_digests(frame, {"a": "string"}, key=b"k1")[0]
    k2 = row_digests(frame, {"a": "string"}, key=b"k2")[0]
    assert len({plain, k1, k2}) == 3


def test_table_digest_depends_on_order_and_header() -> None:
    frame = pd.DataFrame({"a": pd.Series(["x", "y"], dtype="string")})
    kinds = {"a": "string"}
    assert table_digest(frame, kinds) != table_digest(frame.iloc[::-1], kinds)
    assert table_digest(frame, kinds) != table_digest(
        frame.rename(columns={"a": "b"}), {"b": "string"}
    )


def test_table_digest_tells_text_from_its_encoding() -> None:
    plain = pd.DataFrame({"a": pd.Series(["s3:abc", "f3:1.0"], dtype=object)})
    mixed = pd.DataFrame({"a": pd.Series(["abc", 1.0], dtype=object)})
    assert table_digest(plain, {"a": "raw"}) != table_digest(mixed, {"a": "raw"})


@given(
    st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=12),
    st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=12),
)
def test_table_digest_is_injective_on_text_columns(
    a: list[str | None], b: list[str | None]
) -> None:
    fa = pd.DataFrame({"c": pd.Series(a, dtype=object)})
    fb = pd.DataFrame({"c": pd.Series(b, dtype=object)})
    same = table_digest(fa, {"c": "string"}) == table_digest(fb, {"c": "string"})
    assert same == (a == b)


def test_lone_surrogates_hash_without_crashing() -> None:
    frame = pd.DataFrame({"a": pd.Series(["\ud800x"], dtype=object)})
    assert len(row_digests(frame, {"a": "string"})[0]) == 64
    assert len(table_digest(frame, {"a": "string"})) == 64


def test_a_subset_of_encodings_hashes_like_the_subset_itself() -> None:
    import datetime as dt

    import numpy as np

    from ikou.audit.hashing import encode_table

    frame = pd.DataFrame(
        {
            "a": pd.Series(["x", None, "z", "w"], dtype="string"),
            "n": pd.Series([1, 2, None, 4], dtype="Int64"),
            "d": pd.Series(
                [dt.date(2020, 1, 1), None, dt.date(2021, 5, 6), dt.date(2020, 1, 1)], dtype=object
            ),
        }
    )
    kinds = {"a": "string", "n": "integer", "d": "date"}
    mask = np.array([True, False, True, True])
    taken = encode_table(frame, kinds).take(mask)
    fresh = encode_table(frame[mask], kinds)
    assert taken.row_digests().tolist() == fresh.row_digests().tolist()
    assert taken.digest() == fresh.digest() == table_digest(frame[mask], kinds)


_TYPED = {
    "string": st.text(max_size=6).filter(lambda t: not any(0xD800 <= ord(c) < 0xE000 for c in t)),
    "integer": st.integers(-(2**63), 2**63 - 1),
    "decimal": st.decimals(allow_nan=False, allow_infinity=False, places=3, max_value=10**9),
    "date": st.dates(),
    "boolean": st.booleans(),
}


@given(
    st.lists(st.sampled_from(sorted(_TYPED)), min_size=1, max_size=5).flatmap(
        lambda kinds: st.tuples(
            st.just(kinds),
            st.lists(st.tuples(*(st.one_of(st.none(), _TYPED[k]) for k in kinds)), max_size=12),
        )
    )
)
def test_rows_stored_and_read_back_in_arrow_encode_as_the_python_values(
    case: tuple[list[str], list[tuple[object, ...]]],
) -> None:
    """What the load writes through ADBC and the read-back returns in Arrow encodes
    exactly as the same values as Python objects (the validate side)."""
    from ikou.audit.hashing import encode_arrow, encode_table, row_keys
    from ikou.pipeline.stages.arrowdb import canonical_column, sqlite_column

    kinds_list, rows = case
    kinds = {f"c{i}": kind for i, kind in enumerate(kinds_list)}
    frame = pd.DataFrame(
        {c: pd.Series([r[i] for r in rows], dtype=object) for i, c in enumerate(kinds)}
    )
    stored = {c: sqlite_column(frame[c], k) for c, k in kinds.items()}
    import pyarrow as pa

    read = pa.table({c: canonical_column(stored[c], k) for c, k in kinds.items()})
    python, arrow = encode_table(frame, kinds), encode_arrow(read, kinds)
    assert arrow.row_digests().tolist() == python.row_digests().tolist()
    assert arrow.digest() == python.digest()
    assert arrow.keys(list(kinds)) == row_keys(frame, kinds)
    everything = np.arange(len(rows))
    assert not python.differ(everything, arrow, everything).any()


def test_differ_finds_the_changed_cell_whatever_its_column() -> None:
    from ikou.audit.hashing import encode_table

    kinds = {"a": "string", "n": "integer", "d": "date"}
    frame = pd.DataFrame(
        {
            "a": pd.Series(["x", "y", None], dtype=object),
            "n": pd.Series([1, None, 3], dtype=object),
            "d": pd.Series([dt.date(2020, 1, 1), None, dt.date(2021, 1, 1)], dtype=object),
        }
    )
    changed = frame.copy()
    changed.loc[0, "a"] = "x "  # one more character
    changed.loc[1, "n"] = 0  # null became a value
    rows = np.arange(3)
    found = encode_table(frame, kinds).differ(rows, encode_table(changed, kinds), rows)
    assert found.tolist() == [True, True, False]
    swapped = np.array([2, 1, 0])
    assert encode_table(frame, kinds).differ(
        rows, encode_table(frame, kinds), swapped
    ).tolist() == [
        True,
        False,
        True,
    ]


_RAW_CELL = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.floats(allow_nan=True),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.sampled_from([CellError("#N/A"), CellError("#REF!"), "#N/A"]),
)


@given(st.lists(st.lists(_RAW_CELL, min_size=3, max_size=3), max_size=15))
@example(rows=[[0.0, None, None], [-0.0, None, None]])  # one value to a factorize, and so hashed
def test_raw_cells_encoded_once_per_distinct_value_hash_as_cell_by_cell(
    rows: list[list[object]],
) -> None:
    """The extract stage hashes each column from its type-exact codes and distinct
    values; that must be the digest of the cells themselves (True, 1 and 1.0 apart)."""
    from ikou.audit.hashing import encode_distinct
    from ikou.mappings.transforms import typed_factorize

    frame = pd.DataFrame(rows, columns=["a", "b", "c"], dtype=object)
    columns = {c: typed_factorize(frame[c].to_numpy(dtype=object)) for c in frame}
    kinds = dict.fromkeys(frame, "raw")
    assert encode_distinct(columns, frame.index).digest() == table_digest(frame, kinds)


@pytest.mark.parametrize("kind", ["string", "integer", "decimal", "date", "boolean"])
def test_a_column_of_nulls_read_back_as_int64_is_still_its_kind(kind: str) -> None:
    """ADBC's SQLite driver types a column holding only NULLs int64: read back, it
    encodes as the loaded nulls of its own kind (a table of an earlier batch's
    rows with an empty date column once failed the recovery)."""
    import pyarrow as pa

    from ikou.audit.hashing import encode_arrow, encode_table
    from ikou.pipeline.stages.arrowdb import canonical_column

    read = pa.table({"c": canonical_column(pa.nulls(3, pa.int64()), kind)})
    frame = pd.DataFrame({"c": pd.Series([None, None, None], dtype=object)})
    assert encode_arrow(read, {"c": kind}).digest() == encode_table(frame, {"c": kind}).digest()
