"""The sealed manifest: keyed digests of every loaded row, for reconciling later.

After a production run, ``ikou reconcile`` must tell — years later, without
the sources — whether the target still holds what was loaded, and if not,
which row and which column changed. The manifest keeps, per loaded row, an
HMAC-SHA256 (first 128 bits) of its key, of the whole row, and of each
column, plus the row's source position (file, sheet, row) — never a value.
The key is the workspace's fingerprint key (:mod:`audit.fingerprints`),
kept apart from the workspace; the manifest's own SHA-256 is sealed in the
audit chain, so an edited manifest is caught before it is used.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ikou.audit.hashing import row_keys

__all__ = [
    "Difference",
    "compare",
    "manifest_table",
    "read_manifest",
    "sealed_rows",
    "write_manifest",
]

_PURPOSE = b"ikou manifest v1"


def _subkey(key: bytes) -> bytes:
    return hmac.digest(key, _PURPOSE, "sha256")


def _mac(key: bytes, text: str) -> str:
    return hmac.digest(key, text.encode("utf-8", "surrogatepass"), "sha256")[:16].hex()


def _digests(frame: pd.DataFrame, kinds: Mapping[str, str], primary: list[str], key: bytes):
    sub = _subkey(key)
    keys = [_mac(sub, k) for k in row_keys(frame, {c: kinds[c] for c in primary})]
    per_column = {c: [_mac(sub, v) for v in row_keys(frame, {c: kinds[c]})] for c in kinds}
    whole = [_mac(sub, v) for v in row_keys(frame, kinds)]
    return keys, whole, per_column


def manifest_table(
    frame: pd.DataFrame,
    kinds: Mapping[str, str],
    primary: list[str],
    key: bytes,
    positions: list[tuple[str, str, int]],
) -> dict[str, Any]:
    """One table's manifest from its rows as read back after the load."""
    keys, whole, per_column = _digests(frame, kinds, primary, key)
    columns = list(kinds)
    return {
        "columns": columns,
        "rows": [
            {
                "key": keys[i],
                "row": whole[i],
                "cells": [per_column[c][i] for c in columns],
                "at": list(positions[i]),
            }
            for i in range(len(keys))
        ],
    }


def write_manifest(path: Path, body: dict[str, Any]) -> str:
    """Write the manifest; return its SHA-256 (to be sealed in the chain)."""
    data = json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def read_manifest(path: Path, sealed_sha256: str) -> dict[str, Any]:
    """The manifest, if its bytes are what the chain sealed; ValueError otherwise."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sealed_sha256:
        raise ValueError(f"the manifest {path.name} is not the one sealed in the audit chain")
    return json.loads(data)


@dataclass(frozen=True)
class Difference:
    """A row of the target that is not as it was loaded (no values)."""

    table: str
    change: str  # "changed", "added", "removed"
    key: str  # the key's keyed digest (first 16 hex digits)
    columns: tuple[str, ...] = ()
    at: tuple[str, str, int] | None = None  # where the row came from

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "change": self.change,
            "key": self.key,
            "columns": list(self.columns),
            "at": list(self.at) if self.at else None,
        }


def sealed_rows(
    sealed: dict[str, Any],
    frame: pd.DataFrame,
    primary: list[str],
    kinds: Mapping[str, str],
    key: bytes,
) -> list[int]:
    """The positions in ``frame`` of the rows whose key the manifest seals: an
    appending run's own rows among the other batches' in the same table."""
    sub = _subkey(key)
    ours = {row["key"] for row in sealed["rows"]}
    keys = row_keys(frame, {c: kinds[c] for c in primary})
    return [i for i, k in enumerate(keys) if _mac(sub, k) in ours]


def compare(
    table: str,
    sealed: dict[str, Any],
    frame: pd.DataFrame,
    kinds: Mapping[str, str],
    primary: list[str],
    key: bytes,
    *,
    appended: bool = False,
) -> list[Difference]:
    """Every difference between the sealed rows and ``frame`` (the target now).

    ``appended``: the run appended to a table holding other batches' rows, so a
    key the manifest does not seal is one of theirs, not an ``added`` row (a row
    added later cannot then be told from them)."""
    keys, whole, per_column = _digests(frame, kinds, primary, key)
    columns = sealed["columns"]
    now = {k: i for i, k in enumerate(keys)}
    found: list[Difference] = []
    seen = set()
    for row in sealed["rows"]:
        at = tuple(row["at"])
        position = now.get(row["key"])
        seen.add(row["key"])
        if position is None:
            found.append(Difference(table, "removed", row["key"][:16], (), at))  # type: ignore[arg-type]
        elif whole[position] != row["row"]:
            changed = tuple(
                c
                for c, cell in zip(columns, row["cells"], strict=True)
                if c not in per_column or per_column[c][position] != cell
            )
            found.append(Difference(table, "changed", row["key"][:16], changed, at))  # type: ignore[arg-type]
    if not appended:
        for k in keys:
            if k not in seen:
                found.append(Difference(table, "added", k[:16]))
    return found
