"""How a cell is compared when looking for copies: the normal form of
fingerprints.

``ikou sweep`` must recognise the migration's records in a CSV export, a
re-saved workbook or a text paste. Both sides — the run that keeps keyed
fingerprints of each record (:mod:`ikou.audit.fingerprints`) and the sweep
reading a file — normalise a cell the same way, here: width folded, spaces
removed, numbers without a trailing ``.0``, dates in ISO form whatever their
notation (the transform library's date parser), phone-like digit strings as
bare digits. Cells shorter than four characters (or longer than 80) are not
distinctive and normalise to ``None``. The audit package takes this
function as an argument: it imports nothing of the mappings.
"""

from __future__ import annotations

__all__ = ["MAX_LENGTH", "MIN_LENGTH", "fingerprint_text"]

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from ikou.mappings.dates import ERA_INITIALS, ERA_LETTERS, parse_date
from ikou.mappings.registry import Reject
from ikou.mappings.text import fold_width

MIN_LENGTH = 4

MAX_LENGTH = 80  # longer text is a sentence or a whole line, not a field value

_DATEISH = re.compile(
    rf"^[0-9０-９元]{{1,4}}[年./\-／．][0-9０-９]{{1,2}}"
    rf"|^[{ERA_LETTERS}{ERA_LETTERS.lower()}{ERA_INITIALS}㍻]|^\d{{8}}$"
)

_PHONEISH = re.compile(r"^\+?[0-9()\-./]+$")

_SPACE = re.compile(r"\s+")

_NOT_DIGIT = re.compile(r"[^0-9]")


def _normalise_text(value: str) -> str | None:
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


def fingerprint_text(value: Any) -> str | None:
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
