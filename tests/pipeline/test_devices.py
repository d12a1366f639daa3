"""The removable-media devices: the folder simulation everywhere, udev against a
loop device where the machine allows it (root, losetup, a kernel with loop)."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ikou.errors import MediaUnavailableError
from ikou.pipeline.media import devices as devices_module
from ikou.pipeline.media.devices import (
    DEVICE_FILE,
    Device,
    DeviceEvent,
    FolderDevices,
    LinuxDevices,
    UnavailableDevices,
    WindowsDevices,
    devices,
    make_folder_medium,
)

UTC_SECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
LINUX_ONLY = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="udev is Linux's")


def need(condition: object, reason: str, *, ci_fails: bool = False) -> None:
    """Skip with ``reason`` unless ``condition``; under CI=true fail instead when
    ``ci_fails`` (CI runs as root on Debian with util-linux, so it must test this)."""
    if condition:
        return
    if ci_fails and os.environ.get("CI") == "true":
        pytest.fail(f"CI must run this test: {reason}")
    pytest.skip(reason)


# --- the folder simulation -----------------------------------------------------------


def test_make_folder_medium_writes_a_fresh_serial(tmp_path: Path) -> None:
    bay = tmp_path / "bay"
    root = make_folder_medium(bay, "stick1", label="住宅課 USB")
    assert root == bay / "stick1"
    body = json.loads((root / DEVICE_FILE).read_text(encoding="utf-8"))
    assert set(body) == {"serial", "label", "model"}
    assert re.fullmatch(r"[0-9a-f]{16}", body["serial"])
    assert body["label"] == "住宅課 USB"
    assert body["model"] == "folder-backed medium (simulation)"
    assert [p.name for p in root.iterdir()] == [DEVICE_FILE]  # no partial file left
    other = json.loads((make_folder_medium(bay, "stick2") / DEVICE_FILE).read_text("utf-8"))
    assert other["serial"] != body["serial"]


def test_make_folder_medium_refuses_an_existing_name_and_paths(tmp_path: Path) -> None:
    make_folder_medium(tmp_path, "stick")
    with pytest.raises(FileExistsError):
        make_folder_medium(tmp_path, "stick")
    for bad in ("", ".", "..", "a/b", "a\\b"):
        with pytest.raises(ValueError):
            make_folder_medium(tmp_path, bad)


def test_folder_medium_of_a_path_inside(tmp_path: Path) -> None:
    bay = tmp_path / "bay"
    root = make_folder_medium(bay, "stick", label="L", model="M")
    serial = json.loads((root / DEVICE_FILE).read_text("utf-8"))["serial"]
    (root / "sub").mkdir()
    (root / "sub" / "old.csv").write_text("x\n", encoding="utf-8")
    media = FolderDevices(bay)
    expected = Device(
        backend="folder",
        serial=serial,
        fs_uuid=f"inode-{os.lstat(root).st_ino:x}",
        label="L",
        model="M",
        node=str(root),
        root=root,
    )
    assert media.medium_of(root) == expected
    assert media.medium_of(root / "sub" / "old.csv") == expected
    assert media.medium_of(root / "not" / "yet" / "new.csv") == expected  # nearest parent
    assert media.medium_of(bay / "stick" / "sub" / ".." / "x.csv") == expected
    assert expected.identity() == {
        "backend": "folder",
        "serial": serial,
        "fs_uuid": expected.fs_uuid,
    }


def test_folder_medium_of_anything_else_is_none(tmp_path: Path) -> None:
    bay = tmp_path / "bay"
    make_folder_medium(bay, "stick")
    (bay / "plain").mkdir()
    (bay / "loose.csv").write_text("x\n", encoding="utf-8")
    media = FolderDevices(bay)
    assert media.medium_of(tmp_path / "elsewhere" / "x.csv") is None
    assert media.medium_of(tmp_path) is None
    assert media.medium_of(bay) is None
    assert media.medium_of(bay / "loose.csv") is None
    assert media.medium_of(bay / "plain" / "x.csv") is None
    assert media.medium_of(bay / "stick" / ".." / "plain" / "x.csv") is None
    assert FolderDevices(tmp_path / "no-bay").medium_of(tmp_path / "no-bay" / "x") is None


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b"{}",
        b'{"serial": ""}',
        b'{"serial": 12}',
        b'{"serial": "ab", "label": 3}',
        b'{"serial": "ab", "model": null}',
        b'{"serial": "' + b"a" * 5000 + b'"}',
    ],
)
def test_a_malformed_device_file_is_no_medium(tmp_path: Path, content: bytes) -> None:
    folder = tmp_path / "stick"
    folder.mkdir()
    (folder / DEVICE_FILE).write_bytes(content)
    assert FolderDevices(tmp_path).medium_of(folder / "x.csv") is None


def test_a_device_file_must_be_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "dir-stick" / DEVICE_FILE).mkdir(parents=True)
    real = make_folder_medium(tmp_path / "elsewhere", "real")
    (tmp_path / "link-stick").mkdir()
    try:
        (tmp_path / "link-stick" / DEVICE_FILE).symlink_to(real / DEVICE_FILE)
        (tmp_path / "link-folder").symlink_to(real, target_is_directory=True)
    except OSError:  # pragma: no cover - Windows without symlink rights
        pytest.skip("this account cannot make symlinks")
    media = FolderDevices(tmp_path)
    assert media.medium_of(tmp_path / "dir-stick" / "x.csv") is None
    assert media.medium_of(tmp_path / "link-stick" / "x.csv") is None
    # A symlink in the bay leads to a folder outside it: that is where a file lands.
    assert media.medium_of(tmp_path / "link-folder" / "x.csv") is None
    assert media._present() == []


def test_folder_fs_uuid_follows_the_folder_not_its_files(tmp_path: Path) -> None:
    media = FolderDevices(tmp_path)
    first = media.medium_of(make_folder_medium(tmp_path, "stick"))
    assert first is not None
    (tmp_path / "stick").rename(tmp_path / "moved")
    moved = media.medium_of(tmp_path / "moved")
    assert moved is not None and moved.identity() == first.identity()
    shutil.copytree(tmp_path / "moved", tmp_path / "copy")
    copy = media.medium_of(tmp_path / "copy")
    assert copy is not None and copy.serial == first.serial
    assert copy.identity() != first.identity()


def collect(stream: object) -> tuple[queue.Queue[DeviceEvent], threading.Thread]:
    """Read ``stream`` in a thread into a queue, as a watcher would."""
    found: queue.Queue[DeviceEvent] = queue.Queue()

    def run() -> None:
        for event in stream:  # type: ignore[attr-defined]
            found.put(event)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return found, thread


def test_folder_events_report_changes_only(tmp_path: Path) -> None:
    make_folder_medium(tmp_path, "already")
    (tmp_path / "plain").mkdir()
    media = FolderDevices(tmp_path)
    stop = threading.Event()
    found, thread = collect(media.events(stop))
    try:
        root = make_folder_medium(tmp_path, "stick")
        serial = json.loads((root / DEVICE_FILE).read_text("utf-8"))["serial"]
        inserted = found.get(timeout=5)
        assert (inserted.action, inserted.device.serial) == ("inserted", serial)
        assert inserted.device.root == root
        assert UTC_SECONDS.fullmatch(inserted.time)
        shutil.rmtree(root)
        removed = found.get(timeout=5)
        assert (removed.action, removed.device) == ("removed", inserted.device)
        # Another stick in the same folder: one removal, one insertion.
        swapped = tmp_path / "already" / DEVICE_FILE
        swapped.write_text(json.dumps({"serial": "other"}), encoding="utf-8")
        pair = [found.get(timeout=5), found.get(timeout=5)]
        assert [(e.action, e.device.serial == "other") for e in pair] == [
            ("removed", False),
            ("inserted", True),
        ]
    finally:
        stop.set()
        thread.join(timeout=2)
    assert not thread.is_alive()  # stopped within the poll interval
    assert found.empty()


# --- which backend -------------------------------------------------------------------


def test_devices_is_the_folder_bay_when_set(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("IKOU_MEDIA_BAY", str(tmp_path))
    chosen = devices()
    assert isinstance(chosen, FolderDevices) and chosen.name == "folder"
    assert chosen.bay == tmp_path
    monkeypatch.setenv("IKOU_MEDIA_BAY", str(tmp_path / "missing"))
    with pytest.raises(MediaUnavailableError, match=r"IKOU_MEDIA_BAY names .* not a folder"):
        devices()


@LINUX_ONLY
def test_devices_is_udev_on_linux(monkeypatch) -> None:
    monkeypatch.delenv("IKOU_MEDIA_BAY", raising=False)
    chosen = devices()
    assert isinstance(chosen, LinuxDevices) and chosen.name == "udev"
    assert not chosen.loop


def test_devices_is_the_volume_api_on_windows(monkeypatch) -> None:
    monkeypatch.delenv("IKOU_MEDIA_BAY", raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    chosen = devices()  # made without touching ctypes.windll, which only Windows has
    assert isinstance(chosen, WindowsDevices) and chosen.name == "windows"


def test_devices_elsewhere_refuses(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("IKOU_MEDIA_BAY", raising=False)
    monkeypatch.setattr(sys, "platform", "sunos5")
    chosen = devices()
    assert isinstance(chosen, UnavailableDevices)
    with pytest.raises(MediaUnavailableError, match=r"not available on this OS \(sunos5\)"):
        chosen.medium_of(tmp_path)
    with pytest.raises(MediaUnavailableError, match="not available on this OS") as raised:
        chosen.events(threading.Event())  # refused at the call, not at the first event
    assert raised.value.slug == "media.unavailable"


def test_linux_without_pyudev_refuses(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyudev", None)  # import pyudev now raises ImportError
    with pytest.raises(MediaUnavailableError, match="pyudev is not installed"):
        LinuxDevices().medium_of(tmp_path)


# --- Linux helpers on synthetic input -----------------------------------------------


@LINUX_ONLY
def test_mount_points_from_mountinfo(tmp_path: Path, monkeypatch) -> None:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_bytes(
        b"22 27 0:21 / /proc rw - proc proc rw\n"
        + "40 27 8:17 / /media/u/日本\\040USB\\040STICK rw - vfat /dev/sdb1 rw\n".encode()
        + b"41 27 8:17 /exports /srv/share\\134x rw - vfat /dev/sdb1 rw\n"
        b"42 27 8:18 /sub /only/bind rw - vfat /dev/sdb2 rw\n"
    )
    monkeypatch.setattr(devices_module, "_MOUNTINFO", mountinfo)
    stick = Path("/media/u/日本 USB STICK")
    assert devices_module._mount_point(os.makedev(8, 17)) == stick
    assert devices_module._mount_point(os.makedev(8, 17), stick / "a" / "b.csv") == stick
    share = Path("/srv/share\\x")
    assert devices_module._mount_point(os.makedev(8, 17), share / "x") == share
    assert devices_module._mount_point(os.makedev(8, 18)) is None  # only a bind of a subfolder
    assert devices_module._mount_point(os.makedev(8, 18), Path("/only/bind/x")) == Path(
        "/only/bind"
    )
    assert devices_module._mount_point(os.makedev(9, 1)) is None
    monkeypatch.setattr(devices_module, "_MOUNTINFO", tmp_path / "absent")
    assert devices_module._mount_point(os.makedev(8, 17)) is None


def test_sysfs_serial_is_written_as_udev_writes_it() -> None:
    assert devices_module._udev_serial("  4C530001 2307 ") == "4C530001_2307"
    assert devices_module._udev_serial("a/b\tc*d.e-f:g") == "a_b_c_d.e-f:g"
    assert devices_module._udev_serial("日本 12") == "日本_12"
    assert devices_module._udev_serial("") == ""


class FakeBlock:
    """A block device as pyudev shows it, its sysfs attributes as bytes."""

    def __init__(
        self,
        name: str,
        *,
        size: str | None,
        removable: str = "0",
        disk: FakeBlock | None = None,
        serial: str = "",
    ) -> None:
        self.sys_name = name
        self.sys_path = f"/sys/block/{name}"
        self.device_node = f"/dev/{name}"
        self.device_number = 0  # not mounted
        self.device_type = "partition" if disk is not None else "disk"
        self.disk = disk
        self.attributes = {"removable": removable.encode()}
        if size is not None:
            self.attributes["size"] = f"{size}\n".encode()
        self.properties = {"ID_SERIAL_SHORT": serial} if serial else {}

    def find_parent(self, subsystem: str, device_type: str | None = None) -> FakeBlock | None:
        return self.disk if (subsystem, device_type) == ("block", "disk") else None


class FakeContext:
    def __init__(self, blocks: list[FakeBlock]) -> None:
        self.blocks = blocks

    def list_devices(self, subsystem: str) -> list[FakeBlock]:
        assert subsystem == "block"
        return self.blocks


def test_udev_present_skips_an_empty_card_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A card reader with no card is a removable disk of size 0 in sysfs: no medium,
    so not present; a stick and its partition are; a fixed disk is not."""
    stick = FakeBlock("sdb", size="15633408", removable="1", serial="4C53")
    blocks = [
        FakeBlock("sda", size="500118192"),  # the PC's own disk
        stick,
        FakeBlock("sdb1", size="15631360", disk=stick, serial="4C53"),
        FakeBlock("sdc", size="0", removable="1"),  # an empty card reader
        FakeBlock("sdd", size=None, removable="1", serial="77"),  # no size to read: kept
    ]
    media = LinuxDevices()
    monkeypatch.setattr(media, "_udev", lambda: (None, FakeContext(blocks)))
    monkeypatch.setattr(devices_module, "_BY_UUID", tmp_path / "by-uuid")  # not this PC's
    found = media.present()
    assert [d.node for d in found] == ["/dev/sdb", "/dev/sdb1", "/dev/sdd"]
    assert {d.backend for d in found} == {"udev"} and found[0].serial == "4C53"
    assert all(d.root is None for d in found)  # none mounted


