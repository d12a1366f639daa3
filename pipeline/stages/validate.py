"""The validate stage: pandera row checks and keys per table, references across tables."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from ikou.audit.hashing import encode_table, row_keys
from ikou.mappings.engine import column_chain, typed_series
from ikou.mappings.registry import Noted
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.stages import StageReport
from ikou.pipeline.stages.extract import RawTable
from ikou.pipeline.stages.importfile import import_rejects
from ikou.pipeline.stages.map import Mapped, with_all_columns
from ikou.validation.expectations import orphans
from ikou.validation.reconcile import Rows
from ikou.validation.schema import ValidatedTable, validate_table
from ikou.validation.totals import TotalCheck, check_totals

__all__ = ["Validated", "full_frame", "run_validate"]


@dataclass(frozen=True)
class Validated:
    """The validate stage's output: tables, and each accepted row's key and encoding."""

    tables: dict[str, ValidatedTable]
    expected: dict[str, Rows]  # per table: each accepted row's key and encoded cells
    digests: dict[str, str]  # per table: digest of the accepted rows, all contract columns
    totals: dict[str, list[TotalCheck]] = field(default_factory=dict)  # the ledger's own


def run_validate(
    plan: LoadedPlan, mapped: Mapped, raws: dict[str, RawTable] | None = None
) -> tuple[Validated, StageReport]:
    """The validate stage: pandera checks and keys for every table.

    A table written to the vendor's import file also rejects the rows that file
    cannot hold exactly (``<column>.import.…``), before references are settled,
    so a parent it rejects takes its children with it.

    Also fixes what reconciliation will expect: every accepted row's key and
    its cells over all contract columns (unfed ones null), taken from the map
    stage's encodings rather than computed again; and, given the ``raws``,
    the ledger's own total rows against the loaded and rejected rows.
    """
    validated = {
        name: validate_table(
            m,
            plan.contract.tables[name],
            duplicates=plan.mapping.tables[name].duplicates,
            clear=frozenset(
                column
                for column, spec in plan.mapping.tables[name].columns.items()
                if spec.on_error == "null"
            ),
        )
        for name, m in mapped.tables.items()
    }
    validated = import_rejects(plan, validated)  # what an import file cannot hold exactly
    validated = _apply_references(plan, validated)
    validated = {
        name: _with_generated(plan, name, table, raws) for name, table in validated.items()
    }
    digests = []
    expected: dict[str, pd.DataFrame] = {}
    table_digests: dict[str, str] = {}
    for name, table in validated.items():
        contract = plan.contract.tables[name]
        kinds = contract.kinds()
        frame = full_frame(table, kinds)
        late = _cleared_late(table, mapped.tables[name].cleared)  # emptied after map encoded them
        if late or contract.generated():  # or keys the map stage had not made
            accepted = encode_table(frame, kinds)
        else:
            accepted = mapped.encodings[name].take(
                mapped.tables[name].frame.index.isin(table.accepted.index)
            )
        keys = row_keys(frame, {k: kinds[k] for k in contract.primary_key})
        expected[name] = Rows(pd.Series(keys, index=frame.index, dtype=object), accepted)
        table_digests[name] = accepted.digest()
        digests.append(f"{name}:{table_digests[name]}")
        digests.append(f"{name}.rejects:{len(table.rejects)}")
    totals = _ledger_totals(plan, raws, mapped, validated) if raws is not None else {}
    output = hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()
    counts = {
        "accepted": sum(len(v.accepted) for v in validated.values()),
        "rejected": sum(len(v.rejected_rows) for v in validated.values()),
        "noted": sum(len(v.notes) for v in validated.values()),
        "cleared": sum(len(v.cleared) for v in validated.values()),
    }
    if totals:
        counts["totals"] = sum(len(t) for t in totals.values())
        counts["totals_failed"] = sum(not c.ok for t in totals.values() for c in t)
    return Validated(validated, expected, table_digests, totals), StageReport(
        "validate", counts, output
    )


def _ledger_totals(
    plan: LoadedPlan,
    raws: dict[str, RawTable],
    mapped: Mapped,
    validated: dict[str, ValidatedTable],
) -> dict[str, list[TotalCheck]]:
    """Each table's declared total rows checked against its loaded and rejected rows."""
    out: dict[str, list[TotalCheck]] = {}
    for name, spec in plan.mapping.tables.items():
        if not spec.totals or name not in validated:
            continue
        kinds = plan.contract.tables[name].kinds()
        totalled = {c for total in spec.totals for c in total.columns}
        chains = {c: column_chain(spec.columns[c], kinds[c]) for c in totalled}

        def figure(column: str, cell: Any, chains: dict[str, Any] = chains) -> Any:
            value = chains[column](cell)
            return value.value if isinstance(value, Noted) else value

        raw = raws[spec.source]
        out[name] = check_totals(
            spec.totals,
            raw=raw.frame,
            positions=raw.positions,
            skipped=mapped.tables[name].skipped,
            mapped=mapped.tables[name].frame,
            accepted=validated[name].accepted,
            kinds=kinds,
            sources={c: spec.columns[c].source[0] for c in spec.columns},
            figure=figure,
        )
    return out


