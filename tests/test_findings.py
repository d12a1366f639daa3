"""The finding catalog is complete, bilingual, and docs/findings.md is its print."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from ikou import errors, findings
from ikou.findings import CATALOG, describe, lookup

REPO = Path(__file__).resolve().parents[1]


def test_every_transform_reason_and_note_is_in_the_catalog() -> None:
    from ikou.mappings import transforms  # noqa: F401 - registers every transform
    from ikou.mappings.registry import REGISTRY, slug_part

    for name, transform in REGISTRY.items():
        for reason in transform.reasons:
            assert slug_part(name, reason) in CATALOG, f"{name}: reason {reason}"
            assert lookup(f"col.{slug_part(name, reason)}") is not None
        for note in transform.notes:
            assert lookup(f"col.{slug_part(name, note)}", note=True) is not None, name
        assert f"{name}.unexpected" in CATALOG, f"transform {name} has no .unexpected entry"


def test_every_error_class_and_check_is_in_the_catalog_with_its_exit_code() -> None:
    for name in errors.__all__:
        kind = getattr(errors, name)
        if not isinstance(kind, type) or kind is errors.IkouError:
            continue
        assert kind.slug in CATALOG, f"{name}: {kind.slug}"
        code = next(c for k, c in errors.EXIT_CODES if issubclass(kind, k))
        assert CATALOG[kind.slug].exit_code == code, kind.slug
    raised = set()
    for path in (REPO / "pipeline").rglob("*.py"):
        raised |= set(re.findall(r'slug="([a-z_.]+)"', path.read_text(encoding="utf-8")))
    assert raised, 'no slug="..." found under pipeline/: the scan no longer sees them'
    statuses = ("unbalanced", "expectations_failed")  # slug=f"run.{status}"
    raised |= {f"run.{s}" for s in statuses}
    assert raised <= set(CATALOG), raised - set(CATALOG)


def test_every_reconcile_and_contract_finding_is_in_the_catalog() -> None:
    source = (REPO / "validation" / "reconcile.py").read_text(encoding="utf-8")
    slugs = set(re.findall(r'"(reconcile\.[a-z_]+)"', source))
    assert slugs, "no reconcile.* slug found in validation/reconcile.py"
    for slug in slugs:
        assert slug in CATALOG, slug
    schema = (REPO / "validation" / "schema.py").read_text(encoding="utf-8")
    checks = set(re.findall(r'name="([a-z_]+)"', schema))
    assert checks, 'no name="..." check found in validation/schema.py'
    for check in checks | {"required", "duplicate"}:
        assert lookup(f"col.{check}") is not None, check
    for family in ("fk_missing", "cell.error", "type.mismatch", "type.out_of_range"):
        assert lookup(f"col.{family}") is not None, family
    assert lookup("tenants.expect.expect_column_values_to_be_unique") is not None


@pytest.mark.parametrize("finding", list(CATALOG.values()), ids=lambda f: f.slug)
def test_every_finding_has_both_sentences_and_help(finding: findings.Finding) -> None:
    assert finding.en and finding.help
    assert any(unicodedata.east_asian_width(c) == "W" for c in finding.ja), finding.slug
    for template in (finding.en, finding.ja):
        fields = set(re.findall(r"\{(\w+)\}", template))
        assert fields <= {"column", "table", "expectation"}, (finding.slug, fields)


def test_sentences_name_positions_never_values() -> None:
    assert describe("move_in_date.date.invalid", "en") == "move_in_date: a date that does not exist"
    assert describe("move_in_date.date.invalid") == "move_in_date：存在しない日付です"
    assert describe("rent.blank.marker", note=True).startswith("rent：")
    assert "tenants" in describe("tenants.expect.expect_table_row_count_to_be_between", "en")


def test_docs_findings_is_generated_from_the_catalog() -> None:
    page = (REPO / "docs" / "findings.md").read_text(encoding="utf-8")
    assert page == findings.markdown(), "run: python -m ikou.findings > docs/findings.md"
