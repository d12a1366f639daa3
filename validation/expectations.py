"""Dataset-level expectations with great-expectations, and checks across tables.

Row checks (pandera, :mod:`validation.schema`) see one row at a time. This is
the second layer: properties of a whole table — its row count, its key's
uniqueness, the share of non-null cells, coded columns within their value
sets, and any expectation the contract names — built from the contract and
run by great-expectations in an **ephemeral** context: no project folder, no
file, no usage statistics, no progress bars. Results are asked for without
sample values (``partial_unexpected_count: 0``) and reduced to booleans and
counts before anything is kept.

great-expectations is imported here, and only when the stage runs: it takes
seconds to import, and no other command needs it.

Foreign keys (:func:`orphans`) are plain pandas: a child row whose reference
is not among the parent's accepted keys is rejected as
``<column>.fk_missing``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ikou.errors import ConfigError
from ikou.mappings.patterns import pattern_test
from ikou.validation.contract import RowCount, TableContract

__all__ = ["ExpectationResult", "import_expectations", "orphans", "run_expectations"]

# What may leave great-expectations' result: counts, never observed values
# (a column's max *is* a value), except the row count of a table.
_COUNTS = ("element_count", "unexpected_count", "missing_count")


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation, met or not, with counts."""

    table: str
    expectation: str
    column: str | None
    success: bool
    counts: dict[str, int]

    @property
    def slug(self) -> str:
        """The finding when it fails: ``<table>.expect.<expectation>``."""
        return f"{self.table}.expect.{self.expectation}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "expectation": self.expectation,
            "column": self.column,
            "success": self.success,
            "counts": self.counts,
        }


def _class_name(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def _plain(value: Any) -> Any:
    """A contract bound as great-expectations takes it (dates as ISO text)."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _suite_items(
    contract: TableContract, rows: RowCount | None = None
) -> list[tuple[str, dict[str, Any]]]:
    items: list[tuple[str, dict[str, Any]]] = []
    rows = rows or contract.rows
    if rows is not None:
        bounds = {"min_value": rows.min, "max_value": rows.max}
        items.append(("expect_table_row_count_to_be_between", bounds))
    key = list(contract.primary_key)
    if len(key) == 1:
        items.append(("expect_column_values_to_be_unique", {"column": key[0]}))
    else:
        items.append(("expect_compound_columns_to_be_unique", {"column_list": key}))
    for name, column in contract.columns.items():
        if column.required or name in key:
            items.append(("expect_column_values_to_not_be_null", {"column": name}))
        elif column.non_null is not None:
            items.append(
                ("expect_column_values_to_not_be_null", {"column": name, "mostly": column.non_null})
            )
        if column.min is not None or column.max is not None:
            bounds = {
                "column": name,
                "min_value": _plain(column.min),
                "max_value": _plain(column.max),
            }
            items.append(("expect_column_values_to_be_between", bounds))
        if column.allowed is not None:
            items.append(
                (
                    "expect_column_values_to_be_in_set",
                    {"column": name, "value_set": list(column.allowed)},
                )
            )
    for item in contract.expectations:
        ((name, args),) = item.items()
        items.append((name, {k: _plain(v) for k, v in args.items()}))
    return items


_REGEX_KINDS = {
    "expect_column_values_to_match_regex": False,
    "expect_column_values_to_not_match_regex": True,
    "expect_column_values_to_match_regex_list": False,
    "expect_column_values_to_not_match_regex_list": True,
}


def _regex_by_re2(
    frame: pd.DataFrame, items: list[tuple[str, dict[str, Any]]]
) -> tuple[pd.DataFrame, list[tuple[str, dict[str, Any]]], dict[str, tuple[str, str]]]:
    """The regex expectations, matched by RE2 rather than by great-expectations'
    Python ``re`` (which backtracks: one long value could hang the run).

    Each becomes ``expect_column_values_to_be_in_set([True])`` on a hidden
    column holding RE2's verdict per value (null where the value is null,
    which great-expectations leaves out, as it does for the regex ones), with
    the same ``mostly``; as great-expectations does, a value matches when the
    pattern is found anywhere in it. Returns the frame with those columns, the
    items, and each hidden column's expectation and column for the results.
    """
    out, aliases, extra = [], {}, {}
    for name, args in items:
        if name not in _REGEX_KINDS or "column" not in args:
            out.append((name, args))
            continue
        patterns = args.get("regex_list") or [args.get("regex")]
        tests = [pattern_test(str(p), whole=False) for p in patterns]
        every = args.get("match_on") == "all"
        column = str(args["column"])
        hidden = f"__ikou_regex_{len(aliases)}"

        def verdict(value: Any, tests: list[Any] = tests, every: bool = every) -> Any:
            if value is None or (isinstance(value, float) and value != value):
                return None
            hits = [t(str(value)) for t in tests]
            return all(hits) if every else any(hits)

        found = frame[column].astype(object).map(verdict)
        if _REGEX_KINDS[name]:
            found = found.map(lambda v: None if v is None else not v)
        extra[hidden] = found
        aliases[hidden] = (name, column)
        rest = {k: v for k, v in args.items() if k in ("mostly",)}
        out.append(
            ("expect_column_values_to_be_in_set", {"column": hidden, "value_set": [True], **rest})
        )
    return (frame.assign(**extra) if extra else frame), out, aliases


def import_expectations() -> None:
    """Import great-expectations (seconds: most of a small run), so a child can
    pay for it ahead of the work (:func:`ikou.pipeline.stages.expect.warm_expect`)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations
    import great_expectations.expectations  # noqa: F401
    from great_expectations.data_context.types import base  # noqa: F401


