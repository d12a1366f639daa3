"""Section 2 of the brief: every target table and column, where it comes from,
and whether it is personal information.

A column's ``personal`` comes from the contract when it says so; unset, a
column read from a source (a header cell, the sheet's or file's name, a title
cell) is personal and one ikou generates is not. A contract column the mapping
does not feed receives nothing in this migration.
"""

from __future__ import annotations

from typing import Any

from ikou.mappings.spec import ColumnMapping
from ikou.pipeline.plan import LoadedPlan
from ikou.validation.contract import ColumnContract

__all__ = ["tables_section"]


def _personal(spec: ColumnContract, fed: ColumnMapping | None) -> tuple[bool, str]:
    """Whether a column is personal, and why: ``declared`` by the contract,
    ``read`` from a source, ``generated`` by ikou, or ``not_fed``."""
    if spec.personal is not None:
        return spec.personal, "declared"
    if spec.generated is not None:
        return False, "generated"
    if fed is not None:
        return True, "read"
    return False, "not_fed"


def _column(name: str, spec: ColumnContract, fed: ColumnMapping | None) -> dict[str, Any]:
    personal, basis = _personal(spec, fed)
    return {
        "name": name,
        "label": spec.label,
        "type": spec.type,
        "from": list(fed.source) if fed is not None else [],
        "generated": spec.generated,
        "personal": personal,
        "basis": basis,
    }


def _tables(plan: LoadedPlan) -> list[dict[str, Any]]:
    out = []
    files = plan.plan.target.files
    for name, mapping in plan.mapping.tables.items():
        contract = plan.contract.tables[name]
        source = plan.plan.sources[mapping.source]
        columns = [
            _column(column, spec, mapping.columns.get(column))
            for column, spec in contract.columns.items()
        ]
        out.append(
            {
                "name": name,
                "label": contract.label,
                "description": contract.description,
                "source": mapping.source,
                "rehearsal": source.rehearsal,
                "production": source.production,
                "sheets": list(source.sheets) if source.sheets else None,
                "destination": "import_file" if name in files else "database",
                "columns": columns,
                "personal_columns": sum(c["personal"] for c in columns),
            }
        )
    return out


def tables_section(plan: LoadedPlan, counts: dict[str, Any] | None) -> dict[str, Any]:
    """The tables with their columns, and per table the records the profile
    counts in its source (``None`` without a profile, or when it describes no
    file of that source)."""
    tables = _tables(plan)
    by_source = (counts or {}).get("sources", {})
    for table in tables:
        found = by_source.get(table["source"])
        table["records"] = None if found is None else found["records"]
    used = dict.fromkeys(t["source"] for t in tables)
    warnings = [
        {"code": "no_production_source", "params": {"source": source}}
        for source in used
        if plan.plan.sources[source].production is None
    ]
    return {"tables": tables, "profile": counts, "warnings": warnings}
