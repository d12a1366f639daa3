"""The one exception tree of ikou.

Four kinds of ending besides success, each a branch under :class:`IkouError`:

- :class:`BadInput` — a plan, a source, a target or the workspace is wrong
  (exit 2, "bad input or usage");
- :class:`CheckFailed` — a check ran and did not pass: an unbalanced run,
  a refused production run, copies found (exit 1);
- :class:`TamperedError` — a failed check of its own kind: the audit record
  does not verify, or names what ikou did not make (exit 1);
- :class:`InternalError` — a bug, not the user's input (exit 3, with a line
  asking for the ``--debug`` output).

Every error carries a finding slug (declared in :mod:`ikou.findings`), the
position it is about (file, sheet, row, column, key path) and a message that
names the place and what to do next — never a cell's value. The CLI maps
the branches to exit codes in one place (:data:`EXIT_CODES`).

The tree is in the root package so that every part may import it:
``pipeline``, ``validation``, ``mappings``; ``audit``'s standard-library
chain module raises its own :class:`ikou.audit.chain.ChainWriteError`, which
the session turns into :class:`AuditLogError` or :class:`TamperedError`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EXIT_CODES",
    "AuditLogError",
    "BadInput",
    "CheckFailed",
    "ConfigError",
    "EncodingError",
    "EncryptedFileError",
    "HeaderNotFoundError",
    "IkouError",
    "ImportFileError",
    "InternalError",
    "LiveDataError",
    "MediaError",
    "MediaUnavailableError",
    "OutputExistsError",
    "ReadersDisagreeError",
    "SourceChangedError",
    "SourceError",
    "SourceFileError",
    "SourceTooLargeError",
    "SweepPathError",
    "TamperedError",
    "TargetDriverError",
    "TargetError",
    "TargetKeyExistsError",
    "TargetNotEmptyError",
    "TargetSchemaError",
    "UnreadableFileError",
    "WrongPasswordError",
    "position",
]


def position(
    file: str, sheet: str | None = None, row: int | None = None, column: str | None = None
) -> str:
    """A position as every message writes it — ``ledger.xls, sheet '台帳', row 12,
    column 家賃`` — the one place positions are formatted; never a value."""
    parts = [file]
    if sheet:
        parts.append(f"sheet {sheet!r}")
    if row is not None:
        parts.append(f"row {row}")
    if column:
        parts.append(f"column {column}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Where:
    """A position in a source or a configuration file; no values, only names."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        return position(self.file or "", self.sheet, self.row, self.column)


class IkouError(Exception):
    """Base of every error ikou raises on purpose.

    ``message`` is a full sentence that names the place and the fix; the
    structured fields let the report and tests check *where* without parsing
    the text. ``slug`` names the finding (see :mod:`ikou.findings`).
    """

    slug = "ikou.error"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.where = Where(file=file, sheet=sheet, row=row, column=column, key=key)

    def __str__(self) -> str:
        return self.message


class BadInput(IkouError):
    """Something given to ikou is wrong: a plan, a source, a target, the workspace."""

    slug = "input.invalid"


class CheckFailed(IkouError):
    """A check ran and did not pass (an unbalanced run, a refusal, copies found).

    ``slug`` is given per raise: ``run.unbalanced``, ``production.refused`` …"""

    slug = "check.failed"

    def __init__(self, message: str, *, slug: str | None = None, **where: str | None) -> None:
        super().__init__(message, **where)  # type: ignore[arg-type]
        if slug is not None:
            self.slug = slug


class InternalError(IkouError):
    """A bug in ikou, not the user's input: the CLI asks for ``--debug`` output."""

    slug = "internal.error"


class ConfigError(BadInput):
    """A plan, mapping or contract file is wrong (unknown key, bad reference)."""

    slug = "config.invalid"


class SourceError(BadInput):
    """A source cannot be read as the plan describes it."""

    slug = "source.invalid"


class SourceFileError(SourceError):
    """A source file is missing or matches nothing."""

    slug = "source.missing"


class UnreadableFileError(SourceError):
    """A source file is corrupt, truncated or not the format its name says."""

    slug = "source.unreadable"


class SourceTooLargeError(UnreadableFileError):
    """A source file beyond the plan's limits (cells per sheet, unpacked size)."""

    slug = "source.too_large"


class ReadersDisagreeError(UnreadableFileError):
    """Two readers of one file (ikou's Word 97 reader and LibreOffice) saw
    different tables, rows or cells."""

    slug = "source.readers_disagree"


class EncryptedFileError(SourceError):
    """A source file is password-protected."""

    slug = "source.encrypted"


class WrongPasswordError(EncryptedFileError):
    """The password given for an encrypted source does not open it."""

    slug = "source.password"


class SourceChangedError(SourceError):
    """A production source changed between the preflight and its reading."""

    slug = "source.changed"


class EncodingError(SourceError):
    """A CSV's text encoding cannot be determined or does not decode."""

    slug = "source.encoding"


class HeaderNotFoundError(SourceError):
    """The header row, a sheet or a source column is not where the plan says."""

    slug = "source.header"


class TargetError(BadInput):
    """The target database cannot be used (unreachable, tables not empty)."""

    slug = "target.invalid"


class TargetDriverError(TargetError):
    """The target's database driver is not installed (the message has the install line)."""

    slug = "target.driver"


class TargetNotEmptyError(TargetError):
    """A target table already holds rows and the plan does not say ``if_exists: append``."""

    slug = "target.not_empty"


class TargetKeyExistsError(TargetError):
    """``if_exists: append``, and the target already holds a key this run would load."""

    slug = "target.key_exists"


class TargetSchemaError(TargetError):
    """The target's existing tables differ from the contract; ``differences`` holds
    one sentence per difference (names only)."""

    slug = "target.schema"

    def __init__(self, message: str, differences: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.differences = differences


class AuditLogError(BadInput):
    """The audit log cannot be written (permissions, disk full)."""

    slug = "audit.unwritable"


class LiveDataError(BadInput):
    """A rehearsal was given a production source (the same path, or the same
    bytes) as its test data."""

    slug = "source.production_data"


class OutputExistsError(BadInput):
    """A file a command would write is already there, and ``--force`` was not given."""

    slug = "output.exists"


class SweepPathError(BadInput):
    """A path given to ``ikou sweep`` does not exist or cannot be read: nothing
    there was searched, which must not read as an all-clear."""

    slug = "sweep.path"


class ImportFileError(BadInput):
    """The vendor's import file cannot be written, placed or read back as declared
    (its folder missing, a file already there, a file that does not parse again)."""

    slug = "target.import_file"


class MediaError(BadInput):
    """A removable medium ikou would write to is not registered, its identity file
    is not genuine or belongs to another medium, or it was retired: nothing is
    written to it."""

    slug = "media.refused"


class MediaUnavailableError(BadInput):
    """This OS gives ikou no way to identify removable media or watch insertions
    (the message names what is missing); nothing was recorded."""

    slug = "media.unavailable"


class TamperedError(CheckFailed):
    """The audit chain or custody journal does not verify, or names something ikou
    did not make: ikou refuses to act on it (exit 1, a failed check)."""

    slug = "audit.tampered"


EXIT_CODES: tuple[tuple[type[IkouError], int], ...] = (
    (CheckFailed, 1),  # TamperedError among them
    (BadInput, 2),
    (InternalError, 3),
)
"""Each branch's exit code, in the order the CLI tries them (0 is success)."""