def run_expectations(
    tables: dict[str, tuple[pd.DataFrame, TableContract]],
    rows: dict[str, RowCount] | None = None,
) -> list[ExpectationResult]:
    """Every table's suite, run on its accepted rows; booleans and counts back.

    ``rows`` gives a table's row-count bounds from the mapping (an office's
    ledger size), over the contract's.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(  # in memory, no docs site (not even a temporary folder)
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    source = context.data_sources.add_pandas("ikou")
    results: list[ExpectationResult] = []
    for table, (frame, contract) in tables.items():
        suite = gx.ExpectationSuite(name=f"ikou.{table}")
        frame, items, aliases = _regex_by_re2(
            frame, _suite_items(contract, (rows or {}).get(table))
        )
        for name, args in items:
            cls = getattr(gxe, _class_name(name), None)
            if cls is None:
                raise ConfigError(
                    f"the contract's table {table!r} names an unknown expectation {name!r}; "
                    "see https://greatexpectations.io/expectations/ for the names.",
                    key=f"tables.{table}.expectations",
                )
            try:
                suite.add_expectation(cls(**args))
            except Exception as exc:  # pydantic errors from great-expectations: no values in them
                raise ConfigError(
                    f"the contract's table {table!r}: expectation {name} does not take these "
                    f"arguments ({type(exc).__name__}).",
                    key=f"tables.{table}.expectations",
                ) from None
        plain = frame.astype(object).where(frame.notna(), None).reset_index(drop=True)
        batch = (
            source.add_dataframe_asset(table)
            .add_batch_definition_whole_dataframe("all")
            .get_batch(batch_parameters={"dataframe": plain})
        )
        run = batch.validate(
            suite, result_format={"result_format": "BASIC", "partial_unexpected_count": 0}
        )
        for outcome in run.results:
            config = outcome.expectation_config
            kind = str(config.type)
            found = outcome.result or {}
            counts = {k: int(found[k]) for k in _COUNTS if isinstance(found.get(k), int)}
            if kind == "expect_table_row_count_to_be_between" and isinstance(
                found.get("observed_value"), int
            ):
                counts["rows"] = int(found["observed_value"])
            column = config.kwargs.get("column")
            if column in aliases:
                kind, column = aliases[column]
            results.append(
                ExpectationResult(
                    table, kind, str(column) if column else None, bool(outcome.success), counts
                )
            )
    return results


def orphans(child: pd.Series, parent_keys: pd.Series) -> pd.Series:
    """Child rows (by index) whose non-null reference is not among the parent keys."""
    present = child.notna()
    known = set(parent_keys.dropna().astype(str))
    return present & ~child.astype(object).map(lambda v: str(v) in known)
