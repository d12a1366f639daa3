"""Skip rules' ``matches``: RE2 syntax, run by RE2, refused at load when unsafe."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from ikou.errors import ConfigError
from ikou.mappings.engine import _match_rows, map_table
from ikou.mappings.spec import TableMapping, load_mapping

_MAPPING = """\
mapping: m
tables:
  tenants:
    source: ledger
    skip:
      - name: blank_row
        blank: true
      - name: odd_row
        column: 氏名
        matches: '{pattern}'
    columns:
      name: {{from: 氏名}}
"""


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"(a+)+$", "backtracks catastrophically"),
        (r"(\w+\s?)+$", "backtracks catastrophically"),
        (r"(a)\1", "no backreferences"),
        (r"(?=a)", "no lookahead or lookbehind"),
        (r"(?<!a)b", "no lookahead or lookbehind"),
        (r"(", "missing )"),
    ],
)
def test_an_unsafe_skip_pattern_is_refused_naming_the_rule(
    tmp_path: Path, pattern: str, why: str
) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(_MAPPING.format(pattern=pattern), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: tables.tenants.skip[1].matches: 'matches' ")
    assert why in message
    assert message.count("\n") == 0 and message.endswith(".")
    assert caught.value.where.key == "tables.tenants.skip[1].matches"


def test_the_refusal_of_nested_repetition_says_how_to_write_it(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(_MAPPING.format(pattern="(a+)+$"), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    assert "(a+)+" in str(caught.value) and "write a single repetition (a+$" in str(caught.value)


def _skipped(pattern: str, cells: list[object]) -> list[int]:
    spec = TableMapping.model_validate(
        {
            "source": "s",
            "skip": [{"name": "total", "column": "a", "matches": pattern}],
            "columns": {"x": {"from": "a"}},
        }
    )
    raw = pd.DataFrame({"a": cells}, dtype=object)
    mapped = map_table(raw, table="t", source="s", spec=spec, kinds={"x": "string"})
    assert set(mapped.skipped) <= {"total"}
    return mapped.skipped.index.tolist()


def test_subtotal_rows_are_skipped_as_before() -> None:
    cells = ["小計", "　合計　", " 小計 ", "小計欄", "山田 小計", "合計\n", None, 12.0, "ｺﾞｳｹｲ"]
    assert _skipped(r"^\s*(小計|合計)\s*$", cells) == [0, 1, 2, 5]


def test_skip_rules_see_nfkc_text() -> None:
    # full-width digits and letters are ASCII after NFKC, so RE2's ASCII \d and \w see them
    assert _skipped(r"^\d+$", ["１２３", "123", "一二三", "12a"]) == [0, 1]
    assert _skipped(r"^\p{Han}+$", ["合計", "ｺﾞｳｹｲ", "合計1"]) == [0]  # RE2 classes work


def test_a_heavy_pattern_on_a_long_cell_finishes() -> None:
    cells = pd.Series(["a" * 50_000 + "b", "abc", "a" * 50_000 + "c", None], dtype=object)
    started = time.monotonic()
    hits = _match_rows(cells, r"^(a|b)*c$").tolist()
    assert time.monotonic() - started < 20  # a hang guard, not a timing test
    assert hits == [False, True, True, False]
