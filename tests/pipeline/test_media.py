"""Registered media through the folder simulation (``IKOU_MEDIA_BAY``): register,
refuse, log who wrote what, watch insertions, enforce a plan's rule, erase.

The Linux backend itself is tested against a loop device in test_devices.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ikou.errors import CheckFailed, MediaError
from ikou.pipeline.media import register as register_module
from ikou.pipeline.media.devices import make_folder_medium
from ikou.pipeline.media.register import (
    IDENTITY,
    USAGE,
    check_medium,
    media_folder,
    register,
    registered,
    retire,
)
from tests.conftest import chain_events
from tests.pipeline.conftest import SIGNOFF, ikou
from tests.pipeline.test_importfile import small_plan


@pytest.fixture
def bay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder standing in for the PC's USB ports, and a media log of this test's own."""
    folder = tmp_path / "usb"
    folder.mkdir()
    monkeypatch.setenv("IKOU_MEDIA_BAY", str(folder))
    monkeypatch.setenv("IKOU_MEDIA_DIR", str(tmp_path / "pc-media"))
    return folder


def _media_events() -> list[dict[str, object]]:
    return chain_events(media_folder() / "media.log")


def _to_medium(plan: Path, path: str) -> Path:
    """``plan`` (the small one-table plan) with its rehearsal file written to ``path``."""
    text = plan.read_text("utf-8")
    plan.write_text(text.replace("format: csv\n", f"format: csv\n      rehearsal_path: {path}\n"))
    return plan


def test_register_writes_an_identity_file_and_records_it(bay: Path) -> None:
    stick = make_folder_medium(bay, "stick-1", label="TAX01")
    done = ikou("media", "register", str(stick), "--holder", "税務 花子")
    assert done.returncode == 0, done.stderr
    assert "USB-001" in done.stdout
    identity = json.loads((stick / IDENTITY).read_text("utf-8"))
    assert identity["holder"] == "税務 花子" and identity["medium"] == "USB-001"
    assert len(identity["tag"]) == 64
    again = ikou("media", "register", str(stick), "--holder", "別人")
    assert again.returncode == 2 and "already registered as medium USB-001" in again.stderr
    listed = ikou("media", "list")
    assert "USB-001  税務 花子  TAX01" in listed.stdout and "in use" in listed.stdout
    fixed = ikou("media", "register", str(bay), "--holder", "x")  # the bay itself: no stick
    assert fixed.returncode == 2 and "not on a removable medium" in fixed.stderr
    assert [e["outcome"] for e in _media_events()] == ["registered"]


