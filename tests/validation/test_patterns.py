"""Plan-supplied regular expressions: run by RE2, refused at load when unsafe.

A contract's ``pattern`` (and an expectation's ``regex``) must compile in RE2
and must not nest unbounded repetition; the pattern check still fullmatches.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
import re2
from hypothesis import given
from hypothesis import strategies as st

from ikou.errors import ConfigError
from ikou.mappings.engine import map_table
from ikou.mappings.patterns import _nested_repetition, check_pattern, pattern_test
from ikou.mappings.spec import TableMapping
from ikou.validation.contract import TableContract, load_contract
from ikou.validation.schema import validate_table

# ----------------------------------------------------- the nesting check


@pytest.mark.parametrize(
    ("pattern", "nested"),
    [
        (r"(a+)+$", "(a+)+"),
        (r"(a*)*", "(a*)*"),
        (r"(\w+\s?)+$", r"(\w+\s?)+"),
        (r"(?:ab+)*", "(?:ab+)*"),
        (r"((a+))+", "((a+))+"),
        (r"x(a|b+)*y", "(a|b+)*"),
        (r"(a+){2,}", "(a+){2,}"),
        (r"(a{2,})+", "(a{2,})+"),
        (r"(a+b)+?", "(a+b)+?"),
        (r"(?P<n>a+)*", "(?P<n>a+)*"),
        (r"(?<n>a+)*", "(?<n>a+)*"),
        (r"(?i:a+)+", "(?i:a+)+"),
        (r"(?i)(a+)+", "(a+)+"),
        (r"([]a+]+)+", "([]a+]+)+"),
        (r"([[:alpha:])]+)*", "([[:alpha:])]+)*"),
        (r"(\p{Han}+)+", r"(\p{Han}+)+"),
        (r"(\x{41}+)+", r"(\x{41}+)+"),
        (r"^(\d+,)*\d+$", r"(\d+,)*"),
    ],
)
def test_nested_unbounded_repetition_is_found(pattern: str, nested: str) -> None:
    assert _nested_repetition(pattern) == nested


@pytest.mark.parametrize(
    "pattern",
    [
        r"^\s*(小計|合計)\s*$",
        r"^(a|b)*c$",
        r"[ァ-ヶー]+( [ァ-ヶー]+)?",
        r"(a+)?",
        r"(a+){2}",
        r"(a{1,5})+",
        r"([0-9]+-){2}",
        r"^[0-9]{1,9}(,[0-9]{1,9})*$",
        r"(a)+",
        r"(a+)|b+",
        r"\(a+\)+",  # escaped parentheses are no group
        r"[(]a+[)]+",  # nor are parentheses in a class
        r"[]()]+(x)+",  # ] first in a class is a literal
        r"[^]()]+(x)+",
        r"\Q(a+)\E+",  # \Q…\E is literal text
        r"x{+",  # { that is no repetition is a literal
        r"a{,3}",
        r"(?i)a+",
    ],
)
def test_bounded_or_single_repetition_is_allowed(pattern: str) -> None:
    assert _nested_repetition(pattern) is None
    assert check_pattern(pattern, "the pattern") == pattern


_ATOMS = [
    "a",
    "b",
    ".",
    r"\d",
    r"\(",
    r"\)",
    "[(]",
    "[]a]",
    "[^]()]",
    r"\p{Han}",
    "[[:alpha:])]",
    r"\Qa(b\E",
    r"\x{41}",
]
_BOUNDED = ["?", "{2}", "{1,3}", "??"]
_UNBOUNDED = ["*", "+", "{2,}", "*?", "+?"]


@st.composite
def _regex(draw: st.DrawFn, depth: int = 0) -> tuple[str, bool, bool]:
    """A pattern RE2 takes, whether it holds an unbounded repetition, and
    whether it nests one — known from how it was built."""
    branches = []
    for _ in range(draw(st.integers(1, 2))):
        text, holds, nested = "", False, False
        for _ in range(draw(st.integers(1, 3))):
            if depth < 3 and draw(st.booleans()):
                opener = draw(st.sampled_from(["(", "(?:", "(?i:"]))
                inner, inner_holds, inner_nested = draw(_regex(depth + 1))
                piece = f"{opener}{inner})"
            else:
                piece, inner_holds, inner_nested = draw(st.sampled_from(_ATOMS)), False, False
            quantifier = draw(st.sampled_from(["", "", *_BOUNDED, *_UNBOUNDED]))
            unbounded = quantifier in _UNBOUNDED
            text += piece + quantifier
            nested = nested or inner_nested or (unbounded and inner_holds)
            holds = holds or inner_holds or unbounded
        branches.append((text, holds, nested))
    return (
        "|".join(b[0] for b in branches),
        any(b[1] for b in branches),
        any(b[2] for b in branches),
    )


@given(_regex())
def test_the_nesting_check_agrees_with_how_the_pattern_was_built(
    built: tuple[str, bool, bool],
) -> None:
    pattern, _, nested = built
    options = re2.Options()
    options.log_errors = False
    re2.compile(pattern, options)  # the generator makes only patterns RE2 takes
    assert (_nested_repetition(pattern) is not None) == nested


def test_the_nesting_check_is_linear_in_the_pattern() -> None:
    pattern = "(a)" * 100_000 + "[(]" * 100_000 + "(b+)+"
    started = time.monotonic()
    assert _nested_repetition(pattern) == "(b+)+"
    assert time.monotonic() - started < 20  # a hang guard, not a timing test


# ----------------------------------------------------- refused at load

_CONTRACT = """\
contract: c
tables:
  t:
    primary_key: code
    columns:
      code:
        type: string
        pattern: '{pattern}'
