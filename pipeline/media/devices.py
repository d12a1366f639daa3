"""Which removable medium holds a path, and when media come and go: the one
OS-specific part of ikou's removable-media feature. Everything above it (the
register, identity files, usage logs, policy) sees only :class:`Device` values,
and no file on a medium is read here except the simulation's ``.ikou-device``.

:func:`devices` picks the backend: ``folder``, a simulation for tests and the
demo (subfolders of ``$IKOU_MEDIA_BAY``); ``udev`` on Linux (pyudev, with sysfs
where udevd does not run); ``windows`` (the Win32 volume API through ctypes,
no pywin32 to install); elsewhere one that raises :class:`MediaUnavailableError`,
so a media policy fails closed instead of guessing.

Known limits: a filesystem on device-mapper (LUKS, LVM) over a USB stick, and on
Windows a USB disk that reports DRIVE_FIXED, count as fixed disks (None); a card
changed in a Linux card reader is a "change", not an insertion.

Longer than 500 lines: the three backends stay in this one module so that all
that differs between operating systems about media is read in one place.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ikou.errors import MediaUnavailableError
from ikou.pipeline.session import utc_now

__all__ = [
    "BAY_VARIABLE",
    "DEVICE_FILE",
    "Device",
    "DeviceEvent",
    "Devices",
    "FolderDevices",
    "LinuxDevices",
    "UnavailableDevices",
    "WindowsDevices",
    "devices",
    "make_folder_medium",
]

BAY_VARIABLE = "IKOU_MEDIA_BAY"
"""The environment variable naming the folder whose subfolders simulate sticks."""
DEVICE_FILE = ".ikou-device"
"""The file that makes a subfolder of the bay a simulated medium."""

_FOLDER_POLL = 0.2  # seconds between two looks at the bay
_WINDOWS_POLL = 0.5  # seconds between two GetLogicalDrives() calls
_UDEV_POLL = 0.5  # the longest a udev poll waits before stop is checked again
_DEVICE_FILE_LIMIT = 4096  # a .ikou-device larger than this is not one ikou made


@dataclass(frozen=True)
class Device:
    """A removable medium as the OS reports it (never anything of its files)."""

    backend: str  # "udev" (Linux), "windows", "folder" (simulation)
    serial: str  # USB serial / Windows volume serial "1A2B-3C4D" / the folder medium's token
    fs_uuid: str  # filesystem UUID / volume GUID path / "inode-<hex>" (folder) / "" unknown
    label: str  # filesystem label, for people to read ("" when none)
    model: str  # vendor and model, for people to read ("" when unknown)
    node: str  # "/dev/sdb1", "E:", or the folder's path
    root: Path | None  # where its filesystem is mounted (None when not mounted)

    def identity(self) -> dict[str, str]:
        """What an identity file binds to: backend, serial and fs_uuid — what stays
        when the stick moves to another port or drive letter."""
        return {"backend": self.backend, "serial": self.serial, "fs_uuid": self.fs_uuid}


@dataclass(frozen=True)
class DeviceEvent:
    """An insertion or removal, as the media log records it."""

    action: str  # "inserted" or "removed"
    device: Device
    time: str  # UTC ISO 8601 with Z, seconds precision


class Devices(Protocol):
    """What every backend offers; the rest of ikou knows no other."""

    name: str  # "udev", "windows", "folder"

    def medium_of(self, path: Path) -> Device | None:
        """The removable medium holding ``path`` (which may not exist yet: its
        nearest existing parent decides); None when the path is on a fixed disk."""
        ...

    def events(self, stop: threading.Event) -> Iterator[DeviceEvent]:
        """Each insertion and removal of a removable block device until ``stop``
        is set (at most ~0.5 s latency). Raises MediaUnavailableError where the
        OS gives none."""
        ...

    def present(self) -> list[Device]:
        """The removable media inserted now (to find a registered one's mount point)."""
        ...


def devices() -> Devices:
    """The backend for this machine: the folder simulation when ``$IKOU_MEDIA_BAY``
    names a folder; udev on Linux; the Windows volume API on Windows; otherwise
    an object whose methods raise :class:`MediaUnavailableError`.

    A bay that is set but is no folder is refused rather than ignored: falling
    back to the real devices would silently test something else."""
    bay = os.environ.get(BAY_VARIABLE, "")
    if bay:
        if not Path(bay).is_dir():
            raise MediaUnavailableError(
                f"{BAY_VARIABLE} names {bay}, which is not a folder: create it, or unset "
                "the variable to use this PC's real removable media."
            )
        return FolderDevices(Path(bay))
    if sys.platform.startswith("linux"):
        return LinuxDevices()
    if sys.platform == "win32":  # pragma: no cover - Windows only
        return WindowsDevices()
    return UnavailableDevices(sys.platform)


def make_folder_medium(
    bay: Path, name: str, *, label: str = "", model: str = "folder-backed medium (simulation)"
) -> Path:
    """Create ``bay/name`` as a simulated USB stick and return its root.

    Its serial is a fresh random token, as two real sticks never share one; the
    file is written under a temporary name and renamed so that a watcher never
    sees half of it. Refuses (FileExistsError) a name already in the bay."""
    if not name or name in (".", "..") or Path(name).name != name or "\\" in name:
        raise ValueError(f"a folder medium is named by one plain folder name, not {name!r}")
    bay.mkdir(parents=True, exist_ok=True)
    root = bay / name
    root.mkdir()
    body = {"serial": secrets.token_hex(8), "label": label, "model": model}
    partial = root / (DEVICE_FILE + ".partial")
    partial.write_text(json.dumps(body, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, root / DEVICE_FILE)
    return root


def _nearest_existing(path: Path) -> Path:
    """The real path of ``path``'s nearest existing ancestor (itself if it
    exists): where a file about to be written would land."""
    here = Path(os.path.realpath(path))
    while not here.exists() and here.parent != here:
        here = here.parent
    return here


def _poll_changes(
    snapshot: Callable[[], list[Device]], stop: threading.Event, interval: float
) -> Iterator[DeviceEvent]:
    """Insertions and removals found by comparing snapshots ``interval`` apart.

    A medium is the same while its node, serial and filesystem stay: another
    stick under the same drive letter is one removal and one insertion. What is
    present when this is called is not reported (only changes)."""

    def keyed(found: list[Device]) -> dict[tuple[str, str, str], Device]:
        return {(d.node, d.serial, d.fs_uuid): d for d in found}

    def watch(present: dict[tuple[str, str, str], Device]) -> Iterator[DeviceEvent]:
        while not stop.wait(interval):
            now = keyed(snapshot())
            stamp = utc_now()
            for key in sorted(present.keys() - now.keys()):
                yield DeviceEvent("removed", present[key], stamp)
            for key in sorted(now.keys() - present.keys()):
                yield DeviceEvent("inserted", now[key], stamp)
            present = now

    return watch(keyed(snapshot()))  # the first look is taken now, not at the first next()


class FolderDevices:
    """The simulation: each subfolder of ``bay`` holding a regular file
    ``.ikou-device`` (JSON with serial, label, model) is an inserted medium.

    ``fs_uuid`` is ``inode-<hex>`` of the medium's folder: it stays while the
    folder is renamed or moved within its disk, and differs on a copy, so a
    folder copied wholesale (``.ikou-device`` and identity file included) is
    another medium — as the files of a real stick copied to another stick
    would be on a stick of another serial and filesystem."""

    name = "folder"

    def __init__(self, bay: Path) -> None:
        self.bay = Path(bay)

    def _real_bay(self) -> Path:
        """The bay with symlinks resolved, so node and root read the same whether
        a medium is found by a path or by a look at the bay."""
        return Path(os.path.realpath(self.bay))

    def medium_of(self, path: Path) -> Device | None:
        """The simulated medium whose folder holds ``path``, after symlinks are
        resolved; None for the bay itself, a plain subfolder or anything outside."""
        real = _nearest_existing(path)
        bay = self._real_bay()
        try:
            inside = real.relative_to(bay)
        except ValueError:
            return None
        if not inside.parts:
            return None
        return self._medium(bay / inside.parts[0])

    def events(self, stop: threading.Event) -> Iterator[DeviceEvent]:
        """Media folders appearing in and leaving the bay, looked at every 0.2 s."""
        return _poll_changes(self._present, stop, _FOLDER_POLL)

    def present(self) -> list[Device]:
        """The media folders in the bay now."""
        return self._present()

    def _present(self) -> list[Device]:
        try:
            entries = sorted(os.scandir(self._real_bay()), key=lambda e: e.name)
        except OSError:  # no bay (yet): no media
            return []
        found = [self._medium(Path(e.path)) for e in entries if e.is_dir(follow_symlinks=False)]
        return [d for d in found if d is not None]

    def _medium(self, folder: Path) -> Device | None:
        """The medium in ``folder``, or None when its ``.ikou-device`` is missing,
        not a regular file, or not what :func:`make_folder_medium` writes — a
        broken simulation is no medium, it never stops the caller."""
        try:
            folder_stat = os.lstat(folder)
            file_stat = os.lstat(folder / DEVICE_FILE)
            if not stat.S_ISDIR(folder_stat.st_mode) or not stat.S_ISREG(file_stat.st_mode):
                return None
            if file_stat.st_size > _DEVICE_FILE_LIMIT:
                return None
            body: Any = json.loads((folder / DEVICE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(body, dict):
            return None
        serial, label, model = body.get("serial"), body.get("label", ""), body.get("model", "")
        if not (isinstance(serial, str) and serial and isinstance(label, str)):
            return None
        if not isinstance(model, str):
            return None
        return Device(
            backend="folder",
            serial=serial,
            fs_uuid=f"inode-{folder_stat.st_ino:x}",
            label=label,
            model=model,
            node=str(folder),
            root=folder,
        )


class UnavailableDevices:
    """An OS ikou has no device support for: every question is refused, so a
    media policy fails closed instead of treating every path as a fixed disk."""

    name = "unavailable"

    def __init__(self, platform: str) -> None:
        self.platform = platform

    def _refuse(self) -> MediaUnavailableError:
        return MediaUnavailableError(
            f"Removable media support is not available on this OS ({self.platform}): "
            f"use Linux or Windows, or set {BAY_VARIABLE} to a folder to simulate media."
        )

    def medium_of(self, path: Path) -> Device | None:
        """Refused: this OS gives ikou no way to tell a removable medium."""
        raise self._refuse()

    def events(self, stop: threading.Event) -> Iterator[DeviceEvent]:
        """Refused: this OS gives ikou no insertion events."""
        raise self._refuse()

    def present(self) -> list[Device]:
        """Refused: this OS gives ikou no list of media."""
        raise self._refuse()


# --- Linux: udev ---------------------------------------------------------------------

_UDEVD_CONTROL = Path("/run/udev/control")  # exists while udevd runs (libudev's own test)
_MOUNTINFO = Path("/proc/self/mountinfo")
_BY_UUID = Path("/dev/disk/by-uuid")
_UDEV_ALLOWED = re.compile(r"[^0-9A-Za-z#+\-.:=@_\x80-\U0010ffff]")


def _unmangle(field: bytes) -> str:
    r"""A mountinfo path: the kernel writes space, tab, newline and backslash as
    ``\ooo``; the rest are the file system's bytes."""
    return os.fsdecode(re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m[1], 8)]), field))


