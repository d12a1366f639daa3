"""The ledger's own totals: held, explained by rejected rows, unexplained, unreadable."""

from __future__ import annotations

import pandas as pd
import pydantic
import pytest

from ikou.mappings.engine import column_chain, map_table
from ikou.mappings.spec import TableMapping
from ikou.validation.contract import TableContract
from ikou.validation.schema import validate_table
from ikou.validation.totals import check_totals

CONTRACT = TableContract.model_validate(
    {
        "primary_key": "id",
        "columns": {
            "id": {"type": "string", "required": True},
            "rent": {"type": "integer", "required": True, "min": 0},
        },
    }
)
SHEET = [  # 番号, 氏名, 家賃 — two estates with 小計, then 合計
    ("1", "甲", "1,000"),
    ("2", "乙", "2,000"),
    ("3", "丙", "相談中"),  # rejected, unreadable: the ledger's SUM skipped it too
    (None, "小計", "3,000"),  # holds
    ("4", "丁", "4,000"),
    ("5", "戊", "-500"),  # rejected (min 0), readable: explains the next 小計
    ("6", "己", "6,000"),
    (None, "小計", "9,500"),  # 10,000 loaded, -500 rejected: explained
    (None, "合計", "12,000"),  # 13,000 loaded, -500 rejected: 500 unexplained
]


def _spec(totals: list[dict[str, object]]) -> TableMapping:
    return TableMapping.model_validate(
        {
            "source": "s",
            "skip": [
                {"name": "subtotal", "column": "氏名", "matches": "^小計$"},
                {"name": "total", "column": "氏名", "matches": "^合計$"},
            ],
            "columns": {"id": {"from": "番号"}, "rent": {"from": "家賃", "transforms": ["yen"]}},
            "totals": totals,
        }
    )


def _checked(
    spec: TableMapping,
    rows: list[tuple[object, ...]] = SHEET,
    sheets: int = 1,
    parts: list[list[tuple[object, ...]]] | None = None,
):  # type: ignore[no-untyped-def]
    """The totals of one file whose sheets hold ``parts`` (default: ``rows`` on
    each of ``sheets`` sheets)."""
    parts = parts if parts is not None else [rows] * sheets
    cells = [row for part in parts for row in part]
    raw = pd.DataFrame(cells, columns=["番号", "氏名", "家賃"], dtype=object)
    positions = pd.DataFrame(
        {
            "file": "ledger.xls",
            "sheet": [f"sheet {n + 1}" for n, part in enumerate(parts) for _ in part],
            "row": [i + 5 for part in parts for i in range(len(part))],
        }
    )
    if len(parts) > 1:  # the same ids on every sheet would collide: number them apart
        raw["番号"] = [None if v is None else f"{i}-{v}" for i, v in enumerate(raw["番号"])]
    kinds = CONTRACT.kinds()
    mapped = map_table(raw, table="t", source="s", spec=spec, kinds=kinds, positions=positions)
    validated = validate_table(mapped, CONTRACT)
    chain = column_chain(spec.columns["rent"], "integer")
    return check_totals(
        spec.totals,
        raw=raw,
        positions=positions,
        skipped=mapped.skipped,
        mapped=mapped.frame,
        accepted=validated.accepted,
        kinds=kinds,
        sources={"id": "番号", "rent": "家賃"},
        figure=lambda column, cell: chain(cell),
    )


def test_each_total_row_is_held_explained_or_unexplained() -> None:
    spec = _spec(
        [
            {"name": "estate", "rows": "subtotal", "columns": ["rent"]},
            {"name": "grand", "rows": "total", "covers": "file", "columns": ["rent"]},
        ]
    )
    checks = _checked(spec)
    assert [(c.name, c.row, c.status, c.ok) for c in checks] == [
        ("estate", 8, "holds", True),
        ("estate", 12, "explained", True),
        ("grand", 13, "unexplained", False),
    ]
    held, explained, grand = checks
    assert (held.ledger, held.loaded, held.rejected, held.rows_loaded) == (3000, 3000, 0, 2)
    assert (explained.loaded, explained.rejected, explained.difference) == (10000, -500, 0)
    assert (grand.ledger, grand.loaded, grand.rejected, grand.difference) == (
        12000, 13000, -500, -500,
    )  # fmt: skip
    line = explained.as_dict()  # one rejected row: its value would show, so no figures
    assert line["rejected"] is line["ledger"] is line["loaded"] is None
    assert line["difference"] == 0 and line["rows_rejected"] == 1
    assert grand.as_dict()["difference"] is None  # it would give the single row's value


