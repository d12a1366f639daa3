"""Work on the other core: a child forked now, or a warm child that prepared first."""

from __future__ import annotations

import functools
import os
import sys
import time

import pytest

from ikou.audit.platform import WarmChild, in_background

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux only")

_PREPARED: list[int] = []


def _prepare() -> None:
    _PREPARED.append(os.getpid())  # in the child's memory only


def _where(offset: int) -> tuple[int, list[int], int]:
    return os.getpid(), list(_PREPARED), offset + 1


def _fails() -> None:
    raise ValueError("the job's own error")


@linux
def test_a_warm_child_prepares_then_runs_the_job_sent_later() -> None:
    warm = WarmChild(_prepare)
    wait = warm.run(functools.partial(_where, 41))
    pid, prepared, answer = wait()
    assert pid != os.getpid() and prepared == [pid] and answer == 42
    assert _PREPARED == []  # the preparation happened over there
    warm.close()  # after run: nothing left to stop


@linux
def test_a_warm_child_passes_the_jobs_exception_back() -> None:
    wait = WarmChild(_prepare).run(_fails)
    with pytest.raises(ValueError, match="the job's own error"):
        wait()


@linux
def test_a_warm_child_never_given_a_job_is_stopped_at_once() -> None:
    warm = WarmChild(functools.partial(time.sleep, 30))  # still preparing
    started = time.monotonic()
    warm.close()
    assert time.monotonic() - started < 5


def test_in_background_returns_the_result() -> None:
    assert in_background(functools.partial(_where, 1))()[2] == 2
