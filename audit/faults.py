"""Crash points for the recovery tests.

``IKOU_FAULT=<point>`` in the environment makes ikou kill itself with SIGKILL
(no cleanup, no ``finally``, exactly like a power cut or the task manager)
when it reaches that point. The points are listed in docs/custody.md. Unset —
always, outside tests — a checkpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

__all__ = ["POINTS", "checkpoint"]

POINTS = (
    "extract",  # sources being read, nothing loaded
    "artifact.registered",  # an artifact in the journal, not yet on disk
    "artifact.written",  # an artifact on disk, not yet shredded
    "load",  # rows inserted into the target, transaction not committed
    "manifest",  # production: the manifest written and chained, not committed
    "committed",  # the load committed, the commit not yet chained
    "result",  # the run's outcome chained, no report written
    "report",  # the report written and chained, the run not sealed
    "sealed",  # the run sealed in the chain, still open in the journal
)


def checkpoint(point: str) -> None:
    """Die here, hard, if the environment asks for it."""
    if os.environ.get("IKOU_FAULT") == point:
        kill = getattr(signal, "SIGKILL", None)
        if kill is None:  # pragma: no cover - Windows has no SIGKILL
            os._exit(137)
        os.kill(os.getpid(), kill)
