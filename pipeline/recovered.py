"""How a command hears of the dead runs its session ends — kept light.

Every command's entry point listens (:func:`announcing`) before it knows
whether it will open a session at all, so this module imports nothing heavy:
``ikou --help`` must not pay for pandas.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["Recovered", "announce", "announcing"]


@dataclass(frozen=True)
class Recovered:
    """A dead run found and brought to an end by :func:`recover`."""

    run_id: str
    artifacts: int
    outcome: str
    target_rolled_back: bool = False

    def sentence(self) -> str:
        ending = {
            "interrupted": "",
            "sealed": "",
            "reconciled": ", its committed load verified against its manifest and sealed",
            "rolled_back": ", its committed load rolled back",
            "pending": "; it stopped after its production load was prepared: finish it with "
            "ikou migrate and the plan it ran",
        }.get(self.outcome, f", ended as {self.outcome}")
        return (
            f"recovered interrupted run {self.run_id}: {self.artifacts} artifact(s) shredded"
            + (", its target's unfinished load rolled back" if self.target_rolled_back else "")
            + ending
            + "."
        )


_listeners: list[Callable[[Recovered], None]] = []


@contextmanager
def announcing(listener: Callable[[Recovered], None]) -> Iterator[None]:
    """Within the block, ``listener`` hears of each dead run as it is ended (the CLI
    says so on stderr), wherever in a command its session is opened."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


def announce(recovered: Recovered) -> None:
    """Tell every listener of a dead run just ended."""
    for listener in _listeners:
        listener(recovered)
