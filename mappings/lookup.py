"""Code lookups: legacy labels to the new system's codes.

``code_map`` takes its table inline in the mapping; ``lookup`` reads it from a
CSV or YAML file in the mapping's folder (the file's SHA-256 joins the plan's
hash, so a rehearsal and the production run provably used the same table).
Labels match after width folding and with all spaces removed, so ``第１団地``,
``第1 団地`` and ``第1団地`` find the same code.
"""

from __future__ import annotations

import csv
import hashlib
import io
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from ikou.mappings.registry import Bound, Reject, register
from ikou.mappings.text import STRIP_CHARS, as_text, fold_width, nfkc_keep_kanji, squeeze_spaces

__all__ = ["label_key", "read_lookup_table"]


def label_key(label: str) -> str:
    """How labels are compared: width folded, every space removed."""
    return squeeze_spaces(fold_width(label), "")


def _entries(rows: list[tuple[Any, Any]], where: str) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for line, (label, code) in enumerate(rows, start=1):
        if not isinstance(label, str | int) or isinstance(label, bool) or code is None:
            raise ValueError(f"{where}: entry {line} needs a label and a code")
        key = label_key(str(label))
        if not key:
            raise ValueError(f"{where}: entry {line} has an empty label")
        if key in entries and entries[key] != code:
            raise ValueError(
                f"{where}: entry {line}'s label matches an earlier one with another code"
            )
        entries[key] = code
    if not entries:
        raise ValueError(f"{where}: the table has no entries")
    return entries


def read_lookup_table(path: Path) -> tuple[dict[str, Any], str]:
    """A lookup file's entries (label key → code) and the SHA-256 of its bytes.

    CSV (UTF-8, BOM allowed) has a header row with columns ``label`` and
    ``code``; YAML is a mapping of label to code. Raises ValueError with a
    sentence naming the file and what is wrong with it.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read lookup table {path.name}: {exc.strerror}") from None
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"lookup table {path.name} is not UTF-8") from None
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None or not {"label", "code"} <= set(reader.fieldnames):
            raise ValueError(f"lookup table {path.name} needs a header row with label and code")
        rows = [(row["label"], row["code"] or None) for row in reader]
    elif path.suffix.lower() in (".yaml", ".yml"):
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError:
            raise ValueError(f"lookup table {path.name} is not valid YAML") from None
        if not isinstance(loaded, dict):
            raise ValueError(f"lookup table {path.name} must be a YAML mapping of label: code")
        rows = list(loaded.items())
    else:
        raise ValueError(f"lookup table {path.name} must be a .csv, .yaml or .yml file")
    return _entries(rows, f"lookup table {path.name}"), digest


def _find(value: Any, entries: dict[str, Any]) -> Any:
    key = label_key(as_text(value))
    if key not in entries:
        raise Reject("unknown")
    return entries[key]


def _bind_lookup(args: dict[str, Any], folder: Path) -> Bound:
    path = (folder / args["table"]).resolve()
    entries, digest = read_lookup_table(path)
    return Bound(partial(_find, entries=entries), {str(path): digest})


@register("lookup", reasons=("unknown", "not_text"), bind=_bind_lookup)
def lookup(value: Any, *, table: str) -> Any:
    """The code for a legacy label from a table file in the mapping's folder
    (``lookup: {table: estates.csv}``); a label not in it is rejected.

    A mapping binds the table once when it is loaded; called directly, this
    reads ``table`` relative to the working directory.
    """
    return _find(value, read_lookup_table(Path(table))[0])


@register("code_map", reasons=("unmapped", "not_text"))
def code_map(value: Any, *, codes: dict[str, str | int | bool]) -> Any:
    """Replace a legacy code by the new system's (``codes: {"1": 男性, "2": 女性}``);
    a value not listed is rejected. Matching is on the text after NFKC and strip."""
    key = nfkc_keep_kanji(as_text(value)).strip(STRIP_CHARS)
    if key not in codes:
        raise Reject("unmapped")
    return codes[key]


_TRUE = ("1", "true", "yes", "y", "はい", "有", "有り", "あり", "○", "〇", "◯", "済")
_FALSE = ("0", "false", "no", "n", "いいえ", "無", "無し", "なし", "×", "-", "未")


@register("boolean", reasons=("not_boolean", "not_text"))
def boolean(
    value: Any,
    *,
    true_values: tuple[str, ...] = _TRUE,
    false_values: tuple[str, ...] = _FALSE,
) -> bool:
    """True/false from a boolean cell or the text a ledger uses (○/×, 有/無, 1/0).

    (The arguments are not called ``true``/``false``: YAML reads those keys as
    booleans.)
    """
    if isinstance(value, bool):
        return value
    key = nfkc_keep_kanji(as_text(value)).strip(STRIP_CHARS).lower()
    if key in true_values:
        return True
    if key in false_values:
        return False
    raise Reject("not_boolean")
