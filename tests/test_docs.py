"""Docs are part of the change: every key, transform, reason and slug is documented."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from ikou.mappings.spec import ColumnMapping, CrossControl, Mapping, SkipRule, TableMapping
from ikou.mappings.transforms import REGISTRY
from ikou.pipeline.plan import (
    Certification,
    CouncilRule,
    People,
    Plan,
    RehearsalRule,
    Site,
    SourceSpec,
    TargetSpec,
    Vendor,
)
from ikou.validation.contract import ColumnContract, Contract, TableContract

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _keys(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def test_every_plan_mapping_and_contract_key_is_documented() -> None:
    text = (DOCS / "plan.md").read_text(encoding="utf-8")
    models = [
        Plan,
        SourceSpec,
        TargetSpec,
        People,
        Vendor,
        Certification,
        RehearsalRule,
        Site,
        CouncilRule,
        Mapping,
        TableMapping,
        ColumnMapping,
        SkipRule,
        CrossControl,
        Contract,
        TableContract,
        ColumnContract,
    ]
    for model in models:
        for key in _keys(model):
            assert re.search(rf"^\s*(- )?{re.escape(key)}:", text, re.M) or f"`{key}`" in text, (
                f"{model.__name__}.{key} is not documented in docs/plan.md"
            )


def test_every_transform_and_reason_is_documented() -> None:
    text = (DOCS / "transforms.md").read_text(encoding="utf-8")
    for name, transform in REGISTRY.items():
        section = text.split(f"### `{name}`", 1)
        assert len(section) == 2, f"transform {name} has no section in docs/transforms.md"
        body = section[1].split("\n### ", 1)[0]
        for reason in (*transform.reasons, *transform.notes):
            assert f"`{reason}`" in body, f"{name}: reason {reason} is not documented"


# ---------------------------------------------- the example tables are true

_ROW = re.compile(r"^\|(?P<cell>[^|]+)\|(?P<with>[^|]*)\|(?P<gives>[^|]+)\|$")
_SPAN = re.compile(r"`([^`]*)`")


def _cell(text: str) -> object:
    import datetime as dt

    kind, _, span = text.partition("`")
    value = span.rstrip("`")
    kind = kind.strip()
    if kind == "":
        return value
    if kind == "number":
        return float(value) if "." in value else int(value)
    if kind == "date cell":
        return dt.date.fromisoformat(value)
    if kind == "datetime cell":
        return dt.datetime.fromisoformat(value)
    if kind == "boolean":
        return value == "true"
    raise AssertionError(f"unknown cell kind in docs/transforms.md: {text!r}")


def _examples() -> dict[str, list[tuple[str, object, dict[str, object], str]]]:
    """Per transform, its example rows: (the line, the cell, arguments, expected)."""
    import yaml

    text = (DOCS / "transforms.md").read_text(encoding="utf-8")
    found: dict[str, list[tuple[str, object, dict[str, object], str]]] = {}
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        name = section.split("`")[1]
        body = re.split(r"^## ", section, flags=re.M)[0]
        rows = []
        in_table = False
        for line in body.splitlines():
            if line.startswith("| cell | with | gives |"):
                in_table = True
                continue
            if not in_table or line.startswith("|---"):
                continue
            match = _ROW.match(line)
            if match is None:
                in_table = False
                continue
            spans = _SPAN.findall(match["with"])
            args = yaml.safe_load("{" + spans[0] + "}") if spans else {}
            rows.append((line, _cell(match["cell"].strip()), args, match["gives"].strip()))
        found[name] = rows
    return found


def _outcome(name: str, cell: object, args: dict[str, object]) -> str:
    """What the code gives for one cell, written as the docs write it."""
    import pandas as pd

    from ikou.mappings.transforms import apply_transform, check_args

    out = apply_transform(
        name,
        pd.Series([cell], dtype=object),
        check_args(name, args),
        folder=DOCS.parent / "mappings" / "examples",
    )
    value, reason, note = out.values[0], out.reasons[0], out.notes[0]
    if reason is not None:
        return f"✗ `{reason}`"
    shown = "null" if value is None else f"`{value}`"
    return shown if note is None else f"{shown} ⚑ `{note}`"


def test_every_example_in_the_transform_tables_is_what_the_code_does() -> None:
    examples = _examples()
    wrong = [
        f"{line}\n    the code gives: {got}"
        for name, rows in examples.items()
        for line, cell, args, expected in rows
        if (got := _outcome(name, cell, args)) != expected
    ]
    assert not wrong, "docs/transforms.md examples disagree with the code:\n" + "\n".join(wrong)


def test_every_transform_shows_each_of_its_slugs_in_an_example() -> None:
    from ikou.mappings.transforms import slug_part

    examples = _examples()
    for name, transform in REGISTRY.items():
        rows = examples.get(name)
        assert rows, f"transform {name} has no example table in docs/transforms.md"
        shown = " ".join(expected for _, _, _, expected in rows)
        for reason in transform.reasons:
            assert f"✗ `{slug_part(name, reason)}`" in shown, f"{name}: no example of {reason}"
        for note in transform.notes:
            assert f"⚑ `{slug_part(name, note)}`" in shown, f"{name}: no example of note {note}"