def test_holds_medium_reads_the_sysfs_size() -> None:
    assert not devices_module._holds_medium(FakeBlock("sdc", size="0", removable="1"))
    assert devices_module._holds_medium(FakeBlock("sdb", size="2048", removable="1"))
    assert devices_module._holds_medium(FakeBlock("sdx", size=None, removable="1"))


# --- Linux against a loop device -----------------------------------------------------


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    """Test setup only: a system tool (losetup, mkfs, mount), its output captured."""
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def root_and_loop() -> None:
    need(hasattr(os, "geteuid") and os.geteuid() == 0, "a loop device needs root", ci_fails=True)
    need(Path("/dev/loop-control").exists(), "this kernel offers no /dev/loop-control")


@LINUX_ONLY
def test_udev_medium_of_a_mounted_loop_device(tmp_path: Path) -> None:
    root_and_loop()
    losetup = shutil.which("losetup")
    need(losetup, "losetup (util-linux) is not installed", ci_fails=True)
    mkfs = shutil.which("mkfs.vfat") or shutil.which("mkfs.ext4")
    need(mkfs, "neither mkfs.vfat nor mkfs.ext4 is installed")
    mount, umount = shutil.which("mount"), shutil.which("umount")
    need(mount and umount, "mount/umount are not installed")
    image = tmp_path / "stick.img"
    with image.open("wb") as file:
        file.truncate(8 * 1024 * 1024)
    made = (
        run(str(mkfs), str(image))
        if "vfat" in str(mkfs)
        else run(str(mkfs), "-q", "-F", str(image))
    )
    assert made.returncode == 0, made.stderr
    attached = run(str(losetup), "--find", "--show", str(image))
    need(attached.returncode == 0, f"the kernel refuses a loop device: {attached.stderr.strip()}")
    node = attached.stdout.strip()
    try:
        point = tmp_path / "mnt"
        point.mkdir()
        mounted = run(str(mount), node, str(point))
        need(mounted.returncode == 0, f"mounting {node} is refused: {mounted.stderr.strip()}")
        try:
            real_point = Path(os.path.realpath(point))
            device = LinuxDevices(loop=True).medium_of(point / "x.csv")
            assert device is not None
            assert (device.backend, device.node, device.root) == ("udev", node, real_point)
            assert device.identity()["backend"] == "udev"
            assert LinuxDevices(loop=True).medium_of(point / "new" / "dir" / "y.csv") == device
            assert LinuxDevices().medium_of(point / "x.csv") is None  # a loop is no medium
            assert LinuxDevices(loop=True).medium_of(tmp_path / "x.csv") is None
        finally:
            run(str(umount), str(point))
    finally:
        run(str(losetup), "--detach", node)


