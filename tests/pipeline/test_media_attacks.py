"""Attacks on registered media by an insider who can write the workspace, the
medium and the PC's media folder, and run ikou, but cannot read the key store.

Each test is one attack, through the folder simulation (``IKOU_MEDIA_BAY``);
it passes when ikou refuses it with one clear sentence (exit 2 or 1), never a
traceback, and never touches a file it did not write.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ikou.audit.chain import audit_key, canonical_json, key_folder
from ikou.errors import (
    CheckFailed,
    IkouError,
    ImportFileError,
    MediaError,
    MediaUnavailableError,
)
from ikou.pipeline.importfiles import Imports
from ikou.pipeline.media import erase as erase_module
from ikou.pipeline.media import gate as gate_module
from ikou.pipeline.media import register as register_module
from ikou.pipeline.media.devices import make_folder_medium
from ikou.pipeline.media.erase import erase_medium
from ikou.pipeline.media.gate import media_window
from ikou.pipeline.media.register import (
    IDENTITY,
    USAGE,
    check_medium,
    media_folder,
    media_log,
    note,
    register,
    registered,
    retire,
    write_record,
)
from ikou.pipeline.media.watch import answered, insertions_between, watch, watching
from ikou.pipeline.plan import load_plan
from ikou.pipeline.run import rehearse
from ikou.pipeline.session import open_session, utc_now
from tests.conftest import chain_events
from tests.pipeline.conftest import ikou
from tests.pipeline.test_importfile import ROWS, small_plan

POSIX = pytest.mark.skipif(
    os.name != "posix", reason="symbolic links, SIGSTOP and flock as POSIX systems have them"
)


@pytest.fixture
def bay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder standing in for the PC's USB ports, and a media log of this test's own."""
    folder = tmp_path / "usb"
    folder.mkdir()
    monkeypatch.setenv("IKOU_MEDIA_BAY", str(folder))
    monkeypatch.setenv("IKOU_MEDIA_DIR", str(tmp_path / "pc-media"))
    return folder


def _to_medium(plan: Path, path: str) -> Path:
    """``plan`` (the small one-table plan) with its rehearsal file written to ``path``."""
    text = plan.read_text("utf-8")
    plan.write_text(text.replace("format: csv\n", f"format: csv\n      rehearsal_path: {path}\n"))
    return plan


def _written_stick(bay: Path, tmp_path: Path, name: str = "stick-1", sub: str = "") -> Path:
    """A registered stick that a rehearsal wrote ``people.csv`` onto (in ``sub``)."""
    stick = make_folder_medium(bay, name)
    register(stick, "税務 花子")
    if sub:
        (stick / sub).mkdir(parents=True)
    where = f"../usb/{name}/{sub + '/' if sub else ''}people.csv"
    plan = _to_medium(small_plan(tmp_path / f"p-{name}", "format: csv"), where)
    assert rehearse(plan).report.status == "reconciled"
    return stick


def _forge_event(outcome: str, **facts: Any) -> None:
    """Append an event the media log verifies (as a buggy or older ikou might write
    it): the attacker cannot, but ikou must read whatever verifies without a crash."""
    note(media_log(), outcome, **facts)


