"""One run's context — its folder, its place in the chain and the journal, its
ending — and the single wrapper that records every stage in the audit chain.

A stage is ``run_<stage>(input, config) -> (output, StageReport)``: it never
prints, prompts or exits. :class:`StageRecorder` runs it, times it and
appends exactly one audit event (input hash, output hash, counts, timing,
outcome), so no stage writes to the audit log itself (STYLE.md, rule 6).

Opening a session is the gate every command that acts passes first: the
audit chain and the custody journal are verified in full — links, hashes and
authentication under this installation's audit key, and against the key
store's record of the last event ikou wrote to them — and a log that does
not verify is refused (:class:`~mappings.errors.TamperedError`, exit 1)
before anything is read, written, recovered or destroyed.

Then runs that died in this workspace are brought to an end
(:func:`recover`): their copies shredded, their rehearsal target's unfinished
load rolled back, a production run stopped after its commit finished or
rolled back, and an ending and a seal chained in their name. Every run ends
in a ``seal`` event (:meth:`Session.end`); a run's outcome is its seal's.
"""

from __future__ import annotations

import datetime as dt
import getpass
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ikou.audit.artifacts import (
    JOURNAL,
    RUN_ID,
    ArtifactStore,
    Journal,
    Tampered,
    open_runs,
    recover_artifacts,
)
from ikou.audit.chain import (
    SEAL,
    ChainBroken,
    ChainWriteError,
    ChainWriter,
    audit_key,
    key_folder,
)
from ikou.audit.faults import checkpoint
from ikou.audit.platform import LockFileRefused, ProcessLock
from ikou.errors import AuditLogError, IkouError, TamperedError
from ikou.pipeline.plan import LoadedPlan
from ikou.pipeline.recovered import Recovered, announce, announcing
from ikou.pipeline.stages import StageReport

__all__ = [
    "Recovered",
    "Session",
    "StageEvent",
    "StageRecorder",
    "announcing",
    "open_chain",
    "open_session",
    "recover",
    "recover_workspace",
    "run_events",
    "utc_now",
]


@dataclass
class Session:
    """One run's plumbing: its folder, chain recorder, journal and artifact store."""

    plan: LoadedPlan
    mode: str
    run_id: str
    run_dir: Path
    writer: ChainWriter
    recorder: StageRecorder
    store: ArtifactStore
    journal: Journal
    recovered: tuple[Recovered, ...]

    def end(self, outcome: str, **facts: Any) -> str:
        """Seal the run in the chain, then close it in the journal; the seal's hash."""
        head = self.recorder.seal(outcome, plan_sha256=self.plan.sha256, **facts)
        checkpoint("sealed")  # sealed in the chain, still open in the journal
        self.store.close(outcome)
        return head

    def fail(self, error: BaseException) -> None:
        """End a run that stopped on ``error``: copies shredded, outcome chained,
        sealed (a record that does not verify is left alone: nothing is written)."""
        if isinstance(error, TamperedError):
            self.store.close("failed")
            return
        outcome = "failed" if isinstance(error, Exception) else "interrupted"
        self.store.shred_all()
        self.recorder.note("result", outcome, error=getattr(error, "slug", type(error).__name__))
        self.end(outcome)


def _run_id() -> str:
    stamp = utc_now().replace("-", "").replace(":", "")
    return f"{stamp}-{secrets.token_hex(3)}"


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def open_chain(workspace: Path) -> tuple[ChainWriter, Journal]:
    """The workspace's audit chain and custody journal, both verified in full."""
    folder = key_folder()
    records = [workspace / "audit.log", workspace / JOURNAL]
    try:
        key = audit_key(folder, create=not any(_has_lines(p) for p in records))
        if key is None:
            raise TamperedError(
                f"the audit key is not in the key store {folder}, so the audit log and journal "
                f"in {workspace} cannot be authenticated here; set IKOU_KEY_DIR to the key "
                "store that holds audit.key (see docs/audit.md)."
            )
        writer = ChainWriter(workspace / "audit.log", key=key, key_dir=folder)
        journal = Journal(workspace, key, folder)
    except ChainBroken as exc:
        removed = exc.result.bad_line is None and not _has_lines(workspace / "audit.log")
        hint = (
            " If this workspace was removed on purpose, start again in a new workspace "
            "(the plan's workspace:)."
            if removed
            else ""
        )
        raise TamperedError(
            f"{exc} ikou does nothing on a record that does not verify; keep the file as "
            f"evidence and tell the IT section (docs/audit.md).{hint}"
        ) from None
    except ChainWriteError as exc:
        raise AuditLogError(str(exc)) from None
    return writer, journal


