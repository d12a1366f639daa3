"""Row checks: every failure collected, named by row, column and rule — never by value."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ikou.mappings.engine import map_table
from ikou.mappings.spec import TableMapping
from ikou.validation.contract import TableContract
from ikou.validation.schema import validate_table

CONTRACT = TableContract.model_validate(
    {
        "primary_key": "id",
        "columns": {
            "id": {"type": "string", "required": True, "pattern": "[0-9]{3}"},
            "rent": {"type": "integer", "min": 0, "max": 1000},
            "ward": {"type": "string", "allowed": ["北区", "南区"]},
            "since": {"type": "date", "min": dt.date(1950, 1, 1)},
            "mail": {"type": "string", "unique": True},
        },
    }
)
MAPPING = TableMapping.model_validate(
    {
        "source": "s",
        "skip": [
            {"name": "blank", "blank": True},
            {"name": "total", "column": "番号", "matches": "^合計$"},
        ],
        "columns": {
            "id": {"from": "番号", "transforms": ["text", {"zero_pad": {"width": 3}}]},
            "rent": {"from": "家賃", "transforms": ["yen"]},
            "ward": {"from": "区"},
            "since": {"from": "入居", "transforms": ["date"]},
            "mail": {"from": "メール"},
        },
    }
)
RAW = pd.DataFrame(
    {
        "番号": [1.0, 2.0, "x", 4.0, 4.0, None, "合計", 7.0],
        "家賃": ["500", "-1", "10", "相談", "20", None, "530", 5.0],
        "区": ["北区", "東区", "北区", "南区", "南区", None, None, "北区"],
        "入居": [
            "H2.1.1",
            "S20.1.1",
            "H2.1.1",
            "H2.1.1",
            "H2.1.1",
            None,
            None,
            dt.date(1990, 1, 1),
        ],
        "メール": ["a", "b", "c", "d", "a", None, None, "z"],
    },
    dtype=object,
)


def _validated():  # type: ignore[no-untyped-def]
    mapped = map_table(RAW, table="t", source="s", spec=MAPPING, kinds=CONTRACT.kinds())
    return mapped, validate_table(mapped, CONTRACT)


def test_skips_are_named_and_counted() -> None:
    mapped, _ = _validated()
    assert mapped.skipped.to_dict() == {5: "blank", 6: "total"}


def test_every_failure_is_collected_by_row_and_rule() -> None:
    _, result = _validated()
    found = sorted(zip(result.rejects["row"], result.rejects["slug"], strict=True))
    assert found == [
        (0, "mail.duplicate"),
        (1, "rent.min"),
        (1, "since.min"),
        (1, "ward.allowed"),
        (2, "id.zero_pad.not_digits"),  # and no extra id.required for the same cell
        (3, "id.duplicate"),
        (3, "rent.yen.not_a_number"),
        (4, "id.duplicate"),
        (4, "mail.duplicate"),
    ]
    assert result.accepted.index.tolist() == [7]
    assert result.source_rows == 8 == len(result.skipped) + len(result.rejected_rows) + 1


def test_rejects_hold_no_values() -> None:
    _, result = _validated()
    assert list(result.rejects.columns) == ["row", "column", "slug"]
    text = result.rejects.to_csv()
    for value in ("相談", "東区", "S20", "-1"):
        assert value not in text


def test_type_mismatch_is_a_finding_not_a_coercion() -> None:
    spec = TableMapping.model_validate(
        {"source": "s", "columns": {"id": {"from": "番号"}, "rent": {"from": "家賃"}}}
    )
    raw = pd.DataFrame({"番号": ["001", "002"], "家賃": ["500", 3.0]}, dtype=object)
    mapped = map_table(raw, table="t", source="s", spec=spec, kinds=CONTRACT.kinds())
    assert mapped.problems["slug"].tolist() == ["rent.type.mismatch"]
    assert mapped.frame["rent"].tolist()[1] == 3


_KEYED = pd.DataFrame(
    {
        "番号": [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0],
        "家賃": ["10", "20", "21", "相談", "31", "32", "40", "41"],
        "区": ["北区"] * 8,
        "入居": ["H2.1.1"] * 8,
        "メール": [None] * 8,
    },
    dtype=object,
)


def _keyed(policy: str):  # type: ignore[no-untyped-def]
    spec = MAPPING.model_copy(update={"duplicates": policy})
    mapped = map_table(_KEYED, table="t", source="s", spec=spec, kinds=CONTRACT.kinds())
    return validate_table(mapped, CONTRACT, duplicates=spec.duplicates)


def test_every_copy_of_a_key_is_rejected_by_default() -> None:
    result = _keyed("reject_all")
    assert result.accepted.index.tolist() == [0]
    duplicates = result.rejects[result.rejects["slug"] == "id.duplicate"]["row"].tolist()
    assert duplicates == [1, 2, 3, 4, 5, 6, 7]
    assert result.notes.empty


def test_keep_first_loads_the_first_passing_copy_and_lists_every_other() -> None:
    """Row 3 (the first 003) fails its rent, so row 4 is the first copy that passes."""
    result = _keyed("keep_first")
    assert result.accepted.index.tolist() == [0, 1, 4, 6]
    found = sorted(zip(result.rejects["row"], result.rejects["slug"], strict=True))
    assert found == [
        (2, "id.duplicate"),
        (3, "rent.yen.not_a_number"),
        (5, "id.duplicate"),
        (7, "id.duplicate"),
    ]
    kept = sorted(zip(result.notes["row"], result.notes["slug"], strict=True))
    assert kept == [(1, "id.duplicate_kept"), (4, "id.duplicate_kept"), (6, "id.duplicate_kept")]
    assert result.source_rows == len(result.rejected_rows) + len(result.accepted)


def test_a_mapping_names_only_known_duplicate_policies() -> None:
    import pydantic
    import pytest

    plain = {"source": "s", "columns": {"id": {"from": "番号"}}}
    assert TableMapping.model_validate({**plain, "duplicates": "keep_first"}).duplicates == (
        "keep_first"
    )
    with pytest.raises(pydantic.ValidationError, match="duplicates"):
        TableMapping.model_validate({**plain, "duplicates": "keep_last"})


def test_on_error_null_loads_the_row_with_the_cell_emptied() -> None:
    """Row 1 fails ``rent`` (-1 under ``min``), ``since`` (1945 under ``min``) and
    ``ward`` (``allowed``); under ``on_error: null`` for those three it loads
    with the three cells empty, each listed as cleared. Row 3's rent (相談)
    fails in the map stage and is cleared too, but the row is still rejected
    for its key, like every row failing a column that rejects."""
    columns = dict(MAPPING.columns)
    for name in ("rent", "ward", "since"):
        columns[name] = columns[name].model_copy(update={"on_error": "null"})
    spec = MAPPING.model_copy(update={"columns": columns})
    mapped = map_table(RAW, table="t", source="s", spec=spec, kinds=CONTRACT.kinds())
    assert mapped.problems["column"].isin(["rent"]).sum() == 0
    assert mapped.cleared["slug"].tolist() == ["rent.yen.not_a_number"]
    result = validate_table(mapped, CONTRACT, clear=frozenset({"rent", "ward", "since"}))
    cleared = sorted(zip(result.cleared["row"], result.cleared["slug"], strict=True))
    assert cleared == [(1, "rent.min"), (1, "since.min"), (1, "ward.allowed")]
    assert result.accepted.loc[1, ["rent", "ward", "since"]].isna().all()
    assert result.accepted.loc[1, "id"] == "002"
    assert 3 not in result.accepted.index and 3 in result.rejected_rows
    assert result.source_rows == len(result.rejected_rows) + len(result.accepted) + len(
        result.skipped
    )
    plain = validate_table(map_table(RAW, table="t", source="s", spec=MAPPING,
                                     kinds=CONTRACT.kinds()), CONTRACT)  # fmt: skip
    assert plain.cleared.empty and 1 not in plain.accepted.index
