"""What differs between operating systems, in one small place.

* :func:`ram_scratch_root` — a RAM-backed folder for scratch files: ``/dev/shm``
  on Linux when it is a tmpfs; ``None`` elsewhere, with the reason.
* :func:`private_dir` — a folder only this user can enter (mode 0700 on POSIX;
  on Windows a folder in the user's profile inherits its owner-only ACL).
* :class:`ProcessLock` — an exclusive lock on a file that the OS releases when
  the holding process dies, so a lock that can be taken means its owner is
  gone (``flock`` on POSIX, ``msvcrt.locking`` on Windows).
* :func:`in_background` — run a function on the other core while this one
  works on (a forked child on Linux; inline, before returning, elsewhere).
* :func:`guarded` — run a function that may take the process down (a native
  reader that aborts on a hostile file) in a forked child with a time and
  memory limit on Linux; inline, unguarded, elsewhere (``GUARD_AVAILABLE``).
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

__all__ = [
    "GUARD_AVAILABLE",
    "GuardTripped",
    "ProcessLock",
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


class ProcessLock:
    """An exclusive, non-blocking lock on ``path`` for the life of this process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; ``False`` if a live process does."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
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


def in_background(work: Callable[[], None]) -> Callable[[], bool]:
    """Start ``work``; return a function that waits for it and says whether it
    succeeded.

    On Linux ``work`` runs in a forked child, which sees this process's memory
    as it is now (copy-on-write) and must only compute and write files: it
    never prints, logs or touches the audit chain, and leaves with
    ``os._exit``. Where ``fork`` is unsafe or missing (Windows, macOS), it runs
    here and now.
    """
    if not sys.platform.startswith("linux"):
        try:
            work()
        except Exception:
            return lambda: False
        return lambda: True
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's own lines are not traced
        code = 1
        try:
            work()
            code = 0
        finally:
            os._exit(code)
    done: list[bool] = []

    def wait() -> bool:
        if not done:
            _, status = os.waitpid(pid, 0)
            done.append(os.waitstatus_to_exitcode(status) == 0)
        return done[0]

    return wait


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


def guarded(work: Callable[[], T], *, seconds: float, memory_bytes: int) -> T:
    """``work()``'s result, computed where a crash cannot take this process down.

    On Linux ``work`` runs in a forked child whose address space may grow by
    at most ``memory_bytes`` and which is killed after ``seconds``; its result
    (or the exception it raised) comes back pickled through a pipe. A child
    that dies — a native abort, an allocation refused by the limit, a signal —
    or overruns raises :class:`GuardTripped`. Elsewhere ``work`` runs here,
    unguarded.
    """
    if not GUARD_AVAILABLE:
        return work()
    read_end, write_end = os.pipe()
    budget = _address_space() + memory_bytes
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's own lines are not traced
        os.close(read_end)
        code = 0
        try:
            import faulthandler
            import resource

            faulthandler.disable()  # a native abort prints a backtrace: not to the user
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)

            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            limit = budget if hard == resource.RLIM_INFINITY else min(budget, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
            try:
                payload = pickle.dumps(("ok", work()), protocol=pickle.HIGHEST_PROTOCOL)
            except MemoryError:
                payload, code = pickle.dumps(("memory", None)), 3
            except BaseException as exc:
                try:
                    payload = pickle.dumps(("raised", exc))
                except Exception:
                    payload, code = pickle.dumps(("crash", None)), 4
            view = memoryview(payload)
            while view:
                view = view[os.write(write_end, view) :]
        finally:
            os._exit(code)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    overran, finished = False, False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                overran = True
                break
            ready, _, _ = select.select([read_end], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_end, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        finished = not overran
    finally:  # overran, or interrupted here (Ctrl+C): the child must not outlive us
        os.close(read_end)
        if not finished:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if overran:
        raise GuardTripped("time")
    try:
        kind, value = pickle.loads(b"".join(chunks))
    except Exception:
        died_by = -os.waitstatus_to_exitcode(status)
        raise GuardTripped("memory" if died_by == signal.SIGKILL else "crash") from None
    if kind == "ok":
        return value
    if kind == "raised":
        if isinstance(value, MemoryError):
            raise GuardTripped("memory")
        raise value
    raise GuardTripped(kind)
