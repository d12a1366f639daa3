"""The map stage: raw tables → target-shaped tables, by the mapping's transforms."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd

from ikou.audit.hashing import EncodedTable, encode_table
from ikou.mappings.engine import MappedTable, map_table
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.stages import Progress, StageReport
from ikou.pipeline.stages.extract import RawTable

__all__ = ["Mapped", "run_map", "with_all_columns"]


@dataclass(frozen=True)
class Mapped:
    """The map stage's output: tables, and their canonical encodings (for reuse)."""

    tables: dict[str, MappedTable]
    encodings: dict[str, EncodedTable]  # all contract columns, every row not skipped


def run_map(
    plan: LoadedPlan, raws: dict[str, RawTable], progress: Progress | None = None
) -> tuple[Mapped, StageReport]:
    """The map stage over every table of the mapping."""
    mapped: dict[str, MappedTable] = {}
    encodings: dict[str, EncodedTable] = {}
    digests = []
    tables = list(plan.mapping.tables.items())
    for number, (name, spec) in enumerate(tables):
        if progress is not None:
            progress(f"map {name}", number, len(tables))
        contract = plan.contract.tables[name]
        kinds = {col: contract.columns[col].type for col in spec.columns}
        raw = raws[spec.source]
        result = map_table(
            raw.frame, table=name, source=spec.source, spec=spec, kinds=kinds,
            distinct=raw.distinct, positions=raw.positions, marks=raw.marks,
        )  # fmt: skip
        mapped[name] = result
        encodings[name] = encode_table(
            with_all_columns(result.frame, contract.kinds()), contract.kinds()
        )
        digests.append(f"{name}:{encodings[name].digest()}")
    output = hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()
    counts = {
        "rows": sum(len(m.frame) for m in mapped.values()),
        "skipped": sum(len(m.skipped) for m in mapped.values()),
        "problems": sum(len(m.problems) for m in mapped.values()),
        "notes": sum(len(m.notes) for m in mapped.values()),
        "cleared": sum(len(m.cleared) for m in mapped.values()),
    }
    return Mapped(mapped, encodings), StageReport("map", counts, output)


def with_all_columns(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """``frame`` with every contract column, in contract order (unfed ones null)."""
    unfed = {column: None for column in kinds if column not in frame}
    return frame.assign(**unfed)[list(kinds)]
