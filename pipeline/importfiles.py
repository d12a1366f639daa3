"""The vendor's import files in custody: written aside, reconciled, placed with the commit.

A run's import files join its one transaction. Each is written under a
temporary name beside where it belongs (``.<name>.<run id>.part``, mode 0600,
created exclusively), read back and reconciled with the database's tables,
and renamed into place only after everything balanced and the database
committed; a run that does not reconcile, fails or is stopped at a gate
shreds the temporary file, so it leaves no import file.

Every step is recorded twice: in the audit chain (``import-file`` events:
registered, placed, discarded, kept, shredded — with path, SHA-256, size and
rows) and in the custody journal (``import.registered``, ``import.written``,
``import.placed``, ``import.discarded``, ``import.shredded``, with the file's
identity), so that the next run ends what a killed run left and ``ikou
shred`` destroys every file a run placed, checked to be the very file ikou
wrote (:mod:`ikou.pipeline.importleft`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from ikou.audit.hashing import EncodedTable, encode_arrow
from ikou.audit.shredding import FileIdentity, NotOurs, shred_file
from ikou.errors import ImportFileError, MediaError
from ikou.pipeline.importleft import fsync_folder, is_the_file, move_no_replace, temp_for
from ikou.pipeline.media.register import Medium, check_medium, write_record
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.session import Session
from ikou.pipeline.stages import StageReport
from ikou.pipeline.stages.arrowdb import python_values
from ikou.pipeline.stages.importfile import Layout, Rendered, layouts, parse, render, shown_path
from ikou.pipeline.stages.load import category
from ikou.pipeline.stages.reconcile import run_cross_controls
from ikou.pipeline.stages.validate import Validated, full_frame
from ikou.validation.reconcile import ControlResult, Rows, TableReconciliation, reconcile_table

__all__ = ["ImportTarget", "Imports", "prepare_imports"]


@dataclass
class ImportTarget:
    """One table's import file through the run: planned, written, placed or discarded."""

    table: str
    layout: Layout
    path: Path
    temp: Path
    medium: Medium | None = None  # the registered removable medium it goes to
    state: str = "planned"  # planned, written, placed, discarded
    rows: int = 0
    size: int | None = None
    sha256: str | None = None
    device: int | None = None
    inode: int | None = None
    rendered: Rendered | None = None
    frame: pd.DataFrame | None = None  # the rows read back, as Python values
    kept: str | None = None  # keep_target, production
    shredded: bool = False
    verified: bool = False

    def identity(self) -> FileIdentity | None:
        if self.device is None or self.inode is None:
            return None
        return FileIdentity(self.device, self.inode, self.size, self.sha256)


def prepare_imports(session: Session) -> Imports:
    """Where each ``target.files`` table's file goes, refused (:class:`ImportFileError`)
    when a file is already there or its folder is missing — before a source is read.
    A rehearsal writes into its run folder; a production run to the plan's ``path``
    (default: its run folder too). What killed runs left was ended as the session
    opened."""
    plan = session.plan
    files: dict[str, ImportTarget] = {}
    for table, layout in layouts(plan).items():
        key = "path" if session.mode == "production" else "rehearsal_path"
        declared = getattr(layout.spec, key)
        if declared:
            path = Path(os.path.abspath(plan.base / declared))
            if not path.parent.is_dir():
                raise ImportFileError(
                    f"the folder of target.files.{table}.{key} ({path.parent}) does not exist; "
                    "create it or correct the plan.",
                    file=str(path),
                )
        else:
            path = session.run_dir / "import" / f"{table}{layout.suffix}"
        if os.path.lexists(path):
            raise ImportFileError(
                f"{path} already exists: ikou never overwrites an import file (the vendor may "
                "have read it); move it away or change target.files.{table}.path.",
                file=str(path),
            )
        if any(f.path == path for f in files.values()):
            raise ImportFileError(f"two tables would be written to {path}.", file=str(path))
        medium = check_medium(path)  # a removable medium must be registered and genuine
        files[table] = ImportTarget(table, layout, path, temp_for(path, session.run_id), medium)
    return Imports(session, files)


