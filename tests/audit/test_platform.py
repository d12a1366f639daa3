"""Work on the other core: a child forked now, or a warm child that prepared first."""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

import pytest

from ikou.audit.platform import LockFileRefused, ProcessLock, WarmChild, in_background

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


@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-file", "to-nothing-yet"])
def test_a_process_lock_that_is_a_link_is_refused_and_its_target_untouched(
    tmp_path: Path, dangling: bool
) -> None:
    """A link planted as a run's lock file, to a file outside: the lock would
    create or lock that file; it is refused in one sentence instead."""
    outside = tmp_path / "outside" / "theirs.txt"
    outside.parent.mkdir()
    if not dangling:
        outside.write_bytes(b"not ikou's\n")
        os.chmod(outside, 0o644)
        before = (outside.read_bytes(), os.stat(outside).st_mtime_ns, os.stat(outside).st_mode)
    path = tmp_path / "locks" / "run.lock"
    path.parent.mkdir()
    try:
        path.symlink_to(outside)
    except OSError:  # pragma: no cover - Windows without symlink rights
        pytest.skip("this account cannot make symlinks")
    lock = ProcessLock(path)
    with pytest.raises(LockFileRefused, match=r"is a symbolic link") as raised:
        lock.acquire()
    assert isinstance(raised.value, OSError)  # callers that catch OSError still do
    assert str(path) in str(raised.value) and str(outside) not in str(raised.value)
    lock.release()  # nothing held: a no-op
    if dangling:
        assert not os.path.lexists(outside)  # never created through the link
    else:
        after = (outside.read_bytes(), os.stat(outside).st_mtime_ns, os.stat(outside).st_mode)
        assert after == before
    assert path.is_symlink()  # left as evidence


def test_a_process_lock_on_a_plain_file_still_works(tmp_path: Path) -> None:
    first, second = ProcessLock(tmp_path / "a.lock"), ProcessLock(tmp_path / "a.lock")
    assert first.acquire()
    assert not second.acquire()  # held by the first
    first.release()
    assert second.acquire()
    second.release()
