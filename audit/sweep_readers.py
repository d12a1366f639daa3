"""What the sweep reads in a file: its kind, and its rows.

:func:`kind_of` tells a file by its bytes, not its name — a workbook (legacy
``.xls``, OOXML, ODS), a Word document, text (CSV, a paste, an HTML table
saved as ``.xls``, Excel 2003 XML), a SQLite database, or something else
that is compared by hash only — and says why when the sweep cannot search it
(an encrypted Office file, a Word 97-2003 document). The ``rows_of_*``
functions and :func:`database_rows` give the rows as lists of cells; they
never print and never put a cell into a message. :mod:`audit.sweep` matches
the rows against the record fingerprints.
"""

from __future__ import annotations

import io
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "HEAD",
    "database_rows",
    "decode",
    "kind_of",
    "rows_of_docx",
    "rows_of_text",
    "rows_of_workbook",
]

HEAD = 4096  # the first bytes, enough to tell a file's kind
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_SQLITE = b"SQLite format 3\x00"
_SQLITE_NAMES = (".db", ".sqlite", ".sqlite3")
_TEXT_SPLIT = re.compile(r"\t|,|;|\||\s{2,}")
_MARKUP_ROW = re.compile(r"</(?:row|tr)\s*>", re.IGNORECASE)  # Excel 2003 XML, HTML tables
_TAG = re.compile(r"<[^>]*>")


def rows_of_workbook(data: bytes) -> Iterator[list[Any]]:
    """Every sheet's rows, by python-calamine (run it in a guarded child)."""
    import python_calamine as pc

    try:
        book = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        for name in book.sheet_names:
            yield from book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except BaseException as exc:  # calamine panics are not Exceptions
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        raise ValueError("not a workbook ikou can read") from None


def rows_of_docx(data: bytes) -> Iterator[list[Any]]:
    """Every Word table's rows, each cell's text."""
    import docx

    try:
        for table in docx.Document(io.BytesIO(data)).tables:
            for row in table.rows:
                yield [cell.text for cell in row.cells]
    except Exception:  # python-docx raises KeyError, ValueError, lxml errors on damage
        raise ValueError("not a Word document ikou can read") from None


