"""Record fingerprints: keyed digests of each record's distinctive values.

``ikou sweep`` must recognise the migration's records in a CSV export, a
re-saved workbook or a text paste — files whose bytes share nothing with the
source. So a run keeps, per record, HMAC-SHA256 digests of its *distinctive*
values (a name, a phone number, a birth date: values few records share),
never the values. An unkeyed hash of a birth date *is* the birth date to
anyone who tries the 40,000 candidates, hence the key, which is kept apart
from the digests: in the user's key folder (``~/.ikou/keys`` or
``$IKOU_KEY_DIR``), mode 0600, while the digests stay in the workspace.

Both sides normalise a cell the same way (:func:`normalise`): width folded,
spaces removed, numbers without a trailing ``.0``, dates in ISO form whatever
their notation, phone-like digit strings as bare digits. A row of a swept
file matches a record when at least :data:`MIN_FIELDS` of that record's
distinctive values appear in it and one of them is word-like (a name, an
address): numbers, codes and dates alone recur by chance between two
ledgers of one town (sequential tenant numbers, rents, room numbers), names
next to them do not.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ikou.audit.chain import key_folder, private_key_folder

__all__ = [
    "MIN_FIELDS",
    "FingerprintIndex",
    "digest_of",
    "fingerprint_counts",
    "is_wordlike",
    "key_folder",
    "load_indexes",
    "normalise",
    "workspace_key",
    "write_fingerprints",
]

MIN_FIELDS = 2
MIN_LENGTH = 4
MAX_LENGTH = 80  # longer text is a sentence or a whole line, not a field value
_FOLDER = "fingerprints"
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")
_DATEISH = re.compile(
    r"^[0-9０-９元]{1,4}[年./\-／．][0-9０-９]{1,2}|^[MTSHRmtshr明大昭平令㍻]|^\d{8}$"
)
_PHONEISH = re.compile(r"^\+?[0-9()\-./]+$")
_SPACE = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"[^0-9]")


def workspace_key(workspace: Path, *, create: bool) -> tuple[str, bytes] | None:
    """The workspace's fingerprint key (id, bytes); made on first use when ``create``.

    The id is read from the workspace, which anyone may write: only an id of
    sixteen hex digits names a key (never a path, never the audit key)."""
    id_file = workspace / _FOLDER / "KEY_ID"
    if id_file.exists():
        key_id = id_file.read_text(encoding="ascii", errors="replace").strip()
        if not _KEY_ID.match(key_id):
            return None
        key_file = key_folder() / f"{key_id}.key"
        if not key_file.exists():
            return None
        return key_id, bytes.fromhex(key_file.read_text(encoding="ascii").strip())
    if not create:
        return None
    key_id, key = secrets.token_hex(8), secrets.token_bytes(32)
    folder = private_key_folder(key_folder())
    fd = os.open(folder / f"{key_id}.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    id_file.parent.mkdir(parents=True, exist_ok=True)
    id_file.write_text(key_id + "\n", encoding="ascii")
    return key_id, key


def _normalise_text(value: str) -> str | None:
    from ikou.mappings.dates import parse_date
    from ikou.mappings.registry import Reject
    from ikou.mappings.text import fold_width

    if len(value) > 2 * MAX_LENGTH:
        return None
    text = value if value.isascii() else fold_width(value)
    text = _SPACE.sub("", text)
    if text.isdigit() and len(text) != 8:  # a plain number (eight digits may be a date)
        return text
    if _DATEISH.search(text):
        try:
            parsed = parse_date(text, precision="day")
        except Reject:
            pass
        else:
            if isinstance(parsed, dt.date):
                return parsed.isoformat()
    if _PHONEISH.fullmatch(text):
        digits = _NOT_DIGIT.sub("", text)
        if len(digits) >= 7:
            return digits
    return text


def normalise(value: Any) -> str | None:
    """A cell as both sides compare it, or ``None`` if it is not distinctive in
    itself (empty, a boolean, shorter than four characters)."""
    if value.__class__ is str:
        text = _normalise_text(value)
        return text if text is not None and MIN_LENGTH <= len(text) <= MAX_LENGTH else None
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        text = value.date().isoformat()
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, float):
        if value != value:
            return None
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, int | Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = _normalise_text(str(value))
        if text is None:
            return None
    else:
        return None
    return text if MIN_LENGTH <= len(text) <= MAX_LENGTH else None


def _digest64(key: bytes, text: str) -> int:
    mac = hmac.digest(key, text.encode("utf-8", "surrogatepass"), "sha256")
    return int.from_bytes(mac[:8], "big", signed=True)


@dataclass(frozen=True)
class FingerprintIndex:
    """Digests (first 64 bits of the HMAC) sorted, with the record each belongs to."""

    run_id: str
    records: int
    digests: np.ndarray  # int64, sorted
    owners: np.ndarray  # int32, record number per digest

    def lookup(self, digest: int) -> np.ndarray:
        """Records that hold a value with this digest."""
        left = np.searchsorted(self.digests, digest, side="left")
        right = np.searchsorted(self.digests, digest, side="right")
        return self.owners[left:right]


def write_fingerprints(
    workspace: Path, run_id: str, columns: Iterable[Sequence[Any]], *, share: float = 0.001
) -> tuple[Path, int, int]:
    """Keep keyed fingerprints of records given column by column (equal lengths;
    record *i* is every column's *i*-th cell).

    Each distinct cell of a column is normalised and keyed once. A value is
    distinctive when it normalises to at least four characters and at most
    ``max(2, share × records)`` records hold it. Returns the file, the number
    of records and of digests kept.
    """
    key_id, key = workspace_key(workspace, create=True) or ("", b"")
    parts_digest: list[np.ndarray] = []
    parts_owner: list[np.ndarray] = []
    count = 0
    for column in columns:
        values = np.asarray(column, dtype=object)
        count = len(values)
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        keyed = np.zeros(len(uniques) + 1, dtype=np.int64)
        present = np.zeros(len(uniques) + 1, dtype=bool)
        for position, value in enumerate(uniques):
            text = normalise(value)
            if text is not None:
                keyed[position], present[position] = _digest64(key, text), True
        codes = np.asarray(codes, dtype=np.intp)
        rows = np.flatnonzero(present[codes])
        parts_digest.append(keyed[codes[rows]])
        parts_owner.append(rows.astype(np.int32))
    digest_array = np.concatenate(parts_digest) if parts_digest else np.zeros(0, np.int64)
    owner_array = np.concatenate(parts_owner) if parts_owner else np.zeros(0, np.int32)
    order = np.lexsort((owner_array, digest_array))  # by digest, then record
    digest_array, owner_array = digest_array[order], owner_array[order]
    if len(digest_array):
        first = np.ones(len(digest_array), dtype=bool)  # one line per (digest, record)
        first[1:] = (digest_array[1:] != digest_array[:-1]) | (owner_array[1:] != owner_array[:-1])
        digest_array, owner_array = digest_array[first], owner_array[first]
    starts = np.flatnonzero(np.r_[True, digest_array[1:] != digest_array[:-1]])
    counts = np.diff(np.r_[starts, len(digest_array)])
    keep = np.repeat(counts <= max(2, int(share * count)), counts)
    digest_array, owner_array = digest_array[keep], owner_array[keep]
    folder = workspace / _FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run_id}.npz"
    with path.open("wb") as handle:
        np.savez(
            handle,
            key_id=np.array(key_id),
            records=np.array(count),
            digests=digest_array,
            owners=owner_array,
        )
    return path, count, int(keep.sum())


def fingerprint_counts(path: Path) -> tuple[int, int]:
    """Records and digests in one fingerprint file."""
    with np.load(path) as data:
        return int(data["records"]), len(data["digests"])


def load_indexes(workspace: Path) -> tuple[bytes | None, list[FingerprintIndex]]:
    """The workspace's key (``None`` if it is not on this machine) and every
    run's fingerprints made under it."""
    found = workspace_key(workspace, create=False)
    if found is None:
        return None, []  # no fingerprints yet, or their key is not on this machine
    key_id, key = found
    indexes = []
    for path in sorted((workspace / _FOLDER).glob("*.npz")):
        with np.load(path) as data:
            if str(data["key_id"]) != key_id:
                continue
            indexes.append(
                FingerprintIndex(path.stem, int(data["records"]), data["digests"], data["owners"])
            )
    return key, indexes


def is_wordlike(text: str) -> bool:
    """Whether a normalised value holds at least two letters (kanji, kana, Latin):
    a name or an address rather than a number, a code or a date."""
    letters = 0
    for c in text:
        if c.isalpha():
            letters += 1
            if letters == 2:
                return True
    return False


def digest_of(key: bytes, value: Any) -> tuple[int, str] | None:
    """The fingerprint a swept cell would have, and its normalised text (kept in
    memory only, to tell word-like values) — ``None`` if not distinctive."""
    text = normalise(value)
    return None if text is None else (_digest64(key, text), text)
