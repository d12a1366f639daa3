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
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["ProcessLock", "in_background", "private_dir", "ram_scratch_root"]


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
