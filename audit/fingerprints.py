"""Record fingerprints: keyed digests of each record's distinctive values.

``ikou sweep`` must recognise the migration's records in a CSV export, a
re-saved workbook or a text paste — files whose bytes share nothing with the
source. So a run keeps, per record, HMAC-SHA256 digests of its *distinctive*
values (a name, a phone number, a birth date: values few records share),
never the values. An unkeyed hash of a birth date *is* the birth date to
anyone who tries the 40,000 candidates, hence the key, which is kept apart
from the digests: in the user's key folder (``~/.ikou/keys`` or
``$IKOU_KEY_DIR``), mode 0600, while the digests stay in the workspace.

Both sides normalise a cell the same way, by a :data:`Normaliser` the caller
passes (ikou's is :func:`ikou.mappings.normalise.fingerprint_text`: width
folded, spaces removed, numbers without a trailing ``.0``, dates in ISO form
whatever their notation, phone-like digit strings as bare digits); this
package imports nothing of the mappings. A row of a swept
file matches a record when at least :data:`MIN_FIELDS` of that record's
distinctive values appear in it and one of them is word-like (a name, an
address): numbers, codes and dates alone recur by chance between two
ledgers of one town (sequential tenant numbers, rents, room numbers), names
next to them do not.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ikou.audit.chain import key_folder, private_key_folder

__all__ = [
    "MIN_FIELDS",
    "FingerprintIndex",
    "Normaliser",
    "digest_of",
    "fingerprint_counts",
    "is_wordlike",
    "key_folder",
    "load_indexes",
    "workspace_key",
    "write_fingerprints",
]

MIN_FIELDS = 2
Normaliser = Callable[[Any], "str | None"]
"""A cell as both sides compare it, or ``None`` if it is not distinctive."""
_FOLDER = "fingerprints"
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")


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
    workspace: Path,
    run_id: str,
    columns: Iterable[Sequence[Any] | tuple[np.ndarray, Sequence[Any]]],
    *,
    normalise: Normaliser,
    share: float = 0.001,
) -> tuple[Path, int, int]:
    """Keep keyed fingerprints of records given column by column (equal lengths;
    record *i* is every column's *i*-th cell). A column is its cells, or
    ``(codes, distinct values)`` as a type-exact factorize made them (code -1
    for null), which saves factorizing it again.

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
        if isinstance(column, tuple):  # already factorized, type-exact
            codes, uniques = column
        else:
            codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
        count = len(codes)
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


def digest_of(key: bytes, value: Any, normalise: Normaliser) -> tuple[int, str] | None:
    """The fingerprint a swept cell would have, and its normalised text (kept in
    memory only, to tell word-like values) — ``None`` if not distinctive."""
    text = normalise(value)
    return None if text is None else (_digest64(key, text), text)