@dataclass
class Imports:
    """A run's import files (empty when the plan lists none)."""

    session: Session
    files: dict[str, ImportTarget] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.files)

    def _shown(self, path: Path) -> str:
        return shown_path(path, self.session.plan.workspace)

    def _record(self, target: ImportTarget, outcome: str, **facts: Any) -> None:
        """One ``import-file`` event in the chain and its line in the journal."""
        self.session.recorder.note(
            "import-file", outcome, table=target.table, file=str(target.path), **facts
        )
        self.session.journal.append(
            {"event": f"import.{outcome}", "run_id": self.session.run_id,
             "table": target.table, "path": str(target.path), **facts}
        )  # fmt: skip

    def database_part(self, validated: Validated) -> Validated:
        """``validated`` without the tables that go to files: what the database gets."""

        def kept(d: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in d.items() if k not in self.files}

        return replace(
            validated,
            tables=kept(validated.tables),
            expected=kept(validated.expected),
            digests=kept(validated.digests),
            totals=kept(validated.totals),
        )

    def write(self, validated: Validated) -> tuple[dict[str, int], StageReport]:
        """The ``import`` stage: each file under its temporary name (registered in the
        chain and the journal before it exists), fsynced and hashed."""
        plan = self.session.plan
        written: dict[str, int] = {}
        for target in self.files.values():
            _same_medium(target, "nothing was written")
            table = validated.tables[target.table]
            frame = full_frame(table, plan.contract.tables[target.table].kinds()).sort_index()
            rendered = render(target.layout, frame)
            target.path.parent.mkdir(parents=True, exist_ok=True)
            if target.path.parent.is_symlink() or not target.path.parent.is_dir():
                raise ImportFileError(
                    f"{target.path.parent} is a link or not a folder: the import file is "
                    "written only into a real folder.",
                    file=str(target.path.parent),
                )
            self._record(target, "registered", temp=str(target.temp))
            fd = os.open(target.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
            info = os.fstat(fd)  # ours from now on: discard() may destroy this file only
            target.device, target.inode = info.st_dev, info.st_ino
            with os.fdopen(fd, "wb") as handle:
                handle.write(rendered.data)
                handle.flush()
                os.fsync(handle.fileno())
            info = os.lstat(target.temp)
            target.size, target.device, target.inode = info.st_size, info.st_dev, info.st_ino
            target.sha256 = hashlib.sha256(rendered.data).hexdigest()
            target.rows, target.rendered, target.state = rendered.rows, rendered, "written"
            self.session.journal.append(
                {"event": "import.written", "run_id": self.session.run_id,
                 "table": target.table, "sha256": target.sha256, "size": target.size,
                 "device": target.device, "inode": target.inode, "rows": target.rows}
            )  # fmt: skip
            written[target.table] = target.rows
        output = hashlib.sha256(
            "\n".join(f"{t.table}:{t.sha256}" for t in self.files.values()).encode("ascii")
        ).hexdigest()
        files = {
            t.table: {"file": self._shown(t.path), "sha256": t.sha256, "bytes": t.size}
            for t in self.files.values()
        }
        counts = {"files": len(written), "rows": sum(written.values())}
        return written, StageReport("import", counts, output, chain={"files": files})

    def reconcile(self, validated: Validated) -> tuple[dict[str, TableReconciliation], StageReport]:
        """Each file read back from the disk and reconciled like a database table:
        rows paired by key and compared column by column in canonical encoding,
        the funnel and the mapping's controls."""
        plan = self.session.plan
        results: dict[str, TableReconciliation] = {}
        digests = []
        for target in self.files.values():
            name, layout = target.table, target.layout
            assert target.rendered is not None
            data = _read_no_follow(target.temp)
            rows = parse(layout, data, target.rendered, self._shown(target.path))
            kinds = layout.kinds
            encoded = encode_arrow(rows, kinds)
            actual = Rows(pd.Series(encoded.keys(list(layout.key)), dtype=object), encoded)
            expected = validated.expected[name]
            cells = _columns(expected.cells, kinds)  # type: ignore[arg-type]
            table = validated.tables[name]
            target.frame = pd.DataFrame(
                {c: pd.Series(python_values(rows.column(c), k), dtype=object)
                 for c, k in kinds.items()}
            )  # fmt: skip
            source = _controls(plan, name, full_frame(table, plan.contract.tables[name].kinds()))
            found = _controls(plan, name, target.frame)
            results[name] = reconcile_table(
                name,
                source_rows=table.source_rows,
                skipped=len(table.skipped),
                rejected=len(table.rejected_rows),
                expected=Rows(expected.keys, cells),
                actual=actual,
                controls=[ControlResult(label, source[label], found[label]) for label in source],
                totals=tuple(validated.totals.get(name, ())),
            )
            digests.append(f"{name}:{encoded.digest()}")
        output = hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()
        counts = {
            "loaded": sum(r.loaded for r in results.values()),
            "differences": sum(sum(r.finding_counts.values()) for r in results.values()),
        }
        return results, StageReport("import-reconcile", counts, output)

    def cross_controls(
        self, plan: LoadedPlan, validated: Validated, connection: Any
    ) -> list[dict[str, Any]]:
        """The mapping's cross-table controls, a side on a file table from its rows
        read back (:func:`~.stages.reconcile.run_cross_controls` does the rest)."""

        def from_file(table: str, column: str | None) -> int | None:
            if table not in self.files:
                return None
            frame = self.files[table].frame
            assert frame is not None
            return len(frame) if column is None else sum(int(v) for v in frame[column].dropna())

        return run_cross_controls(plan, validated, connection, from_file)

    def place(self) -> None:
        """Rename every written file into place (after the commit), the folder fsynced."""
        for target in self.files.values():
            if target.state != "written":
                continue
            _same_medium(target, "nothing was placed")
            if os.path.lexists(target.path):
                raise ImportFileError(
                    f"{target.path} appeared during the run; the import file stays at "
                    f"{target.temp} (ikou shred destroys it).",
                    file=str(target.path),
                )
            identity = target.identity()
            if identity is None or not is_the_file(target.temp, identity):
                raise ImportFileError(
                    f"{target.temp} is no longer the file ikou wrote and reconciled (replaced "
                    "or linked during the run); nothing was placed.",
                    file=str(target.temp),
                )
            move_no_replace(target.temp, target.path, identity)
            fsync_folder(target.path.parent)
            target.state = "placed"
            self._record(target, "placed", sha256=target.sha256, size=target.size,
                         rows=target.rows, device=target.device, inode=target.inode)  # fmt: skip
            if target.medium is not None:  # the medium's usage log and the PC's media log
                facts = write_record(target.medium, target.path, run_id=self.session.run_id,
                                     rows=target.rows, by=self._signed_on())  # fmt: skip
                self.session.recorder.note("media", "written", table=target.table, **facts)

    def _signed_on(self) -> list[str]:
        """Who the write is recorded for: the people signed on for a production run,
        else the OS account that ran the rehearsal."""
        session = self.session
        for event in session.writer.events():
            if event.get("run_id") == session.run_id and event.get("stage") == "sign-on":
                return [f"{p['name']} ({p['role']})" for p in event.get("people", [])]
        return [f"{session.recorder.actor} (OS account)"]

    def discard(self) -> None:
        """Shred every file not placed (a run that did not reconcile, failed or stopped)."""
        for target in self.files.values():
            if target.state == "placed" or not os.path.lexists(target.temp):
                continue
            identity = target.identity()
            try:  # a file ikou never created there (identity None) is never touched
                target.verified = identity is not None and shred_file(target.temp, expect=identity)
            except (NotOurs, OSError):
                target.verified = False
            target.state = "discarded"
            self._record(target, "discarded", temp=str(target.temp), verified=target.verified)

    def shred_placed(self, target: ImportTarget) -> None:
        """Destroy a placed file now (a rehearsal's, unless the plan keeps it)."""
        try:
            target.verified = shred_file(target.path, expect=target.identity())
        except (NotOurs, OSError):
            target.verified = False
        target.shredded = True
        self._record(target, "shredded", sha256=target.sha256, verified=target.verified)

    def keep(self, target: ImportTarget, why: str) -> None:
        target.kept = why
        self.session.recorder.note(
            "import-file", "kept", table=target.table, file=str(target.path), kept=why
        )

    def facts(self) -> list[dict[str, Any]]:
        """The report's view of each file: no value, only the rules' characters."""
        out = []
        for t in self.files.values():
            spec = t.layout.spec
            substituted = t.rendered.substitutions if t.rendered is not None else {}
            out.append(
                {
                    "table": t.table,
                    "format": spec.format,
                    "encoding": spec.encoding,
                    "newline": spec.newline,
                    "file": self._shown(t.path),
                    "state": t.state,
                    "rows": t.rows,
                    "size": t.size,
                    "sha256": t.sha256,
                    "kept": t.kept,
                    "medium": None if t.medium is None else f"{t.medium.id} ({t.medium.holder})",
                    "shredded": t.shredded or t.state == "discarded",
                    "verified": t.verified,
                    "substitutions": [
                        {"column": c, "char": ch, "to": t.layout.gaiji[ch], "count": n}
                        for (c, ch), n in sorted(substituted.items())
                    ],
                }
            )
        return out


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _same_medium(target: ImportTarget, outcome: str) -> None:
    """Refuse a target whose medium is not the one :func:`prepare_imports` checked
    (a stick pulled out and another put in at the same place, a medium where there
    was none, or one that no longer passes the check): :func:`check_medium` again,
    compared by id and device identity."""
    then = target.medium
    try:
        now = check_medium(target.path)
    except MediaError:
        same = False
    else:
        same = (now is None and then is None) or (
            now is not None and then is not None and (now.id, now.device) == (then.id, then.device)
        )
    if not same:
        expected = "no removable medium" if then is None else then.shown()
        raise ImportFileError(
            f"{target.path} is no longer on what the run checked when it began ({expected}): "
            f"the medium was taken out, changed or tampered with during the run; {outcome}.",
            file=str(target.path),
        )


def _read_no_follow(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def _columns(cells: EncodedTable, kinds: dict[str, str]) -> EncodedTable:
    """The expected encodings of the file's columns, in the file's order."""
    order = list(cells.kinds)
    return EncodedTable(dict(kinds), [cells.columns[order.index(c)] for c in kinds], cells.index)


def _controls(plan: LoadedPlan, name: str, frame: pd.DataFrame) -> dict[str, Any]:
    """``count`` and the mapping's controls over ``frame`` in exact arithmetic: the same
    function for the accepted rows and the rows read back from the file."""
    out: dict[str, Any] = {"count": len(frame)}
    contract = plan.contract.tables[name]
    for control in plan.mapping.tables[name].controls:
        column = control.column
        if column is None:
            continue
        values = frame[column].astype(object).where(frame[column].notna(), None)
        if control.kind == "sum" and contract.columns[column].type == "integer":
            out[control.label] = sum((int(v) for v in values if v is not None), 0)
        elif control.kind == "sum":
            out[control.label] = sum((Decimal(v) for v in values if v is not None), Decimal(0))
        elif control.kind == "count_by":
            tally: dict[str, int] = {}
            for value in values:
                label = category(value, contract.columns[column].type)
                tally[label] = tally.get(label, 0) + 1
            out[control.label] = tally
    return out
