"""The stages of a run, each one function from its inputs to its outputs and a
:class:`StageReport`: extract (readers), map, validate, expect, load, reconcile.

A stage never prints, prompts, exits or writes the audit chain: the
session's :class:`~ikou.pipeline.session.StageRecorder` runs it and records it
(STYLE.md, rules 1 and 6). The report is written by :mod:`ikou.pipeline.report`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Progress", "StageReport"]


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


Progress = Callable[[str, int, int], None]
"""``progress(label, done, total)``: called as work advances (the CLI draws it)."""