def test_two_registrations_at_once_get_two_ids(bay: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two sticks registered at the same moment (two threads, each with its own
    lock file handle, as two processes would have): each reads the log and
    chooses its id only when the other is done. Without the lock both would read
    an empty log, wait at the barrier and choose USB-001."""
    sticks = [make_folder_medium(bay, f"stick-{n}") for n in (1, 2)]
    barrier = threading.Barrier(2)
    real = register_module.registered

    def slow(*args: object) -> object:
        found = real(*args)  # type: ignore[arg-type]
        try:
            barrier.wait(timeout=1)  # both here at once only if nothing serialises them
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(register_module, "registered", slow)
    ids: dict[int, str] = {}
    failed: list[BaseException] = []

    def one(n: int) -> None:
        try:
            ids[n] = register(sticks[n], f"係員 {n}").id
        except BaseException as exc:  # pragma: no cover - reported below
            failed.append(exc)

    threads = [threading.Thread(target=one, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failed, failed
    assert sorted(ids.values()) == ["USB-001", "USB-002"]
    monkeypatch.setattr(register_module, "registered", real)
    assert sorted(registered()) == ["USB-001", "USB-002"]
    for n, stick in enumerate(sticks):
        assert json.loads((stick / IDENTITY).read_text("utf-8"))["medium"] == ids[n]
    assert [e["medium"] for e in _media_events()] == sorted(ids.values())


def test_a_write_to_an_unregistered_medium_is_refused_before_a_source_is_read(
    bay: Path, tmp_path: Path
) -> None:
    make_folder_medium(bay, "stranger")
    plan = _to_medium(small_plan(tmp_path / "p", "format: csv"), "../usb/stranger/people.csv")
    done = ikou("rehearse", str(plan))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "is not a registered medium" in done.stderr and "Nothing was written" in done.stderr
    assert sorted(p.name for p in (bay / "stranger").iterdir()) == [".ikou-device"]
    events = chain_events(tmp_path / "p" / "ikou-work" / "audit.log")
    assert "extract" not in {e["stage"] for e in events}


def test_a_write_to_a_registered_medium_is_logged_on_the_pc_in_the_run_and_on_it(
    bay: Path, tmp_path: Path
) -> None:
    stick = make_folder_medium(bay, "stick-1")
    register(stick, "税務 花子")
    plan = _to_medium(small_plan(tmp_path / "p", "format: csv"), "../usb/stick-1/people.csv")
    done = ikou("rehearse", str(plan))
    assert done.returncode == 0, done.stdout + done.stderr
    written = stick / "people.csv"
    assert written.read_bytes().startswith(b"person_id")
    run = chain_events(tmp_path / "p" / "ikou-work" / "audit.log")
    (ours,) = [e for e in run if e["stage"] == "media"]
    assert ours["outcome"] == "written" and ours["medium"] == "USB-001"
    assert ours["file"] == "people.csv" and ours["rows"] == 5
    assert ours["by"] and ours["by"][0].endswith("(OS account)")
    on_medium = chain_events(stick / USAGE)
    assert [e["sha256"] for e in on_medium] == [ours["sha256"]]
    assert on_medium[0]["run_id"] == ours["run_id"] and on_medium[0]["by"] == ours["by"]
    pc = [e for e in _media_events() if e["outcome"] == "written"]
    assert pc and pc[0]["sha256"] == ours["sha256"]
    report = json.loads(
        next((tmp_path / "p" / "ikou-work" / "runs").glob("*/report.json")).read_text("utf-8")
    )
    (facts,) = report["import_files"]
    assert facts["kept"] == "rehearsal_path" and facts["medium"] == "USB-001 (税務 花子)"


def test_an_identity_file_copied_or_edited_is_detected(bay: Path) -> None:
    first, second = make_folder_medium(bay, "a"), make_folder_medium(bay, "b")
    register(first, "税務 花子")
    register(second, "税務 次郎")
    assert check_medium(first / "x.csv") is not None
    shutil.copy(first / IDENTITY, second / IDENTITY)  # the other stick's file, genuine
    with pytest.raises(MediaError, match="belongs to another medium"):
        check_medium(second / "x.csv")
    body = json.loads((first / IDENTITY).read_text("utf-8"))
    body["holder"] = "誰か"
    (first / IDENTITY).write_text(json.dumps(body, ensure_ascii=False), "utf-8")
    with pytest.raises(MediaError, match="not written by ikou"):
        check_medium(first / "x.csv")
    third = make_folder_medium(bay, "c")
    shutil.copytree(first / ".ikou-medium", third / ".ikou-medium")
    with pytest.raises(MediaError, match="not a registered medium"):
        check_medium(third / "x.csv")


def test_a_retired_medium_is_refused(bay: Path) -> None:
    stick = make_folder_medium(bay, "old")
    medium = register(stick, "税務 花子")
    retire(medium.id)
    assert registered()[medium.id].retired
    with pytest.raises(MediaError, match="not a registered medium"):
        check_medium(stick / "x.csv")


def test_watch_records_insertions_and_removals_registered_or_not(bay: Path) -> None:
    known = make_folder_medium(bay, "known")
    register(known, "税務 花子")
    shutil.move(known, bay.parent / "drawer")  # taken out before the watch begins
    watcher = subprocess.Popen(
        [sys.executable, "-m", "ikou", "media", "watch", "--for", "4"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.5)
        shutil.move(bay.parent / "drawer", bay / "known")
        make_folder_medium(bay, "unknown")
        time.sleep(1)
        shutil.rmtree(bay / "unknown")
    finally:
        out, _ = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, out
    events = [e for e in _media_events() if e["outcome"] in ("inserted", "removed")]
    assert [(e["outcome"], e["medium"]) for e in events] == [
        ("inserted", "USB-001"),
        ("inserted", None),
        ("removed", None),
    ]
    outcomes = [e["outcome"] for e in _media_events()]
    assert outcomes[1] == "watch-started" and outcomes[-1] == "watch-stopped"
    assert "NOT REGISTERED" in out


def _production(plan: Path, rule: str) -> Path:
    text = plan.read_text("utf-8")
    plan.write_text(text + f"media: {rule}\n", "utf-8")
    return plan


def test_media_none_refuses_a_production_run_without_a_watcher(
    bay: Path, production_plan: Path
) -> None:
    plan = _production(production_plan, "none")
    assert ikou("rehearse", str(plan)).returncode == 0
    done = ikou("migrate", str(plan), "--signoff", str(plan.parent / "signoff.yaml"))
    assert done.returncode == 1 and "preflight check(s) failed" in done.stderr
    report = sorted((plan.parent / "ikou-work" / "runs").glob("*/report.json"))[-1]
    checks = json.loads(report.read_text("utf-8"))["preflight"]
    (check,) = [c for c in checks if c["item"] == "media"]
    assert check["status"] == "fail" and check["code"] == "media_not_watched"


def test_media_none_fails_a_production_run_a_medium_was_inserted_in(
    bay: Path, production_plan: Path
) -> None:
    """The gate itself, in a production session: the watcher records a stick put in
    during the run, and the check before the commit refuses it."""
    from ikou.pipeline.media.gate import media_window
    from ikou.pipeline.media.watch import watch
    from ikou.pipeline.plan import load_plan
    from ikou.pipeline.session import open_session

    plan = load_plan(_production(production_plan, "none"))
    stop = threading.Event()
    heard: list[dict[str, object]] = []
    watcher = threading.Thread(target=watch, args=(stop, heard.append))
    watcher.start()
    try:
        time.sleep(0.5)
        session = open_session(plan, "production")
        session.recorder.note("run", "started", plan_sha256=plan.sha256)
        extra: dict[str, object] = {}
        media_window(session, extra)  # nothing inserted yet: passes
        time.sleep(1.1)  # the window's times are to the second
        make_folder_medium(bay, "smuggled")
        for _ in range(50):
            if heard:
                break
            time.sleep(0.1)
        with pytest.raises(CheckFailed, match=r"media: none") as caught:
            media_window(session, extra)
        assert caught.value.slug == "media.inserted"
        assert extra["media"]["events"][0]["medium"] is None  # type: ignore[index]
        session.fail(caught.value)
    finally:
        stop.set()
        watcher.join()


def test_a_production_run_with_its_watcher_lists_the_window_and_reconciles(
    bay: Path, production_plan: Path
) -> None:
    plan = _production(production_plan, "{watch: required}")
    assert ikou("rehearse", str(plan)).returncode == 0
    watcher = subprocess.Popen([sys.executable, "-m", "ikou", "media", "watch", "--for", "60"])
    try:
        time.sleep(1.5)
        done = ikou("migrate", str(plan), "--signoff", str(plan.parent / "signoff.yaml"))
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    report = sorted((plan.parent / "ikou-work" / "runs").glob("*/report.json"))[-1]
    data = json.loads(report.read_text("utf-8"))
    assert data["media"]["watched"] is True and data["media"]["events"] == []
    assert data["media"]["rule"] == "watch required"
    (check,) = [c for c in data["preflight"] if c["item"] == "media"]
    assert check["status"] == "ok"


def test_erase_destroys_what_ikou_wrote_retires_and_certifies(bay: Path, tmp_path: Path) -> None:
    stick = make_folder_medium(bay, "stick-1")
    register(stick, "税務 花子")
    plan = _to_medium(small_plan(tmp_path / "p", "format: csv"), "../usb/stick-1/people.csv")
    assert ikou("rehearse", str(plan)).returncode == 0
    (stick / "their-notes.txt").write_text("not ikou's", "utf-8")
    done = ikou("media", "erase", "USB-001", "--witness", "立会 次郎")
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in stick.iterdir()) == [".ikou-device", "their-notes.txt"]
    certificate = Path(done.stdout.split("certificate:")[1].split()[0])
    data = json.loads(certificate.with_name("report.json").read_text("utf-8"))
    assert [i["file"] for i in data["items"]] == [
        "people.csv",
        ".ikou-medium/usage.log",
        ".ikou-medium/identity.json",
    ]
    assert all(i["verified"] for i in data["items"]) and data["witness"] == "立会 次郎"
    assert "立会 次郎" in certificate.read_text("utf-8")
    assert registered()["USB-001"].retired
    again = ikou("media", "erase", "USB-001")
    assert again.returncode == 2 and "was retired" in again.stderr


def test_signon_names_are_recorded_for_a_production_write(bay: Path, production_plan: Path) -> None:
    stick = make_folder_medium(bay, "stick-1")
    register(stick, "税務 花子")
    text = production_plan.read_text("utf-8").replace(
        "      format: csv\n", "      format: csv\n      path: ../usb/stick-1/applicants.csv\n", 1
    )
    production_plan.write_text(text, "utf-8")
    assert ikou("rehearse", str(production_plan)).returncode == 0
    done = ikou(
        "migrate", str(production_plan), "--signoff", str(production_plan.parent / "signoff.yaml")
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (usage,) = chain_events(stick / USAGE)
    names = [line.split(":")[1].strip() for line in SIGNOFF.splitlines() if "name" in line]
    assert usage["by"] and all(any(n in who for who in usage["by"]) for n in names if n)
