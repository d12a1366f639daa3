"""Keyed record fingerprints for ``ikou sweep``, computed beside the load on the other core."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ikou.audit.fingerprints import fingerprint_counts, workspace_key, write_fingerprints
from ikou.audit.hashing import file_sha256
from ikou.audit.platform import in_background
from ikou.mappings.normalise import fingerprint_text
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.session import StageRecorder
from ikou.pipeline.stages.extract import RawTable
from ikou.pipeline.stages.map import Mapped

__all__ = ["start_fingerprints"]


def start_fingerprints(
    plan: LoadedPlan, raws: dict[str, RawTable], mapped: Mapped, run_id: str
) -> Callable[[StageRecorder], None]:
    """Keyed fingerprints of every mapped record for ``ikou sweep`` (see
    :mod:`audit.fingerprints`), from its source cells as the file held them.

    They are computed on the other core while the load and the reconciliation
    run here; the returned function waits for them and chains the result.
    """
    workspace_key(plan.workspace, create=True)  # made here, before the child sees it
    jobs = []
    for name, table in mapped.tables.items():
        spec = plan.mapping.tables[name]
        raw = raws[spec.source]
        rows = raw.frame.index.get_indexer(table.frame.index)  # the mapped rows only
        columns: list[Any] = [
            (raw.distinct[column][0][rows], raw.distinct[column][1])
            if column in raw.distinct
            else raw.frame[column].to_numpy(dtype=object)[rows]
            for column in spec.source_columns()
        ]
        jobs.append((name, plan.workspace / "fingerprints" / f"{run_id}.{name}.npz", columns))

    def work() -> None:
        for name, _, columns in jobs:
            write_fingerprints(
                plan.workspace, f"{run_id}.{name}", columns, normalise=fingerprint_text
            )

    wait = in_background(work)

    def finish(recorder: StageRecorder) -> None:
        try:
            wait()
            ok = True
        except Exception:  # the record says so; the run itself does not depend on them
            ok = False
        for name, path, _ in jobs:
            if not ok or not path.exists():
                recorder.note("fingerprints", "failed", table=name)
                continue
            records, digests = fingerprint_counts(path)
            recorder.note(
                "fingerprints",
                "written",
                table=name,
                counts={"records": records, "digests": digests},
                output_sha256=file_sha256(path),
            )

    return finish
