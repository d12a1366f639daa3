"""Stage results and the one wrapper that records every stage in the audit chain.

A stage is ``run_<stage>(input, config) -> (output, StageReport)``: it never
prints, prompts or exits. :class:`StageRecorder` runs it, times it, and appends
exactly one audit event (input hash, output hash, counts, timing, outcome) —
so no stage writes to the audit log itself (STYLE.md, rule 6).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ikou.audit.chain import SEAL, ChainBroken, ChainWriteError, ChainWriter

from ikou.errors import AuditLogError, IkouError, TamperedError

__all__ = ["StageEvent", "StageRecorder", "StageReport", "utc_now"]

T = TypeVar("T")


def utc_now() -> str:
    """UTC time, seconds precision, ISO 8601 with ``Z``."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class StageReport:
    """What a stage says about its work: counts and the hash of its output.

    ``details`` holds structured facts for the report (file hashes, rule
    names, positions) and ``chain`` the few that go into the stage's audit
    event (the sources' whole-file hashes, which ``ikou sweep`` looks for) —
    never a cell value.
    """

    stage: str
    counts: dict[str, int]
    output_sha256: str
    details: dict[str, Any] = field(default_factory=dict)
    chain: dict[str, Any] = field(default_factory=dict)


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