def decode(data: bytes) -> str | None:
    """Text in UTF-16 (with its BOM), UTF-8 or CP932; ``None`` if binary or none of them."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:4096]:
        return None  # binary
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def rows_of_text(text: str) -> Iterator[list[str]]:
    """Rows of markup (a ``<tr>`` or ``<Row>`` element each), or lines split at
    tabs, commas, semicolons, bars and runs of spaces."""
    if text.lstrip()[:1] == "<" and _MARKUP_ROW.search(text):
        for chunk in _MARKUP_ROW.split(text):
            yield [c.strip() for c in _TAG.split(chunk) if c.strip()]
        return
    for line in text.splitlines():
        cells = [c.strip().strip('"') for c in _TEXT_SPLIT.split(line)]
        yield [c for c in cells if c]


def kind_of(path: Path, head: bytes, data: bytes | None) -> tuple[str, str | None]:
    """The file's kind (a key of :data:`audit.sweep.KINDS`) by its bytes, and why the sweep
    cannot search it (``None`` if it can). ``data`` is ``None`` for a large file."""
    if head.startswith(_SQLITE) or (not head and path.suffix.lower() in _SQLITE_NAMES):
        return "sqlite", None
    if head.startswith(_CFB):
        return _kind_of_compound(path, data)
    if head.startswith(_ZIP):
        return _kind_of_zip(path, data)
    binary = b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))
    if binary and path.suffix.lower() in _SQLITE_NAMES:
        return "sqlite", "named as a database but not a SQLite one (encrypted or damaged)"
    return ("other" if binary else "text"), None


def _kind_of_compound(path: Path, data: bytes | None) -> tuple[str, str | None]:
    """An OLE compound file: a workbook, a Word 97-2003 document, an encrypted
    Office file, or something else (Thumbs.db, a presentation, a mail)."""
    import olefile

    try:
        with olefile.OleFileIO(str(path) if data is None else io.BytesIO(data)) as ole:
            streams = {"/".join(entry) for entry in ole.listdir()}
    except Exception:  # damaged: the workbook reader says whether it can read it
        return "spreadsheet", None
    if "EncryptedPackage" in streams:
        return "spreadsheet", "password-protected; its contents cannot be searched"
    if streams & {"Workbook", "Book"}:
        return "spreadsheet", None
    if "WordDocument" in streams:
        return "word", (
            "a Word 97-2003 document: the sweep does not read its tables (save it as "
            ".docx and sweep again, or check it by hand)"
        )
    return "other", None


def _kind_of_zip(path: Path, data: bytes | None) -> tuple[str, str | None]:
    """A zip container: a workbook (OOXML, ODS), a Word document, or another archive."""
    import zipfile

    try:
        with zipfile.ZipFile(path if data is None else io.BytesIO(data)) as archive:
            names = archive.namelist()
            opendocument = "mimetype" in names and b"spreadsheet" in archive.read("mimetype")
    except Exception:
        if path.suffix.lower() in (".xlsx", ".xlsm", ".xlsb", ".ods", ".docx"):
            return "spreadsheet", "a damaged zip container; its contents cannot be searched"
        return "other", None
    if "word/document.xml" in names:
        return "word", None
    if opendocument or any(name.startswith("xl/") for name in names):
        return "spreadsheet", None
    return "other", None  # a presentation, an archive: compared by hash only


_SQLITE_REASONS = {  # SQLite's error names as sentences; its messages are not shown
    "SQLITE_NOTADB": "not a SQLite database ikou can open (encrypted or damaged)",
    "SQLITE_CORRUPT": "a damaged SQLite database",
    "SQLITE_BUSY": "locked by another program",
    "SQLITE_LOCKED": "locked by another program",
    "SQLITE_CANTOPEN": "cannot be opened read-only",
    "SQLITE_IOERR": "could not be read (an I/O error)",
}


def _sqlite_reason(exc: sqlite3.Error) -> str:
    name = getattr(exc, "sqlite_errorname", None) or "SQLITE_ERROR"
    family = "_".join(name.split("_")[:2])
    return _SQLITE_REASONS.get(family, f"SQLite could not read it ({name})")


def _text(raw: bytes) -> str:
    """A TEXT cell: UTF-8 as SQLite stores it, or CP932 as an old program may have."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp932", errors="replace")


def database_rows(path: Path, notes: list[str]) -> Iterator[tuple[str, int, tuple[Any, ...]]]:
    """Every row of a SQLite database's tables: ``(table, row number, row)``,
    rows counted from 1 in rowid (or key) order. A table that cannot be read to
    its end is noted in ``notes``; raises ValueError when the database cannot be
    opened at all.

    The file is never written: opened ``mode=ro&immutable=1`` (no lock, no
    journal, no ``-wal``/``-shm`` made beside it) — unless a write-ahead log
    with its index is beside it (a database in use), whose committed rows are
    then read through that index, read-only (``mode=ro``)."""
    wal, index = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
    pending = wal.is_file() and wal.stat().st_size > 0
    live = pending and index.is_file()
    if pending and not live:
        notes.append(f"its write-ahead log {wal.name} was not read (no {index.name} beside it)")
    uri = path.absolute().as_uri() + ("?mode=ro" if live else "?mode=ro&immutable=1")
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise ValueError(_sqlite_reason(exc)) from None
    connection.text_factory = _text
    try:
        try:
            connection.execute("PRAGMA trusted_schema = OFF")  # a hostile schema runs nothing
            connection.execute("PRAGMA query_only = ON")
            tables = connection.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
            ).fetchall()
        except sqlite3.Error as exc:
            raise ValueError(_sqlite_reason(exc)) from None
        for name, sql in tables:
            if str(sql or "").lstrip().upper().startswith("CREATE VIRTUAL"):
                continue  # its rows live in its shadow tables, read as tables
            quoted = '"' + str(name).replace('"', '""') + '"'
            try:
                try:
                    cursor = connection.execute(f"SELECT * FROM {quoted} ORDER BY rowid")
                except sqlite3.OperationalError:  # WITHOUT ROWID: in its key's order
                    cursor = connection.execute(f"SELECT * FROM {quoted}")
                for number, row in enumerate(cursor, 1):
                    yield str(name), number, row
            except sqlite3.Error as exc:
                notes.append(f"table {name} could not be read to its end ({_sqlite_reason(exc)})")
    finally:
        connection.close()
