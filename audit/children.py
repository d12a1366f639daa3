"""Outside programs that die with ikou, however ikou dies.

:func:`run_child` runs an outside program (LibreOffice) so that it and
  everything it starts die with ikou, even when ikou is killed with SIGKILL:
  on POSIX under a watchdog process in a session of its own that kills the
  program's process group when ikou's pipe to it closes (on Linux also a child
  subreaper with a parent-death signal that sweeps its session through
  ``/proc``; on macOS and other POSIX systems the group only); on Windows in a
  Job Object that the OS kills when ikou's handle to it closes; elsewhere the
  direct child only, and not when ikou is killed: not available on this OS.

It is the other OS-specific part of ikou beside :mod:`audit.platform`. The
watchdog is this very file run as a script (``python -I -S children.py``), so
it imports nothing of ikou's.
"""

from __future__ import annotations

import errno
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["ChildTimedOut", "run_child"]


class ChildTimedOut(subprocess.TimeoutExpired):
    """A program run by :func:`run_child` overran ``timeout`` seconds; it and every
    process it started are gone by the time this is raised."""


_WATCHDOG = "--watchdog"
_SWEEP_SECONDS = 10.0  # how long a SIGKILLed process may take to go (one stuck in I/O)
_PR_SET_PDEATHSIG, _PR_SET_CHILD_SUBREAPER = 1, 36
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def run_child(argv: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` (stdin empty, output captured) so that it and everything it
    starts die with ikou; return once none of them is left running.

    Why more than ``subprocess.run``: killed during a ``.doc`` conversion, ikou
    left LibreOffice running, and it re-created the scratch folder, mode 0755.
    ``prctl(PR_SET_PDEATHSIG)`` on the program is not enough: it reaches the
    direct child only, and LibreOffice's launcher (``oosplash``) forks
    ``soffice.bin``, which outlived it (measured).

    On POSIX the program runs under a watchdog: a small Python process (this
    file, run with ``-I -S``) in a session of its own, so a Ctrl+C in ikou's
    terminal does not reach the program. It starts the program in a process
    group of its own, with umask 077 (what it creates is this user's only), and
    holds the read end of a pipe whose write end only ikou holds. When the
    program ends, when ikou closes the pipe (timeout, an exception, Ctrl+C) or
    when ikou dies — the kernel closes the pipe even after SIGKILL — the watchdog
    kills the group and waits until it is gone. On Linux the watchdog is also a
    child subreaper that sweeps its whole session through ``/proc`` (a
    descendant that left the group is found too) and gets a parent-death signal
    (a child ikou forks meanwhile holds a copy of the pipe); on macOS and other
    POSIX systems only the group is killed, and a forked child delays it.

    On Windows the program runs in a new process group (no Ctrl+C) inside a Job
    Object that the OS terminates when ikou's handle closes, at exit or death; a
    process it starts before it is put in the job (the first milliseconds)
    escapes, and one that let go of the output pipes may still be ending when
    this returns. Where a Job Object cannot be made, and on other systems, only
    the direct child is killed, on timeout or an exception, and nothing when
    ikou dies: not available on this OS. (Only the Linux path is tested.)

    Raises :class:`ChildTimedOut` after ``timeout`` seconds and
    ``FileNotFoundError`` when ``argv[0]`` is not a program.
    """
    program = shutil.which(argv[0])
    if program is None:
        raise FileNotFoundError(errno.ENOENT, "No such program", argv[0])
    command = [program, *argv[1:]]
    if os.name != "posix":  # pragma: no cover - Windows and others
        return _run_in_job(command, timeout)
    ctl_read, ctl_write = os.pipe()
    watchdog = [sys.executable, "-I", "-S", __file__, _WATCHDOG, str(ctl_read), str(os.getpid())]
    try:
        proc = subprocess.Popen(
            [*watchdog, *command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(ctl_read,),
            start_new_session=True,
        )
    except BaseException:
        os.close(ctl_write)
        raise
    finally:
        os.close(ctl_read)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException as exc:  # overran or interrupted: the watchdog ends it all
        os.close(ctl_write)
        ctl_write = -1
        _await_watchdog(proc)
        if isinstance(exc, subprocess.TimeoutExpired):
            raise ChildTimedOut(command, timeout) from None
        raise
    finally:
        if ctl_write >= 0:
            os.close(ctl_write)
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def _await_watchdog(proc: subprocess.Popen[bytes]) -> None:
    """Let the watchdog clear its session; if it cannot, kill it and clear it here."""
    try:
        proc.communicate(timeout=_SWEEP_SECONDS + 5)
        return
    except subprocess.TimeoutExpired:
        pass
    proc.kill()
    proc.communicate()
    if sys.platform.startswith("linux"):
        for pid in _strays(proc.pid, proc.pid):
            _kill(pid)


def _strays(session: int, parent: int) -> list[int]:
    """Live processes (not zombies) of ``session`` or children of ``parent``, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == parent:
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                text = handle.read()
        except OSError:  # gone meanwhile
            continue
        state, ppid, _, sid = text[text.rindex(b")") + 2 :].split()[:4]
        if state != b"Z" and (int(sid) == session or int(ppid) == parent):
            found.append(int(entry))
    return found


def _kill(pid: int, *, group: bool = False) -> bool:
    """SIGKILL a process (or group); whether it was there to be killed."""
    try:
        (os.killpg if group else os.kill)(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _watchdog(ctl: int, ikou: int, argv: list[str]) -> int:  # pragma: no cover - watchdog
    """The watchdog process of :func:`run_child`; its exit status mirrors the program's.

    A stop signal (the parent-death signal among them) only writes to a wake-up
    pipe that :func:`_watch` selects on, so it cannot interrupt the cleanup.
    """
    linux = sys.platform.startswith("linux")
    os.set_inheritable(ctl, False)
    os.umask(0o077)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    for number in _STOP_SIGNALS:
        signal.signal(number, lambda *_: None)
    if linux:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != ikou:  # ikou died before the line above
            return 128 + signal.SIGTERM
    try:
        pid = os.posix_spawn(argv[0], argv, os.environ, setpgroup=0)
    except OSError as exc:
        os.write(2, f"ikou: cannot start {argv[0]}: {exc.strerror}\n".encode())
        return 127
    _watch([ctl, wake_read], pid)
    _kill(pid, group=True)  # its leader not yet reaped, the group id cannot be reused
    _, status = os.waitpid(pid, 0)
    deadline = time.monotonic() + _SWEEP_SECONDS
    while time.monotonic() < deadline:
        if linux:
            left = [p for p in _strays(os.getpid(), os.getpid()) if _kill(p)]
        else:
            left = [pid] if _kill(pid, group=True) else []
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:  # orphans that came to us, the subreaper
                pass
        except ChildProcessError:
            pass
        if not left:
            break
        time.sleep(0.01)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:  # died by a signal: die by it too (without a core file)
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if -code not in (signal.SIGKILL, signal.SIGSTOP):  # those cannot be caught anyway
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        return 128 - code
    return code


def _watch(fds: list[int], pid: int) -> None:  # pragma: no cover - in the watchdog
    """Return when ``pid`` has exited (not reaped) or one of ``fds`` is readable:
    ikou's pipe closed (ikou is done or dead) or a stop signal came."""
    try:
        exited: int | None = os.pidfd_open(pid)  # Linux 5.3+: readable when it exits
    except (AttributeError, OSError):
        exited = None
    watched = fds if exited is None else [*fds, exited]
    while True:
        ready, _, _ = select.select(watched, [], [], 0.05 if exited is None else None)
        if ready:
            return
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return


def _run_in_job(command: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    """:func:`run_child` without a watchdog: Windows (a Job Object), other systems."""
    flags = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
    flags |= getattr(subprocess, "CREATE_NO_WINDOW", 0)
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        creationflags=flags,
    )
    job = _job_killed_on_close(proc) if os.name == "nt" else None
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException as exc:
        _close_job(job)  # kills every process in it
        job = None
        proc.kill()
        proc.communicate()  # returns when no process holds the output pipes
        if isinstance(exc, subprocess.TimeoutExpired):
            raise ChildTimedOut(command, timeout) from None
        raise
    _close_job(job)
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def _job_limits() -> Any:
    """An empty JOBOBJECT_EXTENDED_LIMIT_INFORMATION (144 bytes on 64-bit Windows)."""
    import ctypes

    dword, size = ctypes.c_uint32, ctypes.c_size_t

    class Basic(ctypes.Structure):
        _fields_ = [
            ("per_process_user_time", ctypes.c_int64),
            ("per_job_user_time", ctypes.c_int64),
            ("limit_flags", dword),
            ("min_working_set", size),
            ("max_working_set", size),
            ("active_process_limit", dword),
            ("affinity", size),
            ("priority_class", dword),
            ("scheduling_class", dword),
        ]

    class Extended(ctypes.Structure):
        _fields_ = [
            ("basic", Basic),
            ("io_counters", ctypes.c_uint64 * 6),
            ("process_memory_limit", size),
            ("job_memory_limit", size),
            ("peak_process_memory", size),
            ("peak_job_memory", size),
        ]

    return Extended()


def _job_killed_on_close(proc: subprocess.Popen[bytes]) -> int | None:  # pragma: no cover
    """A Job Object holding ``proc`` whose processes the OS kills when its last
    handle closes (ikou's, at the latest when ikou dies); ``None`` if it cannot be made."""
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.CreateJobObjectW.restype = wintypes.HANDLE
    kernel32.CreateJobObjectW.argtypes = (ctypes.c_void_p, wintypes.LPCWSTR)
    kernel32.SetInformationJobObject.argtypes = (
        wintypes.HANDLE,
        ctypes.c_int,
        ctypes.c_void_p,
        wintypes.DWORD,
    )
    kernel32.AssignProcessToJobObject.argtypes = (wintypes.HANDLE, wintypes.HANDLE)
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        return None
    limits = _job_limits()
    limits.basic.limit_flags = 0x2000  # JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    info = 9  # JobObjectExtendedLimitInformation
    if kernel32.SetInformationJobObject(
        job, info, ctypes.byref(limits), ctypes.sizeof(limits)
    ) and kernel32.AssignProcessToJobObject(job, int(proc._handle)):  # type: ignore[attr-defined]
        return int(job)
    _close_job(int(job))
    return None


def _close_job(job: int | None) -> None:  # pragma: no cover - Windows only
    """Close ikou's handle to ``job``: the OS kills what is left in it."""
    if job is not None:
        import ctypes
        from ctypes import wintypes

        close = ctypes.WinDLL("kernel32").CloseHandle  # type: ignore[attr-defined]
        close.argtypes = (wintypes.HANDLE,)
        close(job)


if __name__ == "__main__" and sys.argv[1:2] == [_WATCHDOG]:  # pragma: no cover
    sys.exit(_watchdog(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]))