def _mounts_of(st_dev: int) -> list[tuple[str, Path]]:
    """(root within the filesystem, mount point) of each mount of ``st_dev``."""
    try:
        text = _MOUNTINFO.read_bytes()
    except OSError:
        return []
    wanted = f"{os.major(st_dev)}:{os.minor(st_dev)}".encode()
    found = []
    for line in text.splitlines():
        fields = line.split(b" ")
        if len(fields) > 4 and fields[2] == wanted:
            found.append((_unmangle(fields[3]), Path(_unmangle(fields[4]))))
    return found


def _mount_point(st_dev: int, near: Path | None = None) -> Path | None:
    """Where ``st_dev`` is mounted: the mount holding ``near`` when given (the
    deepest one, a bind mount included), else the mount of its whole filesystem."""
    mounts = _mounts_of(st_dev)
    if near is not None:
        holding = [point for _, point in mounts if near == point or point in near.parents]
        if holding:
            return max(holding, key=lambda point: len(point.parts))
    whole = [point for fs_root, point in mounts if fs_root == "/"]
    return whole[0] if whole else None


def _udev_serial(raw: str) -> str:
    """A sysfs USB serial as udev's usb_id writes ID_SERIAL_SHORT (whitespace runs
    to one ``_``, other characters outside its set to ``_``), so a stick keeps one
    identity whether or not udevd ran when it was seen."""
    return _UDEV_ALLOWED.sub("_", "_".join(raw.split()))


