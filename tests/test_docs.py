"""Docs are part of the change: every key, transform, reason and slug is documented."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from mappings.spec import ColumnMapping, Mapping, SkipRule, TableMapping
from mappings.transforms import REGISTRY
from pipeline.plan import Plan, SourceSpec, TargetSpec
from validation.contract import ColumnContract, Contract, TableContract

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _keys(model: type[BaseModel]) -> set[str]:
    return {field.alias or name for name, field in model.model_fields.items()}


def test_every_plan_mapping_and_contract_key_is_documented() -> None:
    text = (DOCS / "plan.md").read_text(encoding="utf-8")
    models = [
        Plan,
        SourceSpec,
        TargetSpec,
        Mapping,
        TableMapping,
        ColumnMapping,
        SkipRule,
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
        for reason in transform.reasons:
            assert f"`{reason}`" in body, f"{name}: reason {reason} is not documented"


def test_every_slug_family_is_documented() -> None:
    from mappings import errors

    text = (DOCS / "findings.md").read_text(encoding="utf-8")
    for name in errors.__all__:
        slug = getattr(errors, name).slug
        if slug != "ikou.error":
            assert f"`{slug}`" in text, f"error slug {slug} is not in docs/findings.md"
    for slug in (
        "required",
        "pattern",
        "max_length",
        "min",
        "max",
        "allowed",
        "duplicate",
        "type.mismatch",
        "reconcile.unbalanced",
        "reconcile.key_repeated",
        "reconcile.row_missing",
        "reconcile.row_unexpected",
        "reconcile.row_changed",
        "reconcile.control_differs",
    ):
        assert slug in text, f"{slug} is not in docs/findings.md"