"""


def _load(tmp_path: Path, text: str) -> str:
    path = tmp_path / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_contract(path)
    assert caught.value.where.key is not None
    return str(caught.value)


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"(a+)+$", "backtracks catastrophically"),
        (r"(a)\1", "no backreferences"),
        (r"(?=a)", "no lookahead or lookbehind"),
        (r"[0-9", "missing ]"),
    ],
)
def test_an_unsafe_contract_pattern_is_refused_naming_its_key(
    tmp_path: Path, pattern: str, why: str
) -> None:
    message = _load(tmp_path, _CONTRACT.format(pattern=pattern))
    assert message.startswith(f"{tmp_path / 'contract.yaml'}: tables.t.columns.code.pattern: ")
    assert why in message
    assert message.count("\n") == 0 and message.endswith(".")


def test_a_nested_repetition_refusal_says_how_to_write_it(tmp_path: Path) -> None:
    message = _load(tmp_path, _CONTRACT.format(pattern=r"(a+)+$"))
    assert "(a+)+" in message and "a+$" in message and "CHECK constraint" in message


def test_an_expectations_regex_is_held_to_the_same_rules(tmp_path: Path) -> None:
    text = _CONTRACT.format(pattern="[0-9]{3}") + (
        "    expectations:\n"
        "      - expect_column_values_to_match_regex: {column: code, regex: '[0-9]+'}\n"
        "      - expect_column_values_to_not_match_regex_list:\n"
        "          column: code\n"
        "          regex_list: ['x', '(x+)*y']\n"
    )
    message = _load(tmp_path, text)
    assert ": tables.t.expectations[1]: the regex_list[1] of " in message
    assert "backtracks catastrophically" in message


# ----------------------------------------------------- the row check, by RE2

_MAPPING = TableMapping.model_validate(
    {"source": "s", "columns": {"code": {"from": "c"}, "kana": {"from": "k"}}}
)


def _rejects(contract: TableContract, codes: list[object], kana: list[object]) -> list[tuple]:
    raw = pd.DataFrame({"c": codes, "k": kana}, dtype=object)
    mapped = map_table(raw, table="t", source="s", spec=_MAPPING, kinds=contract.kinds())
    result = validate_table(mapped, contract)
    return sorted(zip(result.rejects["row"], result.rejects["slug"], strict=True))


def test_the_pattern_check_still_matches_the_whole_value() -> None:
    contract = TableContract.model_validate(
        {
            "primary_key": "code",
            "columns": {
                "code": {"type": "string", "pattern": "[0-9]{3}"},
                "kana": {"type": "string", "pattern": "[ァ-ヶー]+( [ァ-ヶー]+)?"},
            },
        }
    )
    codes = ["123", "1234", "12a", "x123", "456", "789", "012"]
    kana = ["ヤマダ", "ヤマダ タロウ", None, "ヤマダ", "やまだ", "ヤマダ  タロウ", "ﾔﾏﾀﾞ"]
    assert _rejects(contract, codes, kana) == [
        (1, "code.pattern"),
        (2, "code.pattern"),  # and no kana.pattern for the null cell
        (3, "code.pattern"),
        (4, "kana.pattern"),
        (5, "kana.pattern"),
        (6, "kana.pattern"),  # no normalisation in the contract check
    ]


def test_a_heavy_pattern_on_a_long_value_finishes() -> None:
    contract = TableContract.model_validate(
        {
            "primary_key": "code",
            "columns": {
                "code": {"type": "string", "pattern": "(a|b)*c"},
                "kana": {"type": "string"},
            },
        }
    )
    long = "a" * 50_000 + "b"
    started = time.monotonic()
    found = _rejects(contract, [long, "abc", long + "c"], [None, None, None])
    assert time.monotonic() - started < 20  # a hang guard, not a timing test
    assert found == [(0, "code.pattern")]


def test_pattern_test_searches_or_matches_whole() -> None:
    assert pattern_test(r"\p{Han}+", whole=False)("ヤマダ山田")
    assert not pattern_test(r"\p{Han}+", whole=True)("ヤマダ山田")
    assert not pattern_test(r"\d", whole=False)("１２３")  # RE2's \d is ASCII
    assert not pattern_test(r"a$", whole=False)("a\n")  # $ is the end of the text
    assert not pattern_test("a", whole=False)("b\udc80")  # a lone surrogate is no crash
