"""What differs between operating systems, in one small place.

* :func:`ram_scratch_root` — a RAM-backed folder for scratch files: ``/dev/shm``
  on Linux when it is a tmpfs; ``None`` elsewhere, with the reason.
* :func:`private_dir` — a folder only this user can enter (mode 0700 on POSIX;
  on Windows a folder in the user's profile inherits its owner-only ACL).
* :class:`ProcessLock` — an exclusive lock on a file that the OS releases when
  the holding process dies, so a lock that can be taken means its owner is
  gone (``flock`` on POSIX, ``msvcrt.locking`` on Windows); a lock file that is
  a symbolic link is refused (:class:`LockFileRefused`), never opened.
* :func:`in_background` — run a function on the other core while this one
  works on, and collect its result later (a forked child on Linux; inline,
  before returning, elsewhere).
* :class:`WarmChild` — a child started early that gets ready (imports a heavy
  library) on the other core, then runs one job handed to it later (a forked
  child on Linux; the job runs inline elsewhere).
* :func:`guarded` — run a function that may take the process down (a native
  reader that aborts on a hostile file) in a forked child with a time and
  memory limit on Linux; inline, unguarded, elsewhere (``GUARD_AVAILABLE``).
* :mod:`audit.children` — outside programs that die with ikou (the other
  OS-specific part, kept in a module of its own).

Longer than 500 lines: it is the one small interface behind which every
OS-specific part lives (the design's rule), each with its Linux implementation
and its "not available on this OS" fallback side by side; splitting it would
scatter the place a Windows porter has to read.
"""

from __future__ import annotations

import functools
import math
import os
import pickle
import select
import signal
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = [
    "GUARD_AVAILABLE",
    "GuardTripped",
    "GuardedWorker",
    "LockFileRefused",
    "ProcessLock",
    "WarmChild",
    "guarded",
    "in_background",
    "private_dir",
    "ram_scratch_root",
]


def _tmpfs_mounts() -> set[str]:
    try:
        text = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    return {
        fields[1]
        for fields in (line.split() for line in text.splitlines())
        if len(fields) > 2 and fields[2] == "tmpfs"
    }


def ram_scratch_root() -> tuple[Path | None, str]:
    """A RAM-backed folder for scratch files and a sentence about it.

    Returns ``(None, why)`` where the OS has none ikou knows how to use.
    """
    if sys.platform.startswith("linux"):
        shm = Path("/dev/shm")
        if str(shm) in _tmpfs_mounts() and os.access(shm, os.W_OK | os.X_OK):
            return shm, "scratch is on /dev/shm, a RAM-backed tmpfs: nothing reaches the disk"
        return None, "/dev/shm is not a writable tmpfs here: scratch is on disk, encrypted"
    return None, (
        f"RAM-backed scratch is not available on this OS ({sys.platform}): scratch is on "
        "disk in the workspace, encrypted"
    )