def _by_uuid(node: str) -> str:
    """The filesystem UUID from ``/dev/disk/by-uuid`` when udev's database lacks it."""
    try:
        links = list(_BY_UUID.iterdir())
    except OSError:
        return ""
    for link in links:
        if os.path.realpath(link) == node:
            return link.name
    return ""


def _whole_mount(block: Any) -> Path | None:
    number = block.device_number
    return _mount_point(number) if number else None


def _attribute(device: Any, name: str) -> str:
    value = device.attributes.get(name) if device is not None else None
    return value.decode("utf-8", "replace").strip() if isinstance(value, bytes) else ""


def _holds_medium(block: Any) -> bool:
    """False for a removable block device with no medium in it — an empty card
    reader, a drive whose disc or card was taken out: sysfs gives its ``size`` as
    0 sectors. A size that cannot be read leaves the question to the other checks."""
    return _attribute(block, "size") != "0"


class LinuxDevices:
    """udev through pyudev, imported in the methods so that this module imports on
    any OS. ``loop=True`` also counts loop devices as removable — only the tests
    use it, to have a medium on a machine without a USB stick."""

    name = "udev"

    def __init__(self, *, loop: bool = False) -> None:
        self.loop = loop
        self._context: Any = None

    def _udev(self) -> tuple[Any, Any]:
        """pyudev and its context, or MediaUnavailableError naming what is missing."""
        try:
            import pyudev
        except ImportError:
            raise MediaUnavailableError(
                "Removable media cannot be identified: the Python package pyudev is not "
                "installed (pip install pyudev)."
            ) from None
        if self._context is None:
            try:
                self._context = pyudev.Context()
            except ImportError:
                raise MediaUnavailableError(
                    "Removable media cannot be identified: the system library libudev "
                    "(package libudev1) is missing."
                ) from None
        return pyudev, self._context

    def medium_of(self, path: Path) -> Device | None:
        """The removable block device whose filesystem holds ``path``'s nearest
        existing ancestor (by its device number, so no file on it is read)."""
        pyudev, context = self._udev()
        existing = _nearest_existing(path)
        st_dev = os.stat(existing).st_dev
        try:
            block = pyudev.Devices.from_device_number(context, "block", st_dev)
        except pyudev.DeviceNotFoundError:  # tmpfs, overlay, btrfs subvolume, NFS …
            return None
        if not self._removable(block):
            return None
        return self._device(block, _mount_point(st_dev, existing))

    def events(self, stop: threading.Event) -> Iterator[DeviceEvent]:
        """udev's "add" and "remove" of removable disks and partitions.

        Listens to udev's own events when udevd runs (the device is then set up
        and its serial and filesystem UUID known); without udevd (a container)
        udev would deliver nothing, so the kernel's events are read instead and
        the identity comes from sysfs. A removed device is reported as it was
        seen (at the start or when added): sysfs no longer has it."""
        pyudev, context = self._udev()
        source = "udev" if _UDEVD_CONTROL.exists() else "kernel"
        try:
            monitor = pyudev.Monitor.from_netlink(context, source)
            monitor.filter_by("block")
            monitor.start()
        except OSError as exc:
            raise MediaUnavailableError(
                f"Insertions cannot be watched: this system refuses a {source} netlink "
                f"socket ({exc.strerror or exc})."
            ) from None
        known: dict[str, Device] = {}
        for block in context.list_devices(subsystem="block"):  # after start: none missed
            if self._removable(block):
                known[block.sys_path] = self._device(block, _whole_mount(block))
        return self._relay(monitor, known, stop)

    def present(self) -> list[Device]:
        """The removable disks and partitions udev knows now, with their mount points
        (an empty card reader, which has no medium, is none of them)."""
        _, context = self._udev()
        return [
            self._device(block, _whole_mount(block))
            for block in context.list_devices(subsystem="block")
            if self._removable(block) and _holds_medium(block)
        ]

    def _relay(
        self, monitor: Any, known: dict[str, Device], stop: threading.Event
    ) -> Iterator[DeviceEvent]:
        while not stop.is_set():
            block = monitor.poll(timeout=_UDEV_POLL)
            if block is None:
                continue
            if block.action == "add" and self._removable(block):
                device = self._device(block, _whole_mount(block))
                if known.get(block.sys_path) != device:  # seen at the start: not news
                    known[block.sys_path] = device
                    yield DeviceEvent("inserted", device, utc_now())
            elif block.action == "remove" and block.sys_path in known:
                yield DeviceEvent("removed", known.pop(block.sys_path), utc_now())

    def _removable(self, block: Any) -> bool:
        """A removable disk or a partition of one: the kernel's ``removable`` flag,
        or a disk on the USB bus (many USB sticks and disks say removable=0)."""
        disk = block if block.device_type == "disk" else block.find_parent("block", "disk")
        if disk is None:
            return False
        if disk.sys_name.startswith("loop"):
            return self.loop  # a loop device is a file, never a medium of its own
        if _attribute(disk, "removable") == "1":
            return True
        if "usb" in (block.properties.get("ID_BUS"), disk.properties.get("ID_BUS")):
            return True
        return disk.find_parent("usb") is not None

    def _device(self, block: Any, root: Path | None) -> Device:
        """The :class:`Device` from udev's properties, with sysfs where udev's
        database is empty (no udevd): the USB serial, vendor and product."""
        props = block.properties
        usb = block.find_parent("usb", "usb_device")
        serial = props.get("ID_SERIAL_SHORT") or props.get("ID_SERIAL") or ""
        if not serial and usb is not None:
            serial = _udev_serial(_attribute(usb, "serial"))
        node = block.device_node or f"/dev/{block.sys_name}"
        vendor = props.get("ID_VENDOR") or _attribute(usb, "manufacturer")
        model = props.get("ID_MODEL") or _attribute(usb, "product")
        return Device(
            backend="udev",
            serial=serial,
            fs_uuid=props.get("ID_FS_UUID") or _by_uuid(node),
            label=props.get("ID_FS_LABEL", ""),
            model=" ".join(part for part in (vendor, model) if part).replace("_", " "),
            node=node,
            root=root,
        )


