"""The map engine: skip rules, chains, factorization reuse."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ikou.mappings.engine import _blank_rows, coerce, map_table
from ikou.mappings.spec import TableMapping
from ikou.mappings.transforms import Reject, typed_factorize


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
    from ikou.audit.hashing import CellError

    spec = TableMapping.model_validate(
        {"source": "s", "columns": {"x": {"from": "a", "transforms": ["strip"]}}}
    )
    raw = pd.DataFrame({"a": [CellError("#REF!"), "#REF!", None]}, dtype=object)
    mapped = map_table(raw, table="t", source="s", spec=spec, kinds={"x": "string"})
    assert mapped.problems["slug"].tolist() == ["x.cell.error"]
    assert mapped.frame["x"].tolist()[1] == "#REF!"  # text that reads #REF! is text


def test_notes_are_kept_per_cell_and_only_for_accepted_rows() -> None:
    from ikou.validation.contract import TableContract
    from ikou.validation.schema import validate_table

    spec = TableMapping.model_validate(
        {
            "source": "s",
            "columns": {
                "family": {"from": "氏名", "transforms": [{"name": {"part": "family"}}]},
                "given": {"from": "氏名", "transforms": [{"name": {"part": "given"}}]},
                "born": {"from": "生年月日", "transforms": [{"date": {"lenient_era": True}}]},
                "note": {"from": "備考", "transforms": [{"blank": {"values": ["なし"]}}]},
            },
        }
    )
    raw = pd.DataFrame(
        {
            "氏名": ["山田 太郎", "鈴木花子", "佐藤 一郎", "田中次郎"],
            "生年月日": ["S64.1.8", "H2.3.4", "H31.5.1", "相談中"],
            "備考": ["なし", None, "要連絡", "なし"],
        },
        dtype=object,
    )
    kinds = {"family": "string", "given": "string", "born": "date", "note": "string"}
    mapped = map_table(raw, table="t", source="s", spec=spec, kinds=kinds)
    assert sorted(zip(mapped.notes["row"], mapped.notes["slug"], strict=True)) == [
        (0, "born.wareki.out_of_era"),
        (0, "note.blank.marker"),
        (1, "family.name.divided"),
        (1, "given.name.divided"),
        (2, "born.wareki.out_of_era"),
        (3, "family.name.divided"),
        (3, "given.name.divided"),
        (3, "note.blank.marker"),
    ]
    assert mapped.problems["slug"].tolist() == ["born.date.unparseable"]
    assert mapped.frame.loc[0, "born"] == dt.date(1989, 1, 8)
    contract = TableContract.model_validate(
        {"primary_key": "family", "columns": {k: {"type": v} for k, v in kinds.items()}}
    )
    validated = validate_table(mapped, contract)
    assert 3 not in set(validated.notes["row"])  # row 3 was rejected: its notes are not counted
    assert len(validated.notes) == 5