def private_dir(path: Path) -> Path:
    """Create ``path`` (its parents as needed) readable by this user only.

    Raises OSError if it exists already or, on POSIX, if others could enter it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkdir(path, 0o700)
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, 0o700)
    return path


class LockFileRefused(OSError):
    """A lock file that is a symbolic link: opening it would create or lock the
    file it points to, wherever that is, so it is never opened."""


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class ProcessLock:
    """An exclusive, non-blocking lock on ``path`` for the life of this process.

    The lock file is opened without following a symbolic link (``O_NOFOLLOW``
    where the OS has it): a link put in its place is refused with
    :class:`LockFileRefused` (an ``OSError``), and the file it points to is
    neither created nor opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; ``False`` if a live process does."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not _NOFOLLOW and os.path.islink(self.path):  # pragma: no cover - no O_NOFOLLOW
            raise _refused(self.path)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o600)
        except OSError:
            if os.path.islink(self.path):
                raise _refused(self.path) from None
            raise
        try:
            if os.name == "nt":  # pragma: no cover - exercised on Windows only
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Let go of the lock (the OS does it too when the process ends)."""
        if self._fd is None:
            return
        try:
            if os.name == "nt":  # pragma: no cover
                import msvcrt

                os.lseek(self._fd, 0, os.SEEK_SET)
                msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None


def _refused(path: Path) -> LockFileRefused:
    return LockFileRefused(
        f"the lock file {path} is a symbolic link: ikou never opens a lock through a link "
        "(it would create or lock the file it points to); keep it for the IT section to "
        "look at, then remove it."
    )


def in_background(work: Callable[[], T]) -> Callable[[], T]:
    """Start ``work``; return a function that waits for it and returns its result
    (or raises what it raised).

    On Linux ``work`` runs in a forked child, which sees this process's memory
    as it is now (copy-on-write) and must only compute and write files: it
    never prints, logs or touches the audit chain, and leaves with
    ``os._exit``; its result comes back pickled through a pipe. Where
    ``fork`` is unsafe or missing (Windows, macOS), it runs here and now.
    """
    if not sys.platform.startswith("linux"):
        payload = _outcome(work)
        return lambda: _result(payload)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's own lines are not traced
        os.close(read_end)
        try:
            _write_all(write_end, _outcome(work))
        finally:
            os._exit(0)
    os.close(write_end)
    return _waiter(pid, read_end)


def _waiter(pid: int, fd: int) -> Callable[[], Any]:
    """A function that waits for child ``pid``'s outcome on ``fd`` (once; again
    returns or raises the same), then reaps the child."""
    done: list[bytes] = []

    def wait() -> Any:
        if not done:
            try:
                done.append(_read_until(fd, math.inf) or b"")
            finally:
                os.close(fd)
                os.waitpid(pid, 0)
        if not done[0]:
            raise GuardTripped("crash")
        return _result(done[0])

    return wait


class WarmChild:
    """A forked child that runs ``prepare`` now, then one job sent later.

    For work whose set-up costs seconds (great-expectations' import) on
    inputs that are small: the set-up overlaps this process's own work from
    the start, and the job's inputs travel pickled through a pipe. The job
    is a picklable callable (a module-level function, or a ``partial`` of
    one). A child never handed a job leaves when :meth:`close` closes its
    pipe (or when this process dies). It follows :func:`in_background`'s
    rules: it only computes, never prints or touches the audit chain. Where
    ``fork`` is unsafe or missing, nothing starts and :meth:`run` runs inline.
    """

    def __init__(self, prepare: Callable[[], object]) -> None:
        self._pid: int | None = None
        self._open = True
        if not sys.platform.startswith("linux"):
            return
        job_read, self._job = os.pipe()
        self._answer, answer_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's own lines are not traced
            os.close(self._job)
            os.close(self._answer)
            try:
                try:
                    prepare()
                except BaseException:  # the job, if one comes, says what is wrong
                    pass
                job = _read_until(job_read, math.inf) or b""
                if job:
                    _write_all(answer_write, _outcome(pickle.loads(job)))
            finally:
                os._exit(0)
        os.close(job_read)
        os.close(answer_write)
        self._pid = pid

    @property
    def open(self) -> bool:
        """Whether a job can still be handed over (not yet run, not closed)."""
        return self._open

    def run(self, work: Callable[[], T]) -> Callable[[], T]:
        """Hand ``work`` to the child; return a function that waits for its result."""
        if not self._open:
            raise RuntimeError("this warm child has been used or closed")
        self._open = False
        if self._pid is None:
            payload = _outcome(work)
            return lambda: _result(payload)
        try:
            _write_all(self._job, pickle.dumps(work, protocol=pickle.HIGHEST_PROTOCOL))
        finally:
            os.close(self._job)
        pid, self._pid = self._pid, None
        return _waiter(pid, self._answer)

    def close(self) -> None:
        """Stop a child that got no job, ready or not (nothing happens after :meth:`run`)."""
        self._open = False
        if self._pid is None:
            return
        os.close(self._job)
        os.close(self._answer)
        os.kill(self._pid, signal.SIGKILL)  # it only prepared: nothing to finish
        os.waitpid(self._pid, 0)
        self._pid = None


GUARD_AVAILABLE = sys.platform.startswith("linux")
"""Whether :func:`guarded` really isolates its work (not available on this OS otherwise)."""


class GuardTripped(Exception):
    """The guarded work died or overran: ``reason`` is ``"time"``, ``"memory"`` or ``"crash"``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _address_space() -> int:
    """This process's virtual size in bytes (what RLIMIT_AS counts)."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _enter_child(budget: int) -> None:  # pragma: no cover - runs in the child
    """Silence the child and cap its address space at ``budget`` bytes."""
    import faulthandler
    import resource

    faulthandler.disable()  # a native abort prints a backtrace: not to the user
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = budget if hard == resource.RLIM_INFINITY else min(budget, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _outcome(work: Callable[[], Any]) -> bytes:  # pragma: no cover - runs in the child
    """``work()``'s result or exception, pickled for the parent."""
    try:
        return pickle.dumps(("ok", work()), protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return pickle.dumps(("memory", None))
    except BaseException as exc:
        try:
            return pickle.dumps(("raised", exc))
        except Exception:
            return pickle.dumps(("crash", None))


def _result(payload: bytes) -> Any:
    """What :func:`_outcome` pickled: the value, or the exception raised here."""
    kind, value = pickle.loads(payload)
    if kind == "ok":
        return value
    if kind == "raised":
        if isinstance(value, MemoryError):
            raise GuardTripped("memory")
        raise value
    raise GuardTripped(kind)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_until(fd: int, deadline: float, size: int | None = None) -> bytes | None:
    """Bytes from ``fd`` until EOF (or ``size`` of them); ``None`` past ``deadline``."""
    chunks: list[bytes] = []
    got = 0
    while size is None or got < size:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], None if left == math.inf else left)
        if not ready:
            continue
        chunk = os.read(fd, (1 << 20) if size is None else min(1 << 20, size - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def guarded(work: Callable[[], T], *, seconds: float, memory_bytes: int) -> T:
    """``work()``'s result, computed where a crash cannot take this process down.

    On Linux ``work`` runs in a forked child whose address space may grow by
    at most ``memory_bytes`` and which is killed after ``seconds``; its result
    (or the exception it raised) comes back pickled through a pipe. A child
    that dies — a native abort, an allocation refused by the limit, a signal —
    or overruns raises :class:`GuardTripped`. Elsewhere ``work`` runs here,
    unguarded. A fork costs ~10 ms in a small process and ~50 ms in one that
    holds a gigabyte; for many small jobs use :class:`GuardedWorker`.
    """
    if not GUARD_AVAILABLE:
        return work()
    read_end, write_end = os.pipe()
    budget = _address_space() + memory_bytes
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's own lines are not traced
        os.close(read_end)
        try:
            _enter_child(budget)
            _write_all(write_end, _outcome(work))
        finally:
            os._exit(0)
    os.close(write_end)
    payload = None
    try:
        payload = _read_until(read_end, time.monotonic() + seconds)
    finally:  # overran, or interrupted here (Ctrl+C): the child must not outlive us
        os.close(read_end)
        if payload is None:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if payload is None:
        raise GuardTripped("time")
    if not payload:
        died_by = -os.waitstatus_to_exitcode(status)
        raise GuardTripped("memory" if died_by == signal.SIGKILL else "crash")
    return _result(payload)


class GuardedWorker:
    """:func:`guarded` for many jobs: one forked child runs them one after another.

    ``run(job)`` sends ``job`` (picklable) to the child, which returns
    ``handler(job)``; the child is forked on the first job and again after one
    that crashed, overran or ran out of memory (which raises
    :class:`GuardTripped` as :func:`guarded` does). The time limit is per
    job, the memory limit for the child's life. Where ``fork`` is missing,
    ``handler`` runs here, unguarded. Use it as a context manager.
    """

    def __init__(self, handler: Callable[[Any], Any], *, seconds: float, memory_bytes: int) -> None:
        self._handler = handler
        self._seconds = seconds
        self._memory = memory_bytes
        self._child: tuple[int, int, int] | None = None  # pid, jobs pipe, results pipe

    def __enter__(self) -> GuardedWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self, jobs: int, results: int) -> None:  # pragma: no cover - in the child
        while True:
            head = _read_until(jobs, math.inf, 8)
            if head is None or len(head) < 8:
                return
            job = pickle.loads(_read_until(jobs, math.inf, int.from_bytes(head, "little")) or b"")
            payload = _outcome(functools.partial(self._handler, job))
            _write_all(results, len(payload).to_bytes(8, "little") + payload)

    def _start(self) -> tuple[int, int, int]:
        jobs_read, jobs_write = os.pipe()
        results_read, results_write = os.pipe()
        budget = _address_space() + self._memory
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's own lines are not traced
            os.close(jobs_write)
            os.close(results_read)
            try:
                _enter_child(budget)
                self._serve(jobs_read, results_write)
            finally:
                os._exit(0)
        os.close(jobs_read)
        os.close(results_write)
        return pid, jobs_write, results_read

    def run(self, job: Any) -> Any:
        """``handler(job)``, computed in the child."""
        if not GUARD_AVAILABLE:
            return self._handler(job)
        if self._child is None:
            self._child = self._start()
        _, jobs, results = self._child
        deadline = time.monotonic() + self._seconds
        payload: bytes | None = None
        overran = False
        try:
            data = pickle.dumps(job)
            _write_all(jobs, len(data).to_bytes(8, "little") + data)
            head = _read_until(results, deadline, 8)
            if head is None:
                overran = True
            elif len(head) == 8:
                size = int.from_bytes(head, "little")
                payload = _read_until(results, deadline, size)
                overran = payload is None
                payload = payload if payload is not None and len(payload) == size else None
        except BrokenPipeError:  # the child died before it read the job
            pass
        except BaseException:  # interrupted here (Ctrl+C): the child must not outlive us
            self._stop(kill=True)
            raise
        if payload is not None:
            return _result(payload)
        died_by = self._stop(kill=True)
        if overran:
            raise GuardTripped("time")
        raise GuardTripped("memory" if died_by == signal.SIGKILL else "crash")

    def _stop(self, *, kill: bool) -> int:
        """End the child; the signal it died by (0 if it exited)."""
        if self._child is None:
            return 0
        pid, jobs, results = self._child
        self._child = None
        os.close(jobs)  # the child's loop ends at EOF
        os.close(results)
        if kill:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        return max(0, -os.waitstatus_to_exitcode(status))

    def close(self) -> None:
        """Let the child finish and reap it."""
        self._stop(kill=False)