# --- Windows: the volume API through ctypes ------------------------------------------

_DRIVE_REMOVABLE = 2
_SEM_FAILCRITICALERRORS = 0x0001  # no "insert a disk" dialog for an empty card reader
_PATH_CHARS = 32768  # the longest Win32 path, in characters


class WindowsDevices:
    """The Win32 volume API: serial is the volume serial (``1A2B-3C4D``, as ``vol E:``
    shows) and fs_uuid the volume GUID path, both set by formatting (the USB
    hardware serial would need SetupAPI), so a reformatted stick is another medium."""

    name = "windows"

    def medium_of(self, path: Path) -> Device | None:  # pragma: no cover - Windows only
        """The removable drive (DRIVE_REMOVABLE) holding ``path``'s nearest existing
        ancestor, found by its volume mount point (a drive letter or a folder)."""
        import ctypes

        existing = _nearest_existing(path)
        buffer = ctypes.create_unicode_buffer(_PATH_CHARS)
        kernel32 = _kernel32()
        if not kernel32.GetVolumePathNameW(str(existing), buffer, _PATH_CHARS):
            return None
        return _windows_volume(buffer.value)

    def events(self, stop: threading.Event) -> Iterator[DeviceEvent]:  # pragma: no cover
        """Removable drives appearing and leaving, seen by GetLogicalDrives()
        every 0.5 s (a card taken out of a reader is a removal too)."""
        return _poll_changes(_windows_drives, stop, _WINDOWS_POLL)

    def present(self) -> list[Device]:  # pragma: no cover - Windows only
        """The removable drives mounted now."""
        return _windows_drives()