LOOP_CTL_ADD, LOOP_CTL_REMOVE = 0x4C80, 0x4C81


@LINUX_ONLY
def test_udev_events_of_a_loop_device_added_and_removed() -> None:
    """A loop device made and removed through /dev/loop-control is an "add" and a
    "remove" from the kernel (and from udevd where it runs). A monitor of this
    test's own tells whether the machine delivers uevents at all: a container in
    a network namespace of its own gets none, which is a skip, not a failure."""
    import fcntl

    import pyudev

    root_and_loop()
    number = 200
    while Path(f"/sys/block/loop{number}").exists():
        number += 1
    node = f"/dev/loop{number}"
    control = pyudev.Monitor.from_netlink(pyudev.Context(), "kernel")
    control.filter_by("block")
    control.start()
    try:
        loop_control = os.open("/dev/loop-control", os.O_RDWR)
    except OSError as exc:
        pytest.skip(f"/dev/loop-control cannot be opened: {exc.strerror}")
    stop = threading.Event()
    found, thread = collect(LinuxDevices(loop=True).events(stop))
    try:
        try:
            fcntl.ioctl(loop_control, LOOP_CTL_ADD, number)
        except OSError as exc:
            pytest.skip(f"the kernel refuses to add {node}: {exc.strerror}")
        deadline, seen = time.monotonic() + 3, False
        while not seen and time.monotonic() < deadline:
            uevent = control.poll(timeout=0.5)
            seen = uevent is not None and uevent.sys_name == f"loop{number}"
        need(seen, f"no kernel uevent for loop{number} reaches this machine (a container?)")

        def next_for_node() -> DeviceEvent:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    event = found.get(timeout=max(0.01, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if event.device.node == node:
                    return event
            raise AssertionError(f"events() gave nothing for {node} within 5 s")

        inserted = next_for_node()
        assert (inserted.action, inserted.device.backend) == ("inserted", "udev")
        assert UTC_SECONDS.fullmatch(inserted.time)
        fcntl.ioctl(loop_control, LOOP_CTL_REMOVE, number)
        removed = next_for_node()
        assert (removed.action, removed.device) == ("removed", inserted.device)
    finally:
        stop.set()
        thread.join(timeout=2)
        if Path(f"/sys/block/loop{number}").exists():
            try:
                fcntl.ioctl(loop_control, LOOP_CTL_REMOVE, number)
            except OSError:
                pass
        os.close(loop_control)
    assert not thread.is_alive()
