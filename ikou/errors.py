"""The one exception tree of ikou.

Every error a user can cause is an :class:`IkouError`. Each carries structured
fields (file, sheet, row, column, key path, rule) and a message that names
where the problem is and what to do next — never a cell's value. The CLI maps
every ``IkouError`` to exit code 2 and prints its message as one sentence.

The tree lives in ``mappings`` because ``mappings`` is the lowest layer that
``validation`` and ``pipeline`` may both import (DESIGN.md: imports run one
way). ``audit`` imports nothing of ikou's, so its standard-library chain module
raises its own :class:`audit.chain.ChainWriteError`, which ``pipeline`` wraps
into :class:`AuditLogError` at the single place it writes the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AuditLogError",
    "ConfigError",
    "EncodingError",
    "EncryptedFileError",
    "HeaderNotFoundError",
    "IkouError",
    "SourceChangedError",
    "SourceError",
    "SourceFileError",
    "SourceTooLargeError",
    "TamperedError",
    "TargetError",
    "UnreadableFileError",
    "WrongPasswordError",
]


@dataclass(frozen=True)
class Where:
    """A position in a source or a configuration file; no values, only names."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    key: str | None = None


class IkouError(Exception):
    """Base of every error ikou raises on purpose (exit code 2 unless a subclass
    says otherwise: a record that does not verify is a failed check, exit 1).

    ``message`` is a full sentence that names the place and the fix; the
    structured fields let the report and tests check *where* without parsing
    the text.
    """

    slug = "ikou.error"
    exit_code = 2

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


class ConfigError(IkouError):
    """A plan, mapping or contract file is wrong (unknown key, bad reference)."""

    slug = "config.invalid"


class SourceError(IkouError):
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


class TargetError(IkouError):
    """The target database cannot be used (unreachable, tables not empty)."""

    slug = "target.invalid"


class AuditLogError(IkouError):
    """The audit log cannot be written (permissions, disk full)."""

    slug = "audit.unwritable"


class TamperedError(IkouError):
    """The audit chain or custody journal does not verify, or names something ikou
    did not make: ikou refuses to act on it (exit 1, a failed check)."""

    slug = "audit.tampered"
    exit_code = 1
