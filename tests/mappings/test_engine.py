"""The map engine: skip rules, chains, factorization reuse."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from mappings.engine import _blank_rows, coerce, map_table
from mappings.spec import TableMapping
from mappings.transforms import Reject, typed_factorize


def test_blank_rows_look_past_a_leading_space_cell() -> None:
    frame = pd.DataFrame(
        {
            "a": ["  ", None, "\u3000", None, 0.0, ""],
            "b": [None, None, None, "x", None, " "],
            "c": ["y", None, "\t", None, None, None],
        },
        dtype=object,
    )
    assert _blank_rows(frame).tolist() == [False, True, True, False, False, True]


def test_typed_factorize_keeps_types_apart() -> None:
    import numpy as np

    values = np.array([True, 1, 1.0, "1", None, 1, float("nan")], dtype=object)
    codes, uniques = typed_factorize(values)
    assert codes.tolist() == [0, 1, 2, 3, -1, 1, -1]
    assert [type(u) for u in uniques] == [bool, int, float, str]


def test_a_source_column_feeding_two_targets_is_read_once() -> None:
    spec = TableMapping.model_validate(
        {
            "source": "s",
            "skip": [{"name": "total", "column": "a", "matches": "合計"}],
            "columns": {
                "x": {"from": "a", "transforms": ["strip"]},
                "y": {"from": "a", "transforms": ["digits_only"]},
            },
        }
    )
    raw = pd.DataFrame({"a": [" 12 ", "合計", "ab"]}, dtype=object)
    mapped = map_table(raw, table="t", source="s", spec=spec, kinds={"x": "string", "y": "string"})
    assert mapped.frame["x"].tolist() == ["12", "ab"]
    assert mapped.frame.index.tolist() == [0, 2]
    assert mapped.problems["slug"].tolist() == ["y.digits_only.no_digits"]


def test_coerce_never_converts_silently() -> None:
    assert coerce(3.0, "integer") == 3
    for value, kind in (
        ("3", "integer"),
        (True, "integer"),
        (dt.datetime(2020, 1, 1, 5), "date"),
        (1, "boolean"),
        (dt.date(2020, 1, 1), "string"),
    ):
        try:
            coerce(value, kind)
        except Reject as rejection:
            assert rejection.reason == "mismatch"
        else:
            raise AssertionError(f"{value!r} became a {kind}")


def test_error_cells_are_rejected_not_read_as_text() -> None:
    from audit.hashing import CellError

    spec = TableMapping.model_validate(
        {"source": "s", "columns": {"x": {"from": "a", "transforms": ["strip"]}}}
    )
    raw = pd.DataFrame({"a": [CellError("#REF!"), "#REF!", None]}, dtype=object)
    mapped = map_table(raw, table="t", source="s", spec=spec, kinds={"x": "string"})
    assert mapped.problems["slug"].tolist() == ["x.cell.error"]
    assert mapped.frame["x"].tolist()[1] == "#REF!"  # text that reads #REF! is text
