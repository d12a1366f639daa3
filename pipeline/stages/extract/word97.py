"""Word 97-2003 ``.doc`` files: ikou's own reader, checked against LibreOffice.

ikou reads a ``.doc``'s tables itself (:mod:`.doc97`, the Word binary's piece
table, cell marks and table properties). When LibreOffice is installed and
the file is read within a run, LibreOffice reads it too and the two must see
the same tables, the same rows per table and the same widest row; otherwise
the file is refused (:class:`ReadersDisagreeError`, exit 2) with the table
and what each reader saw — never with a cell. The cells come from ikou's
reader, which keeps what LibreOffice 7.4 loses (some tables as one
run-together paragraph, text of tracked insertions, nested tables). With one
reader only — no LibreOffice, or a Word 6.0/95 file ikou's reader does not
take — the report says which read it (:data:`READERS`).

For LibreOffice, ikou hands it the document as a **plaintext artifact** (an
outside program must read it), lets it write a ``.docx`` beside it —
registered in the journal before LibreOffice runs — reads that ``.docx`` into
memory, and shreds both at once. LibreOffice runs headless with a throw-away profile inside the
run's private scratch folder, so it leaves nothing in the user's profile; the
profile folder is made mode 0700 before LibreOffice starts, and LibreOffice runs
through :func:`audit.platform.run_child`, so it (and ``soffice.bin``, which its
launcher forks) dies with ikou and is gone before the profile is removed.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ikou.audit.artifacts import ArtifactStore
from ikou.audit.children import ChildTimedOut, run_child
from ikou.audit.platform import private_dir
from ikou.errors import (
    HeaderNotFoundError,
    ReadersDisagreeError,
    SourceTooLargeError,
    UnreadableFileError,
)
from ikou.pipeline.stages.extract.doc97 import read_doc_tables
from ikou.pipeline.stages.extract.package import Limits, too_many_cells

__all__ = ["READERS", "convert_doc", "read_doc", "soffice"]

Grid = list[list[Any]]

READERS = ("doc97+libreoffice", "doc97", "libreoffice")
"""How a ``.doc`` was read: by both readers, which agreed; by ikou's alone
(LibreOffice absent, or outside a run); by LibreOffice alone (a Word 6.0/95
file, which ikou's reader refuses)."""

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


def _shape(tables: Sequence[Grid]) -> list[tuple[int, int]]:
    """Per table: rows, and cells of the widest row."""
    return [(len(t), max((len(row) for row in t), default=0)) for t in tables]


def _agree(
    file: str, native: list[Grid], office: list[Grid], numbers: Sequence[int] | None = None
) -> None:
    """Refuse the file unless both readers saw as many tables, and the same rows
    and widths in each table read (``numbers``, 1-based; all by default)."""
    if len(native) != len(office):
        raise ReadersDisagreeError(
            f"{file}: ikou's Word reader found {len(native)} table(s) and LibreOffice "
            f"{len(office)}; open it in Word, check its tables and save it as .docx.",
            file=file,
        )
    for number, (ours, theirs) in enumerate(
        zip(_shape(native), _shape(office), strict=True), start=1
    ):
        if ours != theirs and (numbers is None or number in numbers):
            raise ReadersDisagreeError(
                f"{file}, table {number}: ikou's Word reader saw {ours[0]} rows of up to "
                f"{ours[1]} cells and LibreOffice {theirs[0]} rows of up to {theirs[1]}; "
                "open it in Word, check that table and save it as .docx.",
                file=file,
                sheet=f"table {number}",
            )


def read_doc(
    data: bytes,
    file: str,
    tables: Sequence[int] | None,
    limits: Limits,
    store: ArtifactStore | None,
) -> tuple[list[tuple[str, Grid]], str]:
    """The tables of a ``.doc`` named ``table 1`` … (``tables`` picks by number,
    as for ``.docx``), and how it was read (one of :data:`READERS`)."""
    from ikou.pipeline.stages.extract.readers import read_docx

    try:
        native: list[Grid] | None = read_doc_tables(data, file)
        refused: UnreadableFileError | None = None
    except SourceTooLargeError:
        raise
    except UnreadableFileError as exc:  # Word 6.0/95, or damage ikou's reader sees
        native, refused = None, exc
    office: list[Grid] | None = None
    if soffice() is not None and store is not None:
        try:
            converted = convert_doc(data, file, store)
        except UnreadableFileError:
            if native is None:
                raise
            raise ReadersDisagreeError(
                f"{file}: ikou's Word reader read it and LibreOffice could not; open it in "
                "Word and save it as .docx.",
                file=file,
            ) from None
        try:
            office = [grid for _, grid in read_docx(converted, file, None, limits)]
        except HeaderNotFoundError:  # "has no table"
            office = []
    if native is None:
        if office is None:
            assert refused is not None
            raise refused
        found, how = office, "libreoffice"
    else:
        if office is not None:
            _agree(file, native, office, tables)
        found, how = native, "doc97+libreoffice" if office is not None else "doc97"
    return _picked(found, file, tables, limits), how


def _picked(
    found: list[Grid], file: str, tables: Sequence[int] | None, limits: Limits
) -> list[tuple[str, Grid]]:
    if not found:
        raise HeaderNotFoundError(f"{file} has no table; a Word source must hold one.", file=file)
    wanted = list(tables) if tables is not None else list(range(1, len(found) + 1))
    out = []
    for number in wanted:
        if not 1 <= number <= len(found):
            raise HeaderNotFoundError(
                f"{file} has {len(found)} table(s), not a table {number}; correct tables: "
                "in the plan.",
                file=file,
            )
        grid = found[number - 1]
        width = max((len(row) for row in grid), default=0)
        if error := too_many_cells(file, f"table {number}", len(grid), width, limits):
            raise error
        out.append((f"table {number}", grid))
    return out
