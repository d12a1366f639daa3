"""What a ledger writes that is not a record: total rows and footnotes.

One place decides, for every part of ikou that needs to know: the built-in
``totals`` skip rule, the ledger-total controls that name it, the profiler
that marks such rows for a twin, and the extract stage that ends a table at
its footnotes.

A **total label** is a cell that, after NFKC and with every space and
decoration (``＊``, ``・``, brackets, ``◎``) removed, ends in 計 — ``小計``,
``合計``, ``総計``, ``東灘区計``, ``＊合計＊``, ``灘 区 計`` — and says so
plainly: it is one of the words 計, 小計, 合計, 総計, 中計, 累計 or ends in
one; or 計 follows a unit of the office or the calendar (区計, 市計, 支所計,
団地計, 年度計, 月計 …); or the label is decorated or spaced out as a total
row is (``＊…計＊``, ``灘 区 計``). So a place named 白川字不計 and the words
設計, 会計, 統計, 時計 stay records. Or it is one of the summary labels an
office declares (``前年５月``, ``内訳``), compared in the same normal form.

A row's **label** is its first text cell that is not digits written as
text (:func:`row_label`): where ledgers write 小計 or ＊東灘区計＊.

A **footnote** is a text starting the way Japanese statistical tables start
their notes: ``※``, ``*`` / ``＊``, ``注``, ``(注)``, ``a)``, ``1)``,
``資料：``, ``出典：`` or a web address.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

__all__ = ["TOTAL_WORDS", "footnote_text", "label_form", "label_text", "row_label", "total_label"]

TOTAL_WORDS = ("小計", "合計", "総計", "計", "中計", "累計")
"""The structural words themselves: a profile may keep these (they are no value)."""

_ORDINARY = ("設計", "会計", "統計", "時計", "家計", "推計", "余計", "生計", "主計", "早計")
_UNITS = tuple(unit + "計" for unit in "区市町村郡都道府県所局部課係校園館地域年月度期別類種件")
_DECORATION = re.compile(r"[\s*・･()\[\]{}<>「」『』【】〔〕〈〉《》◎○●◇◆□■※★☆]+")
_FOOTNOTE = re.compile(
    r"^\s*(?:※|\*|注(?:$|[\d:：)）.\s記意])|\(注|\([a-z\d]\)|[a-z\d]{1,2}\)|"
    r"(?:資料|出典|出所)(?:$|[:：)）\s])|https?://)",
    re.IGNORECASE,
)


def _normal(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, float)):
        return ""
    return unicodedata.normalize("NFKC", str(value))


_DIGITS = re.compile(r"[\d\s,.\-+()]*")


def label_text(value: Any) -> bool:
    """Whether a cell can be a row's label: text, and not digits written as
    text (a code such as ``'201506'`` in a CSV or a text-formatted cell)."""
    return isinstance(value, str) and _DIGITS.fullmatch(_normal(value)) is None


def row_label(row: Iterable[Any]) -> Any:
    """A row's label: its first cell that :func:`label_text` accepts, or ``None``."""
    return next((v for v in row if label_text(v)), None)


def label_form(value: Any) -> str:
    """``value`` as total labels are compared: NFKC, no space or decoration."""
    return _DECORATION.sub("", _normal(value))


def total_label(value: Any, declared: Iterable[str] = ()) -> bool:
    """Whether a cell's text labels a total or summary row (see the module docstring)."""
    form = label_form(value)
    if not form:
        return False
    if form in {label_form(label) for label in declared}:
        return True
    if not form.endswith("計") or form.endswith(_ORDINARY) or len(form) > 20:
        return False
    if form == "計" or form.endswith(tuple(w for w in TOTAL_WORDS if w != "計") + _UNITS):
        return True
    squeezed = re.sub(r"\s+", "", _normal(value))
    spaced = len(_normal(value).strip()) > len(squeezed) + 1
    return squeezed != form or spaced  # decorated (＊…計＊) or spaced out (灘 区 計)


def footnote_text(value: Any) -> bool:
    """Whether a cell's text starts the way a table's note or source line does."""
    text = _normal(value)
    return bool(text.strip()) and _FOOTNOTE.match(text) is not None
