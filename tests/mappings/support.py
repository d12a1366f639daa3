"""Running one transform over a list of cells, as the map stage does."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ikou.mappings.transforms import TransformResult, apply_transform, check_args


def result(
    name: str, cells: list[object], folder: Path | None = None, **args: object
) -> TransformResult:
    checked = check_args(name, args)
    return apply_transform(name, pd.Series(cells, dtype=object), checked, folder=folder)


def run(name: str, cells: list[object], **args: object) -> tuple[list[object], list[object]]:
    """Values and reasons (``None`` where accepted)."""
    out = result(name, cells, **args)
    return out.values.tolist(), out.reasons.tolist()


def one(name: str, value: object, **args: object) -> object:
    """The value for one accepted cell (fails the test if it was rejected)."""
    out = result(name, [value], **args)
    assert out.reasons.tolist() == [None], f"{name}({value!r}) rejected: {out.reasons[0]}"
    return out.values[0]


def reason(name: str, value: object, **args: object) -> object:
    """The reason one cell was rejected (fails the test if it was accepted)."""
    out = result(name, [value], **args)
    assert out.values.tolist() == [None]
    return out.reasons[0]


def notes(name: str, cells: list[object], **args: object) -> list[object]:
    return result(name, cells, **args).notes.tolist()