@functools.cache
def _kernel32() -> Any:  # pragma: no cover - Windows only
    """kernel32 with the prototypes used here (its own WinDLL, so that other
    code's ``ctypes.windll`` prototypes are neither relied on nor changed)."""
    import ctypes
    from ctypes import wintypes as w

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    dword_p = ctypes.POINTER(w.DWORD)
    prototypes: dict[str, tuple[Any, list[Any]]] = {
        "GetVolumePathNameW": (w.BOOL, [w.LPCWSTR, w.LPWSTR, w.DWORD]),
        "GetDriveTypeW": (w.UINT, [w.LPCWSTR]),
        "GetLogicalDrives": (w.DWORD, []),
        "GetVolumeInformationW": (
            w.BOOL,
            [w.LPCWSTR, w.LPWSTR, w.DWORD, dword_p, dword_p, dword_p, w.LPWSTR, w.DWORD],
        ),
        "GetVolumeNameForVolumeMountPointW": (w.BOOL, [w.LPCWSTR, w.LPWSTR, w.DWORD]),
        "SetThreadErrorMode": (w.BOOL, [w.DWORD, dword_p]),
    }
    for name, (restype, argtypes) in prototypes.items():
        function = getattr(kernel32, name)
        function.restype, function.argtypes = restype, argtypes
    return kernel32