def _has_lines(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def open_session(plan: LoadedPlan, mode: str) -> Session:
    """Verify the chain and journal, create the run folder, end dead runs (their
    import files too), start the store."""
    run_id = _run_id()
    workspace = plan.workspace
    run_dir = workspace / "runs" / run_id
    writer, journal = open_chain(workspace)
    from ikou.pipeline.media.register import check_medium  # it records through this module

    check_medium(workspace)  # a workspace on a removable medium: a registered one only
    try:
        run_dir.mkdir(parents=True, exist_ok=False)
    except OSError as exc:
        raise AuditLogError(
            f"cannot create the run folder {run_dir}: {exc.strerror}; check the plan's workspace."
        ) from None
    recorder = StageRecorder(writer, run_id=run_id, mode=mode, actor=_actor())
    recovered = tuple(recover(plan, writer, journal, current=run_id))
    store = ArtifactStore(workspace, run_id, mode, recorder.note, journal)
    try:
        store.start()
    except LockFileRefused:
        raise TamperedError(
            f"the lock file of run {run_id} in the workspace's locks folder is a symbolic link, "
            "which ikou never makes; nothing was done."
        ) from None
    session = Session(plan, mode, run_id, run_dir, writer, recorder, store, journal, recovered)
    from ikou.pipeline.importleft import settle_left  # it records through this module

    settle_left(session)  # a dead run's import file: placed if it committed, else shredded
    return session


def recover_workspace(plan: LoadedPlan) -> tuple[ChainWriter, list[Recovered]]:
    """Verify the workspace's chain and journal, and end the runs that died there;
    the verified chain, for a command that reads it without a run of its own."""
    writer, journal = open_chain(plan.workspace)
    return writer, recover(plan, writer, journal)


def run_events(writer: ChainWriter, run_id: str) -> list[dict[str, Any]]:
    """The verified events of one run, in order."""
    return [e for e in writer.events() if e.get("run_id") == run_id]


def recover(
    plan: LoadedPlan, writer: ChainWriter, journal: Journal, *, current: str | None = None
) -> list[Recovered]:
    """Bring to an end every run of the workspace that started and never ended.

    A run is open when the journal has its start and no end, or the chain has
    its events and no seal. A run whose lock is held is alive and left alone.
    For a dead one: shred its artifacts and scratch folder, let SQLite roll
    back its rehearsal target's unfinished load, finish a production run that
    stopped after its commit (:func:`pipeline.recovery.finish_dead_run`),
    and chain its ending and seal in its name.
    """
    from ikou.pipeline.recovery import finish_dead_run  # it records through this module

    workspace = plan.workspace
    entries = journal.entries()
    in_journal = open_runs(entries)
    in_chain = [r for r in _chain_runs(writer) if not writer.sealed(r)]
    found = []
    for run_id in [*in_journal, *(r for r in in_chain if r not in in_journal)]:
        if run_id == current:
            continue
        if not RUN_ID.match(run_id):
            raise TamperedError(f"the journal names a run {run_id!r} ikou cannot have made.")
        lock = ProcessLock(workspace / "locks" / f"{run_id}.lock")
        try:
            if not lock.acquire():
                continue  # alive
        except LockFileRefused:
            raise TamperedError(
                f"the lock file of run {run_id} in the workspace's locks folder is a symbolic "
                "link, which ikou never makes; nothing was done."
            ) from None
        try:
            events = run_events(writer, run_id)
            mode = str(
                events[0].get("mode") if events else in_journal[run_id].get("mode", "unknown")
            )
            recorder = StageRecorder(writer, run_id=run_id, mode=mode, actor=_actor())
            shredded = 0
            if run_id in in_journal or any(e.get("run_id") == run_id for e in entries):
                try:
                    records = recover_artifacts(workspace, journal, run_id, recorder.note)
                except Tampered as exc:
                    raise TamperedError(f"{exc}.") from None
                shredded = sum(r.shredded for r in records)
            if writer.sealed(run_id):
                outcome, rolled_back = "sealed", False
            else:
                ending = finish_dead_run(plan, recorder, events)
                if ending is None:  # a production load only its own plan can finish
                    found.append(Recovered(run_id, shredded, "pending"))
                    announce(found[-1])
                    continue
                outcome, rolled_back, facts = ending
                recorder.seal(outcome, plan_sha256=_plan_of(events), **facts)
            if run_id in in_journal:
                journal.append({"event": "run.end", "run_id": run_id, "outcome": outcome})
            found.append(Recovered(run_id, shredded, outcome, rolled_back))
            announce(found[-1])
        finally:
            lock.release()
            try:
                lock.path.unlink()
            except OSError:
                pass
    return found


def _chain_runs(writer: ChainWriter) -> list[str]:
    seen: dict[str, None] = {}
    for event in writer.events():
        seen.setdefault(str(event.get("run_id")), None)
    return list(seen)


def _plan_of(events: list[dict[str, Any]]) -> str | None:
    return next((str(e["plan_sha256"]) for e in events if e.get("plan_sha256")), None)


T = TypeVar("T")


def utc_now() -> str:
    """UTC time, seconds precision, ISO 8601 with ``Z``."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class StageEvent:
    """A stage as recorded: its report plus timing, outcome and chain hash."""

    stage: str
    outcome: str
    input_sha256: str | None
    output_sha256: str | None
    counts: dict[str, int]
    duration_ms: int
    event_hash: str
    error_slug: str | None = None


class StageRecorder:
    """Runs stages and writes one chain event for each (the only chain writer)."""

    def __init__(self, writer: ChainWriter, *, run_id: str, mode: str, actor: str) -> None:
        self.writer = writer
        self.run_id = run_id
        self.mode = mode
        self.actor = actor
        self.events: list[StageEvent] = []
        self._last_output: str | None = None

    def note(self, stage: str, outcome: str, **facts: Any) -> str:
        """Append a non-stage event (run start, run end); returns its hash."""
        event = {
            "time": utc_now(),
            "run_id": self.run_id,
            "mode": self.mode,
            "stage": stage,
            "actor": self.actor,
            "outcome": outcome,
            **facts,
        }
        try:
            return str(self.writer.append(event)["hash"])
        except ChainBroken as exc:
            raise TamperedError(f"{exc}; nothing more was written to it.") from None
        except ChainWriteError as exc:
            raise AuditLogError(str(exc)) from None

    def seal(self, outcome: str, **facts: Any) -> str:
        """The run's last event: its outcome, with the count of its events and a
        link to the seal before it (added by the chain); returns its hash."""
        return self.note(SEAL, outcome, **facts)

    def run(
        self,
        stage: str,
        func: Callable[..., tuple[T, StageReport]],
        *args: Any,
        input_sha256: str | None = None,
        **kwargs: Any,
    ) -> T:
        """Run ``func``; record success or failure; return its output."""
        started = time.perf_counter()
        given_input = input_sha256 if input_sha256 is not None else self._last_output
        try:
            output, report = func(*args, **kwargs)
        except IkouError as exc:
            elapsed = int((time.perf_counter() - started) * 1000)
            event_hash = self.note(
                stage,
                "failed",
                input_sha256=given_input,
                output_sha256=None,
                counts={},
                duration_ms=elapsed,
                error=exc.slug,
            )
            self.events.append(
                StageEvent(stage, "failed", given_input, None, {}, elapsed, event_hash, exc.slug)
            )
            raise
        elapsed = int((time.perf_counter() - started) * 1000)
        event_hash = self.note(
            stage,
            "ok",
            input_sha256=given_input,
            output_sha256=report.output_sha256,
            counts=report.counts,
            duration_ms=elapsed,
            **report.chain,
        )
        self.events.append(
            StageEvent(
                stage,
                "ok",
                given_input,
                report.output_sha256,
                dict(report.counts),
                elapsed,
                event_hash,
            )
        )
        self._last_output = report.output_sha256
        return output
