"""Transforms, vectorised: each runs once per *distinct* value of a column.

The transforms themselves are per-value functions registered in
:mod:`mappings.registry` by the modules that define them —
:mod:`mappings.text`, :mod:`mappings.numbers`, :mod:`mappings.dates`,
:mod:`mappings.contact` and :mod:`mappings.lookup` — all imported here, so
importing this module fills the registry. :func:`apply_transform` runs one
over a pandas Series: the column is factorized (type-exact), the function
runs once per distinct value, and values, reasons and notes are spread back
with numpy. A transform never raises on any input: a value it cannot accept
becomes a per-row reason and a null value; nulls pass through untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ikou.mappings import contact, dates, lookup, numbers  # noqa: F401  (they register)
from ikou.mappings import text as text_transforms  # noqa: F401
from ikou.mappings.registry import (
    REGISTRY,
    Noted,
    Reject,
    Transform,
    bind_args,
    check_args,
    slug_part,
)
from ikou.mappings.text import as_text

__all__ = [
    "REGISTRY",
    "Noted",
    "Reject",
    "Transform",
    "TransformResult",
    "apply_distinct",
    "apply_transform",
    "as_text",
    "bind_args",
    "check_args",
    "distinct_apply",
    "slug_part",
    "typed_factorize",
]


@dataclass(frozen=True)
class TransformResult:
    """Values (nulls where rejected), reasons (``None`` where accepted) and notes
    (``None`` where the value was accepted without one)."""

    values: pd.Series
    reasons: pd.Series
    notes: pd.Series


_NUMERIC = (bool, int, float, Decimal)


def typed_factorize(values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Codes and distinct values of an object array, nulls coded -1, type-exact.

    ``pd.factorize`` (C speed) treats ``True``, ``1``, ``1.0`` and ``Decimal(1)``
    as one value, and a ``str`` subclass as its text; that is only safe while a
    column holds at most one numeric and one text type, which is the common
    case. Otherwise the values are keyed by (type, value) in Python.
    """
    types = set(map(type, values))
    if any(issubclass(t, Decimal) for t in types):  # Decimal NaNs are empty; sNaN cannot hash
        values = np.array(
            [None if isinstance(v, Decimal) and v.is_nan() else v for v in values], dtype=object
        )
    numeric = sum(1 for t in types if issubclass(t, _NUMERIC))
    text = sum(1 for t in types if issubclass(t, str))
    if numeric <= 1 and text <= 1:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return np.asarray(codes, dtype=np.intp), list(uniques)
    index: dict[Any, int] = {}
    found: list[Any] = []
    codes = np.empty(len(values), dtype=np.intp)
    for position, value in enumerate(values):
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            codes[position] = -1
            continue
        key = (value.__class__, value)
        code = index.get(key)
        if code is None:
            code = index[key] = len(found)
            found.append(value)
        codes[position] = code
    return codes, found


def apply_distinct(
    codes: np.ndarray, uniques: list[Any], fn: Callable[[Any], Any], index: pd.Index
) -> TransformResult:
    """Run ``fn`` once per distinct value and spread the results over ``codes``.

    ``Reject`` becomes a reason and :class:`Noted` a note; any other exception
    becomes the reason ``unexpected`` (a transform never raises on input).
    Code -1 (null) stays null with no reason.
    """
    values = np.empty(len(uniques) + 1, dtype=object)  # the last slot answers code -1
    reasons = np.empty(len(uniques) + 1, dtype=object)
    notes = np.empty(len(uniques) + 1, dtype=object)
    for position, value in enumerate(uniques):
        try:
            out = fn(value)
        except Reject as rejection:
            reasons[position] = rejection.reason
            continue
        except Exception:  # never raise on input: a bug becomes a visible reason
            reasons[position] = "unexpected"
            continue
        if isinstance(out, Noted):
            out, notes[position] = out
        values[position] = out
    return TransformResult(
        pd.Series(values[codes], index=index, dtype=object),
        pd.Series(reasons[codes], index=index, dtype=object),
        pd.Series(notes[codes], index=index, dtype=object),
    )


def distinct_apply(series: pd.Series, fn: Callable[[Any], Any]) -> TransformResult:
    """Run ``fn`` once per distinct non-null value of ``series`` (type-exact, see
    :func:`typed_factorize`, so ``True``, ``1`` and ``1.0`` never share a result)."""
    codes, uniques = typed_factorize(series.to_numpy(dtype=object))
    return apply_distinct(codes, uniques, fn, series.index)


def apply_transform(
    name: str, series: pd.Series, args: dict[str, Any], *, folder: Path | None = None
) -> TransformResult:
    """Vectorised application of a registered transform with checked ``args``
    (files such as lookup tables are found in ``folder``, default the working one).

    Reasons and notes come back as finding slug parts (``date.invalid``,
    ``wareki.out_of_era``), as they would follow ``<column>.`` in a report.
    """
    bound = bind_args(name, args, Path.cwd() if folder is None else folder).func

    def func(value: Any) -> Any:
        try:
            out = bound(value)
        except Reject as rejection:
            raise Reject(slug_part(name, rejection.reason)) from None
        return Noted(out.value, slug_part(name, out.reason)) if isinstance(out, Noted) else out

    return distinct_apply(series, func)