def test_an_informative_total_is_reported_but_does_not_fail() -> None:
    spec = _spec([{"name": "grand", "rows": "total", "covers": "file", "columns": ["rent"],
                   "informative": True}])  # fmt: skip
    (grand,) = _checked(spec)
    assert grand.status == "unexplained" and grand.ok


def test_an_unreadable_figure_fails_and_a_block_runs_on_across_sheets() -> None:
    rows = [*SHEET[:3], (None, "小計", "不明")]
    spec = _spec([{"name": "estate", "rows": "subtotal", "columns": ["rent"]}])
    (check,) = _checked(spec, rows)
    assert check.status == "unreadable" and not check.ok and check.ledger is None
    checks = _checked(spec, SHEET, sheets=2)  # sheet 2's first 小計: rows since sheet 1's last
    assert [(c.sheet, c.status) for c in checks] == [
        ("sheet 1", "holds"), ("sheet 1", "explained"),
        ("sheet 2", "holds"), ("sheet 2", "explained"),
    ]  # fmt: skip
    # a ledger continued on the next sheet: the 小計 there covers both sheets' rows
    first = [("1", "甲", "1,000"), ("2", "乙", "2,000")]
    second = [("3", "丙", "3,000"), (None, "小計", "6,000")]
    (check,) = _checked(spec, parts=[first, second])
    assert (check.sheet, check.status, check.loaded, check.rows_loaded) == ("sheet 2", "holds",
                                                                            6000, 3)  # fmt: skip
    rows = [("1", "甲", "1,000"), ("2", "乙", "2,000"), ("3", "丙", "3,000")]
    spec_file = _spec([{"name": "grand", "rows": "total", "covers": "file", "columns": ["rent"]},
                       {"name": "per_sheet", "rows": "total", "covers": "sheet",
                        "columns": ["rent"]}])  # fmt: skip
    checks = _checked(spec_file, [*rows, (None, "合計", "6,000")], sheets=2)
    assert [(c.name, c.sheet, c.status, c.loaded) for c in checks] == [
        ("grand", "sheet 1", "holds", 6000), ("grand", "sheet 2", "unexplained", 12000),
        ("per_sheet", "sheet 1", "holds", 6000), ("per_sheet", "sheet 2", "holds", 6000),
    ]  # fmt: skip


def test_a_total_without_a_label_is_found_as_each_sheets_last_row() -> None:
    rows = [("1", "甲", "1,000"), ("2", "乙", "2,000"), (None, None, "3,000")]
    spec = TableMapping.model_validate(
        {
            "source": "s",
            "columns": {"id": {"from": "番号"}, "rent": {"from": "家賃", "transforms": ["yen"]}},
            "totals": [{"name": "sheet_total", "rows": "last", "covers": "sheet",
                        "columns": ["rent"]}],
        }
    )  # fmt: skip
    checks = _checked(spec, rows, sheets=2)
    assert [(c.sheet, c.row, c.status, c.loaded) for c in checks] == [
        ("sheet 1", 7, "holds", 3000),
        ("sheet 2", 7, "holds", 3000),
    ]


def test_a_total_names_a_skip_rule_and_mapped_columns() -> None:
    with pytest.raises(pydantic.ValidationError, match="neither a skip rule"):
        _spec([{"name": "estate", "rows": "subtotals", "columns": ["rent"]}])
    with pytest.raises(pydantic.ValidationError, match="not a column"):
        _spec([{"name": "estate", "rows": "subtotal", "columns": ["fee"]}])
    with pytest.raises(pydantic.ValidationError, match="unique"):
        _spec([{"name": "subtotal", "rows": "subtotal", "columns": ["rent"]}])