def _windows_volume(mount_point: str) -> Device | None:  # pragma: no cover - Windows only
    """The medium mounted at ``mount_point`` (``E:\\``), or None when the drive is
    not removable or holds no medium (an empty card reader)."""
    import ctypes
    from ctypes import wintypes

    kernel32 = _kernel32()
    if kernel32.GetDriveTypeW(mount_point) != _DRIVE_REMOVABLE:
        return None
    label = ctypes.create_unicode_buffer(261)
    filesystem = ctypes.create_unicode_buffer(261)
    guid = ctypes.create_unicode_buffer(64)
    serial = wintypes.DWORD()
    old_mode = wintypes.DWORD()
    kernel32.SetThreadErrorMode(_SEM_FAILCRITICALERRORS, ctypes.byref(old_mode))
    try:
        if not kernel32.GetVolumeInformationW(
            mount_point, label, 261, ctypes.byref(serial), None, None, filesystem, 261
        ):
            return None
        if not kernel32.GetVolumeNameForVolumeMountPointW(mount_point, guid, 64):
            guid.value = ""
    finally:
        kernel32.SetThreadErrorMode(old_mode.value, None)
    return Device(
        backend="windows",
        serial=f"{serial.value >> 16:04X}-{serial.value & 0xFFFF:04X}",
        fs_uuid=guid.value,
        label=label.value,
        model="",
        node=mount_point.rstrip("\\"),
        root=Path(mount_point),
    )


def _windows_drives() -> list[Device]:  # pragma: no cover - Windows only
    """Every removable drive letter holding a medium now."""
    mask = _kernel32().GetLogicalDrives()
    letters = [chr(ord("A") + bit) for bit in range(26) if mask >> bit & 1]
    found = [_windows_volume(f"{letter}:\\") for letter in letters]
    return [device for device in found if device is not None]
