"""Rows paired by key and compared column by column: each kind of difference."""

from __future__ import annotations

import pandas as pd

from ikou.audit.hashing import encode_table, row_keys
from ikou.validation.reconcile import Rows, reconcile_table

KINDS = {"id": "string", "rent": "integer"}


def _rows(ids: list[str], rents: list[int | None], index: list[int] | None = None) -> Rows:
    frame = pd.DataFrame({"id": ids, "rent": rents}, index=index, dtype=object)
    keys = pd.Series(row_keys(frame, {"id": "string"}), index=frame.index, dtype=object)
    return Rows(keys, encode_table(frame, KINDS))


def test_each_difference_is_found_and_named_by_source_row() -> None:
    expected = _rows(["a", "b", "c", "d"], [1, 2, 3, None], index=[10, 11, 12, 13])
    # b changed, c missing, e unexpected, a twice (its last row is the one compared)
    actual = _rows(["a", "b", "d", "e", "a"], [9, 20, None, 5, 1])
    result = reconcile_table(
        "t", source_rows=4, skipped=0, rejected=0, expected=expected, actual=actual, controls=[]
    )
    assert result.findings["reconcile.row_changed"] == [11]
    assert result.findings["reconcile.row_missing"] == [12]
    assert result.finding_counts["reconcile.row_unexpected"] == 1
    assert result.finding_counts["reconcile.key_repeated"] == 1
    assert result.finding_counts["reconcile.unbalanced"] == 1  # 4 source rows, 5 loaded


def test_identical_sides_in_another_order_balance() -> None:
    expected = _rows(["a", "b", "c"], [1, None, 3], index=[5, 6, 7])
    actual = _rows(["c", "a", "b"], [3, 1, None])
    result = reconcile_table(
        "t", source_rows=3, skipped=0, rejected=0, expected=expected, actual=actual, controls=[]
    )
    assert result.balanced and result.loaded == 3