def _at(monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    """Make the media log's clock read ``when``."""
    monkeypatch.setattr(register_module, "utc_now", lambda: when)


# --------------------------------------------------------------- identity files


@pytest.mark.parametrize(
    "text",
    [
        '{"holder": NaN, "tag": "00"}',  # json.loads takes it; canonical JSON refuses it
        '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}",  # deeper than the parser's stack
        "[1, 2, 3]",  # not an object
        '"just a string"',
        "\udcff".encode("utf-8", "surrogatepass").decode("latin-1"),  # not UTF-8
        '{"format": 1, "medium": [], "holder": {}, "device": "x", "tag": 7}',
    ],
    ids=["nan", "deep", "list", "string", "not-utf8", "wrong-types"],
)
def test_a_malformed_identity_file_is_refused_in_one_sentence(bay: Path, text: str) -> None:
    stick = make_folder_medium(bay, "s")
    register(stick, "税務 花子")
    (stick / IDENTITY).write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(MediaError):
        check_medium(stick / "x.csv")


def test_a_huge_identity_file_is_not_read(bay: Path) -> None:
    stick = make_folder_medium(bay, "s")
    register(stick, "税務 花子")
    with (stick / IDENTITY).open("w", encoding="utf-8") as handle:
        handle.write('{"pad": "' + "x" * (8 << 20) + '"}')
    with pytest.raises(MediaError, match="no readable identity file"):
        check_medium(stick / "x.csv")


def test_an_identity_file_from_before_a_retire_and_register_again_is_refused(
    bay: Path, tmp_path: Path
) -> None:
    stick = make_folder_medium(bay, "s")
    register(stick, "税務 花子")
    old = (stick / IDENTITY).read_bytes()
    erase_medium("USB-001", witness=None)
    register(stick, "税務 次郎")
    (stick / IDENTITY).write_bytes(old)  # the retired registration's genuine file
    with pytest.raises(MediaError, match="belongs to another medium"):
        check_medium(stick / "x.csv")
    retire("USB-002")
    (stick / IDENTITY).unlink()
    (stick / IDENTITY).write_bytes(old)
    with pytest.raises(MediaError, match="not a registered medium"):
        check_medium(stick / "x.csv")


@POSIX
def test_a_registration_across_a_second_boundary_is_usable(
    bay: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not an attack but found by one: the identity file took its time from one
    clock reading and the log from another, so a stick registered as the second
    turned was refused for ever as "another medium"."""
    clock = iter(f"2030-01-01T10:00:{second:02d}Z" for second in range(60))
    monkeypatch.setattr(register_module, "utc_now", lambda: next(clock))
    stick = make_folder_medium(bay, "s")
    register(stick, "税務 花子")
    assert check_medium(stick / "x.csv") is not None


@POSIX
def test_an_identity_folder_linked_to_another_stick_is_refused(bay: Path, tmp_path: Path) -> None:
    """The genuine identity moved to an unregistered stick and linked back: ikou
    would read it through the link and write the usage log onto the other stick."""
    mine, other = make_folder_medium(bay, "mine"), make_folder_medium(bay, "other")
    register(mine, "税務 花子")
    shutil.move(mine / ".ikou-medium", other / ".ikou-medium")
    (mine / ".ikou-medium").symlink_to(other / ".ikou-medium")
    with pytest.raises(MediaError):
        check_medium(mine / "people.csv")
    plan = _to_medium(small_plan(tmp_path / "p", "format: csv"), "../usb/mine/people.csv")
    with pytest.raises(MediaError):
        rehearse(plan)
    assert sorted(p.name for p in (other / ".ikou-medium").iterdir()) == ["identity.json"]


@POSIX
def test_register_does_not_write_the_identity_through_a_link(bay: Path) -> None:
    fresh, other = make_folder_medium(bay, "fresh"), make_folder_medium(bay, "other")
    (other / "box").mkdir()
    (fresh / ".ikou-medium").symlink_to(other / "box")
    with pytest.raises(MediaError):
        register(fresh, "税務 花子")
    assert list((other / "box").iterdir()) == []
    assert registered() == {}


def test_a_usage_log_copied_from_another_stick_is_refused(bay: Path, tmp_path: Path) -> None:
    first = _written_stick(bay, tmp_path, "a")
    second = make_folder_medium(bay, "b")
    register(second, "税務 次郎")
    shutil.copy(first / USAGE, second / USAGE)  # genuine, but another medium's story
    with pytest.raises(MediaError, match="usage log"):
        check_medium(second / "x.csv")


def test_a_usage_log_that_does_not_verify_is_refused_before_a_source_is_read(
    bay: Path, tmp_path: Path
) -> None:
    stick = make_folder_medium(bay, "s")
    register(stick, "税務 花子")
    (stick / USAGE).write_text("not a chain\n", "utf-8")
    with pytest.raises(MediaError, match="usage log"):
        check_medium(stick / "x.csv")


# --------------------------------------------------------------- writing


def test_a_write_to_a_file_gone_from_the_medium_is_one_sentence(bay: Path) -> None:
    stick = make_folder_medium(bay, "s")
    medium = register(stick, "税務 花子")
    with pytest.raises(MediaError):
        write_record(medium, stick / "gone.csv", run_id="r", rows=1, by=["x"])
    (stick / "folder.csv").mkdir()
    with pytest.raises(MediaError):
        write_record(medium, stick / "folder.csv", run_id="r", rows=1, by=["x"])


@POSIX
def test_a_medium_reached_through_a_link_on_the_fixed_disk_is_recorded(
    bay: Path, tmp_path: Path
) -> None:
    """The path in the plan passes through a link before it reaches the stick:
    recorded by its place on the medium, not a crash over two spellings of it."""
    stick = make_folder_medium(bay, "s")
    register(stick, "税務 花子")
    (tmp_path / "shortcut").symlink_to(bay)
    plan = _to_medium(small_plan(tmp_path / "p", "format: csv"), "../shortcut/s/people.csv")
    assert rehearse(plan).report.status == "reconciled"
    (usage,) = chain_events(stick / USAGE)
    assert usage["file"] == "people.csv"


@pytest.mark.parametrize("stage", ["write", "place"])
@pytest.mark.parametrize("registered_too", [False, True], ids=["stranger", "another-registered"])
def test_a_stick_swapped_after_the_check_gets_no_import_file(
    bay: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stage: str, registered_too: bool
) -> None:
    """The registered stick is pulled out after prepare_imports checked it and
    another put in at the same place — unregistered, or registered to someone
    else — just before the file is written, or just before it is placed."""
    stick = make_folder_medium(bay, "s")
    register(stick, "税務 花子")
    stranger = make_folder_medium(bay, "t")
    if registered_too:
        register(stranger, "別の 人")
    stranger = shutil.move(stranger, tmp_path / "drawer")
    real = getattr(Imports, stage)

    def swapped(self: Imports, *args: Any) -> Any:
        shutil.move(stick, tmp_path / "pocket")  # the registered stick out …
        shutil.move(stranger, stick)  # … another one in, at the same place
        return real(self, *args)

    monkeypatch.setattr(Imports, stage, swapped)
    plan = _to_medium(small_plan(tmp_path / "p", "format: csv"), "../usb/s/people.csv")
    with pytest.raises(ImportFileError, match=r"no longer on .*\(medium USB-001 \(holder") as got:
        rehearse(plan)
    assert got.value.message.count(". ") == 0  # one sentence
    assert ("nothing was placed" if stage == "place" else "nothing was written") in str(got.value)
    assert not list(stick.glob("people*")) and not list(stick.glob(".people*"))
    assert not (tmp_path / "pocket" / "people.csv").exists()


@POSIX
def test_a_registration_lock_replaced_by_a_link_is_refused(bay: Path, tmp_path: Path) -> None:
    """``register.lock`` in the media folder made a link to a file outside (or to
    where none is yet): refused in one sentence, nothing registered, and the
    file it points to neither created nor touched."""
    stick = make_folder_medium(bay, "s")
    folder = media_folder()
    folder.mkdir(parents=True)
    theirs, nowhere = tmp_path / "theirs.txt", tmp_path / "not-yet.txt"
    theirs.write_text("not ikou's", "utf-8")
    before = theirs.stat().st_mtime_ns
    for target in (theirs, nowhere):
        (folder / "register.lock").symlink_to(target)
        with pytest.raises(CheckFailed, match=r"register\.lock is a symbolic link") as raised:
            register(stick, "税務 花子")
        assert "Traceback" not in str(raised.value) and "not ikou's" not in str(raised.value)
        (folder / "register.lock").unlink()
    assert theirs.read_text("utf-8") == "not ikou's" and theirs.stat().st_mtime_ns == before
    assert not nowhere.exists()
    assert not (stick / IDENTITY).exists()
    assert register(stick, "税務 花子").id == "USB-001"  # a plain lock again: registered


# --------------------------------------------------------------- erasing


def test_erase_does_not_shred_a_file_put_where_the_usage_log_was(bay: Path, tmp_path: Path) -> None:
    stick = _written_stick(bay, tmp_path)
    notes = stick / "their-notes.txt"
    notes.write_text("not ikou's", "utf-8")
    (stick / USAGE).unlink()
    os.link(notes, stick / USAGE)  # the holder's own file, under the usage log's name
    result = erase_medium("USB-001", witness=None)
    assert notes.read_text("utf-8") == "not ikou's"
    (usage,) = [i for i in result.items if i["file"] == USAGE.as_posix()]
    assert not usage["verified"]


@POSIX
def test_erase_does_not_follow_a_linked_folder_off_the_medium(bay: Path, tmp_path: Path) -> None:
    stick = _written_stick(bay, tmp_path, sub="out/day1")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.move(stick / "out", elsewhere / "out")
    (stick / "out").symlink_to(elsewhere / "out")  # the file ikou wrote, now off the medium
    kept = (elsewhere / "out" / "day1" / "people.csv").read_bytes()
    result = erase_medium("USB-001", witness=None)
    assert (elsewhere / "out" / "day1" / "people.csv").read_bytes() == kept
    (item,) = [i for i in result.items if i["file"] == "out/day1/people.csv"]
    assert not item["verified"]


def test_erase_shreds_only_the_file_it_checked(
    bay: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file swapped in between the check of its bytes and the overwrite."""
    _written_stick(bay, tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's", "utf-8")
    real_hash = erase_module.file_sha256

    def then_swap(path: Path) -> str:
        digest = real_hash(path)
        if path.name == "people.csv":
            os.replace(path, tmp_path / "taken.csv")
            os.link(victim, path)
        return digest

    monkeypatch.setattr(erase_module, "file_sha256", then_swap)
    result = erase_medium("USB-001", witness=None)
    assert victim.read_text("utf-8") == "someone else's"
    (item,) = [i for i in result.items if i["file"] == "people.csv"]
    assert not item["verified"]


def test_erase_does_not_overwrite_a_hard_link_outside_the_medium(bay: Path, tmp_path: Path) -> None:
    stick = _written_stick(bay, tmp_path)
    outside = tmp_path / "kept-copy.csv"
    os.link(stick / "people.csv", outside)
    before = outside.read_bytes()
    result = erase_medium("USB-001", witness=None)
    assert outside.read_bytes() == before
    (item,) = [i for i in result.items if i["file"] == "people.csv"]
    assert not item["verified"]


@POSIX
def test_erase_writes_no_certificate_through_a_link(bay: Path, tmp_path: Path) -> None:
    stick = _written_stick(bay, tmp_path)
    stranger = make_folder_medium(bay, "stranger")
    (media_folder() / "certificates").symlink_to(stranger)
    with pytest.raises(MediaError):
        erase_medium("USB-001", witness=None)
    assert sorted(p.name for p in stranger.iterdir()) == [".ikou-device"]
    assert (stick / "people.csv").exists()  # refused before anything was destroyed
    assert registered()["USB-001"].retired is None


def test_erase_with_the_medium_pulled_out_midway_is_one_sentence(
    bay: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _written_stick(bay, tmp_path)

    def pulled(path: Path) -> str:
        raise FileNotFoundError(2, "No such file or directory", str(path))

    monkeypatch.setattr(erase_module, "file_sha256", pulled)
    result = erase_medium("USB-001", witness=None)
    (item,) = [i for i in result.items if i["file"] == "people.csv"]
    assert not item["verified"]


def test_erase_refuses_a_written_event_of_unexpected_types(bay: Path) -> None:
    stick = make_folder_medium(bay, "s")
    register(stick, "税務 花子")
    _forge_event("written", medium="USB-001", file=["a"], sha256=None)
    with pytest.raises(IkouError):
        erase_medium("USB-001", witness=None)


def test_erase_never_leaves_the_medium_through_dot_dot(bay: Path, tmp_path: Path) -> None:
    stick = make_folder_medium(bay, "s")
    register(stick, "税務 花子")
    outside = bay / "outside.txt"
    outside.write_text("x", "utf-8")
    digest = hashlib.sha256(b"x").hexdigest()
    _forge_event("written", medium="USB-001", file="../outside.txt", sha256=digest)
    result = erase_medium("USB-001", witness=None)
    assert outside.read_text("utf-8") == "x"
    (item,) = [i for i in result.items if i["file"] == "../outside.txt"]
    assert not item["verified"]


# --------------------------------------------------------------- the media log


def test_a_media_log_line_of_unexpected_types_is_one_sentence(bay: Path) -> None:
    _forge_event("registered", medium="USB-001", holder="x", device="not a dict")
    done = ikou("media", "list")
    assert done.returncode in (1, 2), done.stderr
    assert "internal error" not in done.stderr


def test_an_insertion_line_of_unexpected_types_is_one_sentence(bay: Path) -> None:
    _forge_event("inserted", device=["x"], label={"a": 1}, medium=5)
    with pytest.raises(IkouError):
        insertions_between("0000", "9999")


@POSIX
def test_a_media_log_rolled_back_through_a_link_is_refused(bay: Path, tmp_path: Path) -> None:
    stick = make_folder_medium(bay, "s")
    register(stick, "税務 花子")
    log = media_folder() / "media.log"
    shutil.copy(log, tmp_path / "before-retire.log")
    retire("USB-001")
    log.unlink()
    log.symlink_to(tmp_path / "before-retire.log")
    with pytest.raises(IkouError):
        check_medium(stick / "x.csv")


@POSIX
def test_a_media_folder_rolled_back_through_a_link_is_refused(bay: Path, tmp_path: Path) -> None:
    stick = make_folder_medium(bay, "s")
    register(stick, "税務 花子")
    shutil.copytree(media_folder(), tmp_path / "before-retire")
    retire("USB-001")
    shutil.move(media_folder(), tmp_path / "put-aside")
    media_folder().symlink_to(tmp_path / "before-retire")
    with pytest.raises(IkouError):
        check_medium(stick / "x.csv")


@POSIX
def test_a_lock_file_link_makes_ikou_create_nothing_elsewhere(bay: Path) -> None:
    stranger = make_folder_medium(bay, "stranger")
    media_folder().mkdir(parents=True)
    (media_folder() / "watch.lock").symlink_to(stranger / "planted")
    (media_folder() / "media.log.lock").symlink_to(stranger / "planted2")
    assert not watching()
    with pytest.raises(IkouError):
        media_log()
    assert sorted(p.name for p in stranger.iterdir()) == [".ikou-device"]


def test_a_lock_folder_is_one_sentence(bay: Path) -> None:
    (media_folder() / "watch.lock").mkdir(parents=True)
    assert not watching()
    done = ikou("media", "watch", "--for", "1")
    assert done.returncode == 2, done.stderr
    assert "internal error" not in done.stderr


# --------------------------------------------------------------- watching


def _production_session(production_plan: Path, rule: str) -> Any:
    production_plan.write_text(production_plan.read_text("utf-8") + f"media: {rule}\n", "utf-8")
    session = open_session(load_plan(production_plan), "production")
    session.recorder.note("run", "started", plan_sha256=session.plan.sha256)
    return session


def _start(session: Any) -> str:
    (started,) = [
        e["time"]
        for e in session.writer.events()
        if e.get("run_id") == session.run_id and e.get("stage") == "run"
    ]
    return str(started)


def _watcher() -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "ikou", "media", "watch", "--for", "60"],
        stdout=subprocess.DEVNULL,
        text=True,
    )
    for _ in range(100):
        if watching():
            time.sleep(0.5)
            return process
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the watcher did not start")


@POSIX
def test_a_watcher_killed_and_started_again_is_not_a_watched_run(
    bay: Path, production_plan: Path
) -> None:
    first = _watcher()
    second = None
    try:
        session = _production_session(production_plan, "none")
        time.sleep(1.1)  # the window's times are to the second
        first.send_signal(signal.SIGKILL)
        first.wait()
        make_folder_medium(bay, "smuggled")  # nobody is watching
        time.sleep(0.5)
        shutil.rmtree(bay / "smuggled")
        second = _watcher()
        assert answered()  # the new watcher is alive …
        assert not insertions_between(_start(session), utc_now())[1]  # … but came in late
        with pytest.raises(CheckFailed) as caught:
            media_window(session, {})
        assert caught.value.slug == "media.not_watched"
        session.fail(caught.value)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait()


@POSIX
def test_a_killed_watcher_whose_lock_is_held_by_someone_else_is_not_a_watcher(
    bay: Path, production_plan: Path
) -> None:
    first = _watcher()
    try:
        session = _production_session(production_plan, "none")
        first.send_signal(signal.SIGKILL)
        first.wait()
        import fcntl

        fd = os.open(media_folder() / "watch.lock", os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # "a watcher is running"
        try:
            time.sleep(1.1)
            make_folder_medium(bay, "smuggled")
            assert watching() and insertions_between(_start(session), utc_now())[1]
            assert not answered(timeout=1.5)  # a lock is no watcher
            with pytest.raises(CheckFailed) as caught:
                media_window(session, {})
            assert caught.value.slug == "media.not_watched"
            session.fail(caught.value)
        finally:
            os.close(fd)
    finally:
        if first.poll() is None:
            first.kill()


@POSIX
def test_a_watcher_stopped_while_a_stick_came_and_went_is_not_a_watched_run(
    bay: Path, production_plan: Path
) -> None:
    first = _watcher()
    try:
        session = _production_session(production_plan, "none")
        time.sleep(1.1)
        first.send_signal(signal.SIGSTOP)
        make_folder_medium(bay, "smuggled")
        time.sleep(1)
        shutil.rmtree(bay / "smuggled")
        time.sleep(3)
        first.send_signal(signal.SIGCONT)
        time.sleep(1.5)
        assert "watch-gap" in [e["outcome"] for e in chain_events(media_folder() / "media.log")]
        with pytest.raises(CheckFailed) as caught:
            media_window(session, {})
        assert caught.value.slug == "media.not_watched"
        session.fail(caught.value)
    finally:
        first.send_signal(signal.SIGCONT)
        first.terminate()
        first.wait()


def test_a_stick_in_before_the_run_and_out_during_it_fails_media_none(
    bay: Path, production_plan: Path
) -> None:
    stick = make_folder_medium(bay, "early")
    first = _watcher()
    try:
        session = _production_session(production_plan, "none")
        time.sleep(1.1)
        shutil.move(stick, bay.parent / "pocket")
        time.sleep(1)
        with pytest.raises(CheckFailed) as caught:
            media_window(session, {})
        assert caught.value.slug == "media.inserted"
        session.fail(caught.value)
    finally:
        first.terminate()
        first.wait()


def test_a_stick_in_the_pc_at_the_commit_fails_media_none(bay: Path, production_plan: Path) -> None:
    make_folder_medium(bay, "early")  # in before the watcher, so never "inserted"
    first = _watcher()
    try:
        session = _production_session(production_plan, "none")
        with pytest.raises(CheckFailed, match="mounted in this PC") as caught:
            media_window(session, {})
        assert caught.value.slug == "media.inserted"
        session.fail(caught.value)
    finally:
        first.terminate()
        first.wait()


def test_a_live_watcher_over_the_whole_run_passes(bay: Path, production_plan: Path) -> None:
    """The control for the attacks above: an honest watcher is believed."""
    first = _watcher()
    try:
        session = _production_session(production_plan, "{watch: required}")
        extra: dict[str, Any] = {}
        media_window(session, extra)
        assert extra["media"]["watched"] is True
        session.fail(RuntimeError("test"))
    finally:
        first.terminate()
        first.wait()


def test_a_watcher_of_the_folder_simulation_is_no_watcher_of_real_media(
    bay: Path, production_plan: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _watcher()  # IKOU_MEDIA_BAY set for it: it sees only the folder
    try:
        session = _production_session(production_plan, "none")
        monkeypatch.setattr(gate_module, "_backend", lambda: "udev")  # the run's real devices
        with pytest.raises(CheckFailed) as caught:
            media_window(session, {})
        assert caught.value.slug == "media.not_watched"
        session.fail(caught.value)
    finally:
        first.terminate()
        first.wait()


def test_the_watcher_names_a_medium_registered_or_retired_after_it_started(
    bay: Path, tmp_path: Path
) -> None:
    """The report must not name a retired stick's old holder, nor call a freshly
    registered one unregistered."""
    old = make_folder_medium(bay, "old")
    register(old, "税務 花子")
    shutil.move(old, tmp_path / "old")
    stop = threading.Event()
    heard: list[dict[str, Any]] = []
    thread = threading.Thread(target=watch, args=(stop, heard.append))
    thread.start()
    try:
        time.sleep(0.5)
        retire("USB-001")
        shutil.move(tmp_path / "old", bay / "old")  # a retired stick: not registered
        new = make_folder_medium(bay, "new")
        time.sleep(0.6)
        register(new, "税務 次郎")
        shutil.move(new, tmp_path / "new")  # its removal names it
        for _ in range(50):
            if len(heard) >= 3:
                break
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join()
    seen = {(e["outcome"], Path(e["node"]).name): e["medium"] for e in heard}
    assert seen[("inserted", "old")] is None
    assert seen[("removed", "new")] == "USB-002"


def test_a_clock_that_went_back_hides_no_insertion(
    bay: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _at(monkeypatch, "2030-01-01T10:00:00Z")
    _forge_event("watch-started", backend="folder")
    _at(monkeypatch, "2030-01-01T10:09:00Z")  # the clock ran ahead …
    _forge_event("heartbeat-like", note="x")
    _at(monkeypatch, "2030-01-01T10:02:00Z")  # … and was set right
    _forge_event("inserted", device={"serial": "abcdef123456"}, medium=None, holder=None)
    found, _ = insertions_between("2030-01-01T10:01:00Z", "2030-01-01T10:05:00Z")
    assert [e.action for e in found] == ["inserted"]


# --------------------------------------------------------------- what a log may say


def test_no_cell_value_reaches_a_media_log_a_usage_log_or_an_erase(
    bay: Path, tmp_path: Path
) -> None:
    stick = _written_stick(bay, tmp_path)
    done = ikou("media", "erase", "USB-001")
    assert done.returncode == 0, done.stderr
    certificate = Path(done.stdout.split("certificate:")[1].split()[0])
    texts = [
        (media_folder() / "media.log").read_text("utf-8"),
        done.stdout + done.stderr,
        certificate.read_text("utf-8"),
        certificate.with_name("report.json").read_text("utf-8"),
    ]
    values = {cell for row in ROWS for cell in row[1:] if len(cell) > 2}
    for text in texts:
        assert not [v for v in values if v in text]
    assert not stick.joinpath(USAGE).exists()


def _line_quoting(value: str) -> bytes:
    """A chain line whose hash is right (anyone can compute it) and whose body repeats
    a key named ``value``: the verifier's sentence would quote it."""
    body = f'{{"{value}":1,"{value}":2,"seq":1}}'.encode()
    digest = hashlib.sha256(body).hexdigest()
    return body[:-1] + f',"hash":"{digest}","tag":"{"0" * 64}"}}\n'.encode()


def test_a_planted_log_line_brings_no_value_into_a_message(bay: Path) -> None:
    value = ROWS[0][1]  # a name from the source data
    stick = make_folder_medium(bay, "s")
    register(stick, "税務 花子")
    (stick / USAGE).write_bytes(_line_quoting(value))
    with pytest.raises(MediaError) as caught:
        check_medium(stick / "x.csv")
    assert value not in str(caught.value)
    log = media_folder() / "media.log"
    log.write_bytes(log.read_bytes() + _line_quoting(value))
    with pytest.raises(IkouError) as caught_again:
        media_log()
    assert value not in str(caught_again.value)


# --------------------------------------------------------------- other systems


def test_an_os_without_media_support_says_so_and_plans_without_media_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IKOU_MEDIA_BAY", raising=False)
    monkeypatch.setenv("IKOU_MEDIA_DIR", str(tmp_path / "pc-media"))
    monkeypatch.setattr(sys, "platform", "darwin")
    assert check_medium(tmp_path / "x.csv") is None  # a plan's own files: as before
    with pytest.raises(MediaUnavailableError, match="not available on this OS"):
        register(tmp_path, "税務 花子")
    with pytest.raises(MediaUnavailableError, match="not available on this OS"):
        watch(threading.Event())
    assert not (media_folder() / "media.log").exists() or all(
        e["outcome"] != "watch-stopped" for e in chain_events(media_folder() / "media.log")
    )
    plan = small_plan(tmp_path / "p", "format: csv")
    assert rehearse(plan).report.status == "reconciled"


def test_a_plan_without_media_runs_where_pyudev_cannot_load(tmp_path: Path) -> None:
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "pyudev.py").write_text("raise ImportError('libudev.so.1 not found')\n", "utf-8")
    plan = small_plan(tmp_path / "p", "format: csv")
    env = {k: v for k, v in os.environ.items() if k != "IKOU_MEDIA_BAY"}
    env["PYTHONPATH"] = os.pathsep.join([str(fake), env.get("PYTHONPATH", "")])
    env["IKOU_MEDIA_DIR"] = str(tmp_path / "pc-media")
    done = subprocess.run(
        [sys.executable, "-m", "ikou", "rehearse", str(plan)],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "ikou", "media", "register", str(tmp_path), "--holder", "x"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert listed.returncode == 2 and "pyudev" in listed.stderr, listed.stderr


def test_an_identity_tag_is_over_the_canonical_body(bay: Path) -> None:
    """A sanity check the attacks above rely on: the tag covers exactly the body."""
    stick = make_folder_medium(bay, "s")
    register(stick, "税務 花子")
    body = json.loads((stick / IDENTITY).read_text("utf-8"))
    tag = body.pop("tag")
    key = audit_key(key_folder())
    assert key is not None and key.tag(canonical_json(body)) == tag