def _apply_references(
    plan: LoadedPlan, validated: dict[str, ValidatedTable]
) -> dict[str, ValidatedTable]:
    """Reject child rows whose reference (``references: table.column``) is not
    among the parent's accepted rows: ``<column>.fk_missing``. Tables are taken
    in the mapping's order, so a parent listed first is settled first."""
    out = dict(validated)
    for name in list(out):
        table = out[name]
        for column, spec in plan.contract.tables[name].columns.items():
            if spec.references is None or column not in table.accepted:
                continue
            parent, key = spec.references.split(".")
            if parent not in out or key not in out[parent].accepted:
                continue
            bad = orphans(table.accepted[column], out[parent].accepted[key])
            if not bad.any():
                continue
            rows = table.accepted.index[bad.to_numpy()]
            found = pd.DataFrame({"row": rows, "column": column, "slug": f"{column}.fk_missing"})
            rejects = pd.concat([table.rejects, found], ignore_index=True)
            rejects = rejects.sort_values(["row", "slug"], kind="stable").reset_index(drop=True)
            table = replace(
                table,
                accepted=table.accepted.loc[~bad.to_numpy()],
                rejects=rejects,
                notes=table.notes[~table.notes["row"].isin(rows)],
                cleared=table.cleared[~table.cleared["row"].isin(rows)],
            )
        out[name] = table
    return out


def _with_generated(
    plan: LoadedPlan, name: str, table: ValidatedTable, raws: dict[str, RawTable] | None
) -> ValidatedTable:
    """The accepted rows with the contract's generated keys: a sequence numbers
    them 1, 2, … in source order; a UUID is derived from the row's table, its
    file's SHA-256, sheet and row, so the same file gives the same keys."""
    generated = plan.contract.tables[name].generated()
    if not generated:
        return table
    accepted = table.accepted.sort_index()
    values: dict[str, list[Any]] = {}
    for column, kind in generated.items():
        if kind == "sequence":
            values[column] = list(range(1, len(accepted) + 1))
            continue
        if raws is None:
            raise ValueError("generated: uuid needs the rows' positions")
        raw = raws[table.source]
        sha = {f.name: f.sha256 for f in raw.files}
        where = raw.positions.loc[accepted.index]
        values[column] = [
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"ikou:{name}:{sha[str(f)]}:{s}:{r}"))
            for f, s, r in zip(where["file"], where["sheet"], where["row"], strict=True)
        ]
    kinds = plan.contract.tables[name].kinds()
    made = {c: typed_series(pd.Series(v, index=accepted.index, dtype=object), kinds[c])
            for c, v in values.items()}  # fmt: skip
    return replace(table, accepted=accepted.assign(**made))


def _cleared_late(table: ValidatedTable, by_map: pd.DataFrame) -> bool:
    """Whether validation emptied a cell the map stage had encoded with its value."""
    if table.cleared.empty:
        return False
    early = set(zip(by_map["row"], by_map["column"], strict=True))
    cells = zip(table.cleared["row"], table.cleared["column"], strict=True)
    return any(cell not in early for cell in cells)


def full_frame(table: ValidatedTable, kinds: dict[str, str]) -> pd.DataFrame:
    """Accepted rows with every contract column (unfed ones are null)."""
    return with_all_columns(table.accepted, kinds)
