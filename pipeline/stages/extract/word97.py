"""Word 97-2003 ``.doc`` files, through LibreOffice.

No Python library reads the tables of a ``.doc``. LibreOffice does: ikou
hands it the document as a **plaintext artifact** (an outside program must
read it), lets it write a ``.docx`` beside it — registered in the journal
before LibreOffice runs — reads that ``.docx`` into memory, and shreds both
at once. LibreOffice runs headless with a throw-away profile inside the
run's private scratch folder, so it leaves nothing in the user's profile; the
profile folder is made mode 0700 before LibreOffice starts, and LibreOffice runs
through :func:`audit.platform.run_child`, so it (and ``soffice.bin``, which its
launcher forks) dies with ikou and is gone before the profile is removed.
Without LibreOffice the file is refused with the package to install.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ikou.audit.artifacts import ArtifactStore
from ikou.audit.children import ChildTimedOut, run_child
from ikou.audit.platform import private_dir
from ikou.errors import UnreadableFileError

__all__ = ["convert_doc", "soffice"]

TIMEOUT_SECONDS = 180


def soffice() -> str | None:
    """The LibreOffice program, if it is installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in (  # Windows and macOS installs are not on PATH
        Path("C:/Program Files/LibreOffice/program/soffice.exe"),
        Path("/Applications/LibreOffice.app/Contents/MacOS/soffice"),
    ):
        if candidate.exists():
            return str(candidate)
    return None


def convert_doc(data: bytes, file: str, store: ArtifactStore | None) -> bytes:
    """The ``.docx`` bytes of a ``.doc`` (both copies shredded before returning)."""
    program = soffice()
    if program is None:
        raise UnreadableFileError(
            f"{file} is a Word 97-2003 document; install LibreOffice "
            "(Debian/Ubuntu: libreoffice-writer-nogui) to read it, or save it as .docx.",
            file=file,
        )
    if store is None:
        raise UnreadableFileError(
            f"{file} is a Word 97-2003 document; it is read only within a run "
            "(ikou rehearse or migrate), whose artifact store keeps the conversion.",
            file=file,
        )
    with store.create("Word .doc handed to LibreOffice", encrypted=False, suffix=".doc") as w:
        w.write(data)
    source = w.record
    source_path = Path(source.path)
    target = store.expect(
        "LibreOffice conversion to .docx", ".docx", name=source_path.stem + ".docx"
    )
    profile = source_path.parent / f"lo-profile-{source_path.stem}"
    try:
        private_dir(profile)  # 0700 before LibreOffice sees it, not whatever it would make
        done = run_child(  # returns (or raises) once no LibreOffice process is left
            [
                program,
                "--headless",
                "--norestore",
                f"-env:UserInstallation={profile.as_uri()}",
                "--convert-to",
                "docx",
                "--outdir",
                str(source_path.parent),
                str(source_path),
            ],
            timeout=TIMEOUT_SECONDS,
        )
        converted = Path(target.path)
        if done.returncode != 0 or not converted.exists():
            raise UnreadableFileError(
                f"{file} could not be converted by LibreOffice (it may be damaged); open it "
                "in Word and save it as .docx.",
                file=file,
            )
        store.adopt(target)
        return converted.read_bytes()
    except ChildTimedOut:
        raise UnreadableFileError(
            f"LibreOffice took over {TIMEOUT_SECONDS} s on {file}; save it as .docx in Word.",
            file=file,
        ) from None
    finally:
        store.shred(source)
        if Path(target.path).exists():
            store.shred(target)
        shutil.rmtree(profile, ignore_errors=True)
