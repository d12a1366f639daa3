"""run_child: an outside program and everything it starts die with ikou."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from ikou.audit.children import ChildTimedOut, run_child

REPO = Path(__file__).resolve().parents[2]

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc, which only Linux has"
)


def _sleeper(tag: str) -> list[str]:
    """A shell that starts a background sleep (a grandchild) and sleeps itself; the
    odd durations (``60.<tag>``) let the test find both in /proc."""
    return ["sh", "-c", f"sleep 60.{tag} & sleep 60.{tag}"]


def _alive(tag: str) -> list[int]:
    """The ``sleep 60.<tag>`` processes (not zombies) there are."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        sleeping = cmdline.split(b"\0")[:2] == [b"sleep", f"60.{tag}".encode()]
        if sleeping and stat[stat.rindex(b")") + 2 :][:1] != b"Z":
            found.append(int(entry))
    return found


def _until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def _tag() -> str:
    return str(uuid.uuid4().int)[:9]


@linux_only
def test_output_and_status_come_back_and_nothing_is_left_running() -> None:
    tag = _tag()
    done = run_child(["sh", "-c", f"echo out; echo err >&2; sleep 60.{tag} & exit 3"], timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (3, b"out\n", b"err\n")
    assert _alive(tag) == []  # the background sleep outlived its shell: killed before returning
    for number in (signal.SIGTERM, signal.SIGKILL):  # a signal's death, as subprocess says it
        assert run_child(["sh", "-c", f"kill -{int(number)} $$"], timeout=30).returncode == -number
    assert run_child(["sh", "-c", "umask"], timeout=30).stdout == b"0077\n"
    with pytest.raises(FileNotFoundError):
        run_child([f"no-such-program-{tag}"], timeout=30)


@linux_only
def test_a_hard_killed_parent_takes_its_child_and_grandchild_along() -> None:
    tag = _tag()
    code = f"from audit.children import run_child; run_child({_sleeper(tag)!r}, timeout=120)"
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdin=subprocess.DEVNULL)
    try:
        assert _until(lambda: len(_alive(tag)) == 2, 10), "the two sleeps never started"
        os.kill(parent.pid, signal.SIGKILL)  # no finally, no atexit: as a power cut
        parent.wait()
        assert _until(lambda: _alive(tag) == [], 5), f"still running: {_alive(tag)}"
    finally:
        parent.kill()
        for pid in _alive(tag):
            os.kill(pid, signal.SIGKILL)


@linux_only
def test_a_forked_copy_of_the_pipe_does_not_keep_the_program_alive(tmp_path: Path) -> None:
    """A child ikou forks (not exec's) while the program runs holds the pipe's write
    end too; the watchdog's parent-death signal ends the program all the same."""
    tag = _tag()
    holder = tmp_path / "holder.pid"
    code = (
        "import os, threading, time\n"
        "from audit.children import run_child\n"
        "def fork():\n"
        "    time.sleep(0.3)\n"
        "    if os.fork() == 0:\n"
        f"        open({str(holder)!r}, 'w').write(str(os.getpid()))\n"
        "        time.sleep(30)\n"
        "        os._exit(0)\n"
        "threading.Thread(target=fork, daemon=True).start()\n"
        f"run_child({_sleeper(tag)!r}, timeout=120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdin=subprocess.DEVNULL)
    try:
        assert _until(lambda: len(_alive(tag)) == 2 and holder.exists(), 10)
        time.sleep(0.05)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert _until(lambda: _alive(tag) == [], 5), f"still running: {_alive(tag)}"
    finally:
        parent.kill()
        forked = holder.read_text() if holder.exists() else ""
        for pid in _alive(tag) + ([int(forked)] if forked else []):
            os.kill(pid, signal.SIGKILL)


@linux_only
def test_a_program_that_overruns_is_killed_with_its_descendants() -> None:
    tag = _tag()
    started = time.monotonic()
    with pytest.raises(ChildTimedOut) as raised:
        run_child(_sleeper(tag), timeout=0.5)
    assert time.monotonic() - started < 5
    assert isinstance(raised.value, subprocess.TimeoutExpired)
    assert raised.value.timeout == 0.5
    assert _alive(tag) == []


@linux_only
def test_ctrl_c_kills_the_program_before_it_propagates() -> None:
    tag = _tag()

    def interrupt(number: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with pytest.raises(KeyboardInterrupt):
            run_child(_sleeper(tag), timeout=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert _alive(tag) == []


@pytest.mark.skipif(ctypes.sizeof(ctypes.c_void_p) != 8, reason="the layout checked is 64-bit")
def test_the_windows_job_limits_have_the_documented_layout() -> None:
    from ikou.audit.children import _job_limits

    limits = _job_limits()
    assert ctypes.sizeof(limits) == 144  # JOBOBJECT_EXTENDED_LIMIT_INFORMATION on x64
    assert type(limits).basic.offset == 0
    assert type(limits.basic).limit_flags.offset == 16
