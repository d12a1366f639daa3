"""The transform machinery: registry, argument checks, notes, and never raising."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ikou.audit.hashing import CellError
from ikou.mappings.transforms import REGISTRY, apply_transform, check_args
from tests.mappings.support import run

D = dt.date
LOOKUP_FOLDER = Path(__file__).resolve().parents[2] / "mappings" / "examples"

# The arguments a transform cannot do without; every other one has defaults.
NEEDED: dict[str, dict[str, object]] = {
    "zero_pad": {"width": 6},
    "code_map": {"codes": {"1": "a"}},
    "name": {"part": "family"},
    "blank": {"values": ["なし"]},
    "lookup": {"table": "estates.csv"},
}


def test_every_transform_can_be_checked_with_its_needed_arguments() -> None:
    for name in REGISTRY:
        check_args(name, NEEDED.get(name, {}))


def test_argument_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="unknown era"):
        check_args("date", {"default_era": "X"})
    with pytest.raises(ValueError, match="1900 or 1904"):
        check_args("date", {"excel_serial": 1901})
    with pytest.raises(ValueError, match="has no argument 'era'"):
        check_args("date", {"era": "H"})
    with pytest.raises(ValueError, match="did you mean 'width'"):
        check_args("widht", {})
    with pytest.raises(ValueError, match="needs argument 'part'"):
        check_args("name", {})
    with pytest.raises(ValueError, match="argument 'part'"):
        check_args("name", {"part": "middle"})
    with pytest.raises(ValueError, match="at least one marker"):
        check_args("blank", {"values": []})
    with pytest.raises(ValueError, match="argument 'to'"):
        check_args("spaces", {"to": "_"})


def test_code_map_and_boolean() -> None:
    assert run("code_map", ["1", "２", "9"], codes={"1": "男性", "2": "女性"}) == (
        ["男性", "女性", None],
        [None, None, "code_map.unmapped"],
    )
    assert run("boolean", ["○", "×", "有", "maybe", True])[0] == [True, False, True, None, True]


def test_nulls_pass_through_untouched() -> None:
    for name in REGISTRY:
        out = apply_transform(
            name,
            pd.Series([None, float("nan")], dtype=object),
            check_args(name, NEEDED.get(name, {})),
            folder=LOOKUP_FOLDER,
        )
        assert out.values.tolist() == [None, None], name
        assert out.reasons.tolist() == [None, None], name


def test_each_distinct_value_is_transformed_once() -> None:
    from ikou.mappings.transforms import distinct_apply

    calls: list[object] = []

    def spy(value: object) -> object:
        calls.append(value)
        return value

    distinct_apply(pd.Series(["a", "b", "a", None, 1, 1.0, True, "a"], dtype=object), spy)
    assert sorted(map(repr, calls)) == sorted(map(repr, ["a", "b", 1, 1.0, True]))


cell_values = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.text(alphabet="０１２３４５６７８９－ー年月日平成昭和HS.／/〒￥¥円△▲(),，", max_size=12),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=D(1, 1, 1)),
    st.datetimes(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(CellError, st.sampled_from(["#REF!", "#DIV/0!", "#N/A"])),
)


@pytest.mark.parametrize("name", sorted(REGISTRY))
@given(values=st.lists(cell_values, max_size=15))
def test_no_transform_raises_on_any_input(name: str, values: list[object]) -> None:
    args = check_args(name, NEEDED.get(name, {}))
    result = apply_transform(name, pd.Series(values, dtype=object), args, folder=LOOKUP_FOLDER)
    assert len(result.values) == len(values)
    assert not any(str(r).endswith("unexpected") for r in result.reasons.dropna())
    for value, reason in zip(result.values, result.reasons, strict=True):
        assert value is None or reason is None


def test_every_reason_a_transform_gives_is_declared() -> None:
    declared = {
        f"{n}.{r}" if "." not in r else r
        for n, t in REGISTRY.items()
        for r in (*t.reasons, *t.notes)
    }
    samples = ["", "x", "相談中", "H99.1.1", "M1.1.1", "H22.10", "2010/2/30", True, 1.5, Decimal(2)]
    for name in REGISTRY:
        out = apply_transform(
            name,
            pd.Series(samples, dtype=object),
            check_args(name, NEEDED.get(name, {})),
            folder=LOOKUP_FOLDER,
        )
        for slug in [*out.reasons.dropna(), *out.notes.dropna()]:
            assert slug in declared, f"{name} gave undeclared {slug}"
