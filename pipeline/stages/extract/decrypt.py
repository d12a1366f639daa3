"""Password-protected Office files, opened in memory (msoffcrypto-tool).

The decrypted bytes never touch the disk: they go from msoffcrypto's output
buffer straight to the reader. The password comes from the caller — the
environment variable the plan names in ``password_env:`` or an interactive
prompt — and is never written anywhere.

Excel encrypts a workbook saved with only "read-only recommended" or
write-protection under its built-in password ``VelvetSweatshop``; such a file
opens in Excel without asking, so ikou tries that password first too.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from ikou.errors import EncryptedFileError, UnreadableFileError, WrongPasswordError

__all__ = ["EXCEL_DEFAULT_PASSWORD", "decrypt", "is_encrypted_document", "unlock"]

EXCEL_DEFAULT_PASSWORD = "VelvetSweatshop"
_WORD = "WordDocument".encode("utf-16-le")


def decrypt(data: bytes, file: str, password: str) -> bytes:
    """The plaintext of an encrypted Office file, or WrongPasswordError."""
    import msoffcrypto
    from msoffcrypto.exceptions import InvalidKeyError

    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        office.load_key(password=password)
        out = io.BytesIO()
        office.decrypt(out)
    except InvalidKeyError:
        raise WrongPasswordError(
            f"wrong password for {file}; check it with the file's owner and try again.",
            file=file,
        ) from None
    except Exception:  # msoffcrypto meets formats and damage it cannot handle
        raise UnreadableFileError(
            f"{file} is encrypted in a way ikou cannot open (or damaged); open it in Excel "
            "or Word with its password and save an unprotected copy in a secure place.",
            file=file,
        ) from None
    return out.getvalue()


def is_encrypted_document(data: bytes) -> bool:
    """Whether a Word 97-2003 file is encrypted (spreadsheets are told apart by
    their readers, at no extra cost on the fast path)."""
    if _WORD not in data:
        return False
    import msoffcrypto

    try:
        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except Exception:
        return False


def unlock(data: bytes, file: str, password: Callable[[], str | None]) -> tuple[bytes, str]:
    """Decrypt ``data``: Excel's built-in password first, then ``password()``.

    Returns the plaintext and how it was opened (``default`` or ``password``).
    ``password()`` returning ``None`` means none was given: EncryptedFileError.
    """
    try:
        return decrypt(data, file, EXCEL_DEFAULT_PASSWORD), "default"
    except (WrongPasswordError, UnreadableFileError):
        pass
    given = password()
    if given is None:
        raise EncryptedFileError(
            f"{file} is password-protected; name an environment variable that holds the "
            "password in the source's password_env: (or run ikou at a terminal to be asked).",
            file=file,
        )
    return decrypt(data, file, given), "password"
