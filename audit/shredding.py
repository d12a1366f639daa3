"""Destroying a file — only the file ikou means, never what a link points to.

Shredding takes a path from a record (the custody journal, the audit chain)
and overwrites what it finds there. Someone who can write the workspace can
put a symbolic link where a file was, or a link where a folder was, and let
ikou overwrite a file of their choosing. So every destruction here:

- opens the folder first and then the file *relative to it*, refusing to
  follow a link at either step (``O_NOFOLLOW``, ``dir_fd``), so the file
  overwritten is the one inside that folder, whatever is swapped meanwhile;
- refuses anything but a regular file;
- when the record says which file ikou created (device and inode, size,
  SHA-256), checks that the file found is that one before touching it;
- walks a folder (a run's scratch) without following links, removing a
  link itself and never what it points to.

On Linux and other POSIX systems this uses ``dir_fd`` and ``O_NOFOLLOW``;
where those are not available (Windows) the same checks are made on the path
just before opening it, which narrows the window but cannot close it.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "FileIdentity",
    "NotOurs",
    "file_identity",
    "inside",
    "shred_file",
    "shred_tree",
]

_CHUNK = 1 << 20
_SAFE_FDS = os.open in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class NotOurs(Exception):
    """What is at the path is not the file ikou recorded: nothing was touched."""


@dataclass(frozen=True)
class FileIdentity:
    """Which file ikou created: device and inode, and its size and SHA-256 when known."""

    device: int
    inode: int
    size: int | None = None
    sha256: str | None = None


def file_identity(path: Path, *, sha256: str | None = None) -> FileIdentity:
    """The identity of the regular file at ``path`` (not following a link)."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        raise NotOurs(f"{path} is not a regular file")
    return FileIdentity(info.st_dev, info.st_ino, info.st_size, sha256)


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` names something directly or deeper in ``folder`` without
    ``..`` and without passing through a link (``folder`` itself included)."""
    if not path.is_absolute() or ".." in path.parts:
        return False
    try:
        relative = path.relative_to(folder)
    except ValueError:
        return False
    if not relative.parts:
        return False
    current = folder
    for part in (None, *relative.parts[:-1]):
        current = current if part is None else current / part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return False
        except FileNotFoundError:
            return True  # nothing there to be fooled by
    return True


def _open_folder(folder: Path) -> int:
    fd = os.open(folder, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    if not stat.S_ISDIR(os.fstat(fd).st_mode):  # pragma: no cover - O_DIRECTORY says so
        os.close(fd)
        raise NotOurs(f"{folder} is not a folder")
    return fd


def _fsync_fd(fd: int) -> None:
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems cannot fsync a folder
        pass


def _sha256_of(fd: int) -> str:
    digest = hashlib.sha256()
    os.lseek(fd, 0, os.SEEK_SET)
    while block := os.read(fd, _CHUNK):
        digest.update(block)
    return digest.hexdigest()


def _check(fd: int, path: Path, expect: FileIdentity | None) -> int:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise NotOurs(f"{path} is not a regular file")
    if expect is not None:
        if (info.st_dev, info.st_ino) != (expect.device, expect.inode):
            raise NotOurs(f"{path} is not the file ikou created there (another inode)")
        if expect.size is not None and info.st_size != expect.size:
            raise NotOurs(f"{path} has another size than the file ikou wrote")
        if expect.sha256 is not None and _sha256_of(fd) != expect.sha256:
            raise NotOurs(f"{path} holds other bytes than the file ikou wrote")
    return info.st_size


def _overwrite(fd: int, size: int) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    left = size
    while left > 0:
        step = min(_CHUNK, left)
        os.write(fd, secrets.token_bytes(step))
        left -= step
    os.fsync(fd)


def shred_file(
    path: Path,
    *,
    expect: FileIdentity | None = None,
    emit: Callable[[str, bool], None] | None = None,
) -> bool:
    """Overwrite with random bytes, fsync, rename at random, unlink, verify gone.

    Refuses (:class:`NotOurs`, before any byte is written) a link, anything
    not a regular file, and — given ``expect`` — a file that is not the one
    ikou recorded. ``emit(step, ok)`` hears of each step. Returns whether the
    file is verifiably gone under both names. What overwriting can promise
    on SSDs and copy-on-write filesystems is in docs/custody.md.
    """
    say = emit or (lambda step, ok: None)
    name = path.name
    renamed = secrets.token_hex(12)
    if not _SAFE_FDS:  # pragma: no cover - Windows: checks on the path, then the path
        if stat.S_ISLNK(os.lstat(path).st_mode):
            raise NotOurs(f"{path} is a link")
        fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
        try:
            _overwrite(fd, _check(fd, path, expect))
        finally:
            os.close(fd)
        say("overwrite", True)
        os.replace(path, path.with_name(renamed))
        say("rename", True)
        os.unlink(path.with_name(renamed))
        say("unlink", True)
        gone = not path.exists() and not path.with_name(renamed).exists()
        say("verify", gone)
        return gone
    try:
        folder = _open_folder(path.parent)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise NotOurs(f"{path.parent} is reached through a link") from None
        raise
    try:
        try:
            fd = os.open(name, os.O_RDWR | _NOFOLLOW, dir_fd=folder)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise NotOurs(f"{path} is a link") from None
            raise
        try:
            _overwrite(fd, _check(fd, path, expect))
        finally:
            os.close(fd)
        say("overwrite", True)
        os.rename(name, renamed, src_dir_fd=folder, dst_dir_fd=folder)
        _fsync_fd(folder)
        say("rename", True)
        os.unlink(renamed, dir_fd=folder)
        _fsync_fd(folder)
        say("unlink", True)
        gone = not _exists(name, folder) and not _exists(renamed, folder)
    finally:
        os.close(folder)
    say("verify", gone)
    return gone


def _exists(name: str, folder: int) -> bool:
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def shred_tree(folder: Path) -> int:
    """Shred every regular file under ``folder`` and remove it, without following
    a link anywhere (a link is removed, what it points to is left alone);
    ``folder`` itself must not be a link. Returns the files shredded."""
    if not folder.exists() and not folder.is_symlink():
        return 0
    if stat.S_ISLNK(os.lstat(folder).st_mode):
        raise NotOurs(f"{folder} is a link, not ikou's scratch folder")
    shredded = 0
    if not hasattr(os, "fwalk"):  # pragma: no cover - Windows
        for root, dirs, files in os.walk(folder, topdown=False, followlinks=False):
            for name in files:
                path = Path(root) / name
                if path.is_symlink():
                    path.unlink()
                else:
                    shred_file(path)
                    shredded += 1
            for name in dirs:
                path = Path(root) / name
                path.unlink() if path.is_symlink() else path.rmdir()
        folder.rmdir()
        return shredded
    for _, dirs, files, dir_fd in os.fwalk(folder, topdown=False, follow_symlinks=False):
        for name in files:
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if stat.S_ISREG(info.st_mode):
                fd = os.open(name, os.O_RDWR | _NOFOLLOW, dir_fd=dir_fd)
                try:
                    _overwrite(fd, os.fstat(fd).st_size)
                finally:
                    os.close(fd)
                shredded += 1
            os.unlink(name, dir_fd=dir_fd)
        for name in dirs:
            if stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
                os.unlink(name, dir_fd=dir_fd)
            else:
                os.rmdir(name, dir_fd=dir_fd)
    os.rmdir(folder)
    return shredded
