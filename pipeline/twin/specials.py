"""The rows of a ledger that are not records — totals and footnotes — as a
profile may describe them: where they stand and their *form*, never their text.

Whether a row is one is decided in one place,
:mod:`ikou.mappings.summary` (a label ending in 計 after NFKC and without
decoration; a note starting with ※, *, 注, a), 資料：, a web address); this
module says what of such a row a structure-only profile keeps, and writes
such rows again for a twin.

A **total's label** is kept as written only when it is one of the structural
words themselves (小計, 合計 …, :data:`~ikou.mappings.summary.TOTAL_WORDS`).
Any other label keeps its form: its decoration, its spacing and its
structural tail (区計, 市計, 計, 合計 …), with the name before the tail
replaced by ``…`` — ``＊東灘区計＊`` is kept as ``＊…区計＊``, ``灘 区 計`` as
``… 区 計``, ``東 灘 区 計`` as ``… … 区 計`` (a name spaced out), ``＊合計＊`` as
it is (there is no name in it) — so no place name leaves the office; a twin
writes a synthetic one in its place.

A **footnote** is a text-only row at the foot of a table, filling fewer cells
than half a typical record, whose first cell starts like a note (or that
continues a note above it). A profile keeps its column, how many cells it
fills and its marker (``※``, ``*``, ``注``, ``(注)``, ``a)``, ``(a)``,
``1)``, ``(1)``, ``資料``, ``出典``, ``出所``, ``URL``, or ``""`` for a line
continuing a note), never its text.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from ikou.mappings.summary import (
    TOTAL_WORDS,
    footnote_text,
    label_form,
    row_label,
    total_label,
)

__all__ = [
    "NAME",
    "footnote_rows",
    "grand_total",
    "label_template",
    "note_line",
    "note_marker",
    "render_label",
    "same_label",
    "total_cell",
]

NAME = "…"  # where a total's label had a name (東灘 in 東灘区計)
_TAIL = re.compile(r"[区市町村郡都道府県]?(?:小計|合計|総計|中計|累計|計)$")
_PROBE = "甲乙"  # a name, to try a label's form with
_UNIT_CHARACTERS = set("区市町村郡都道府県所局部課係校園館地域年月度期別類種件")
_GRAND = ("合計", "総計", "累計")  # totals over the whole table, not over a group
_SOURCES = ("資料", "出典", "出所")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def label_template(value: Any) -> str:
    """A total's label with its name part replaced by :data:`NAME`: its
    decoration, spacing and structural tail kept (see the module docstring).

    The tail is the structural ending (区計, 合計, 計 …), lengthened by the
    characters of units (年度計, 支所計: ``…度計``, ``…所計``) as far as a
    name in the name's place needs to still read as a total. Never longer:
    when no such form exists, the name is replaced all the same."""
    text = str(value).strip()
    content = [(i, unicodedata.normalize("NFKC", ch)) for i, ch in enumerate(text)]
    content = [(i, folded) for i, folded in content if label_form(folded)]
    match = _TAIL.search("".join(folded for _, folded in content))
    tail = len(match.group()) if match else 0
    taken, name = 0, len(content)
    while name > 0 and taken < tail:
        name -= 1
        taken += len(content[name][1])
    if name == 0:
        return text  # no name: a structural word, decorated or spaced (＊合計＊)
    forms = []
    while name > 0 and (not forms or content[name][1] in _UNIT_CHARACTERS):
        first, last = content[0][0], content[name - 1][0]
        spaced = re.search(r"\s+", text[first : last + 1])  # 東 灘 区 計: spaced out
        written = NAME + spaced.group() + NAME if spaced else NAME
        forms.append(text[:first] + written + text[last + 1 :])
        name -= 1
    return next((f for f in forms if total_label(_fill(f, _PROBE))), forms[0])


def _fill(form: str, name: str) -> str:
    """A label's form with ``name`` in the name's place; ``… …`` (the name
    spaced out) writes it spaced out the same way."""
    spaced = re.search(rf"{NAME}(\s+){NAME}", form)
    if spaced:
        return form[: spaced.start()] + spaced.group(1).join(name) + form[spaced.end() :]
    return form.replace(NAME, name, 1)


def _label(text: str) -> dict[str, str]:
    """How a profile keeps a total's label: the word itself, or its form."""
    text = text.strip()
    return {"label": text} if text in TOTAL_WORDS else {"label_form": label_template(text)}


def total_cell(cells: Sequence[Any]) -> tuple[int, dict[str, str]] | None:
    """The column of a row's label and how a profile keeps it, when the label
    is a total's (the row the built-in ``totals`` skip rule skips: its label is
    :func:`~ikou.mappings.summary.row_label`); else ``None``."""
    label = row_label(cells)
    if label is None or not total_label(label):
        return None
    column = next(c for c, v in enumerate(cells) if v is label)
    return column, _label(str(label))


def same_label(value: Any, kept: dict[str, str]) -> bool:
    """Whether another cell of a total row is a total label kept as ``kept``."""
    return isinstance(value, str) and total_label(value) and _label(value) == kept


def note_marker(value: Any) -> str:
    """How a footnote starts (see the module docstring); ``""`` for a line
    that does not (one continuing the note above it)."""
    text = unicodedata.normalize("NFKC", str(value)).lstrip()
    if text.startswith(("※", "*")):
        return str(value).lstrip()[0]  # ※, * or ＊ as written
    if text.startswith("(注"):
        return "(注)"
    if re.match(r"^注(?:$|[\d:：)）.\s記意])", text):
        return "注"
    for pattern, marker in ((r"\([a-z]\)", "(a)"), (r"\(\d\)", "(1)")):
        if re.match(pattern, text, re.IGNORECASE):
            return marker
    for pattern, marker in ((r"[a-z]{1,2}\)", "a)"), (r"\d{1,2}\)", "1)")):
        if re.match(pattern, text, re.IGNORECASE):
            return marker
    source = next((word for word in _SOURCES if text.startswith(word)), None)
    if source is not None:
        return source
    return "URL" if re.match(r"https?://", text, re.IGNORECASE) else ""


def footnote_rows(rows: Sequence[Sequence[Any]]) -> dict[int, dict[str, Any]]:
    """The footnotes at the foot of ``rows`` (a table's rows under its header,
    trailing blank rows removed), by index: each one's column (1-based), how
    many cells it fills and its marker.

    Read upward from the last row: text-only rows filling fewer cells than
    half a typical row (a table of one or two cells a row has no footnotes),
    whose first cell is no total label; a run of them is footnotes from the
    highest that starts like a note (:func:`~ikou.mappings.summary.footnote_text`)
    down. Rows that are all notes are the table's own, not footnotes."""
    filled = [[(c, v) for c, v in enumerate(row) if not _blank(v)] for row in rows]
    counts = sorted(len(cells) for cells in filled if cells)
    if not counts:
        return {}
    typical = counts[len(counts) // 2]
    fewer = math.ceil(typical / 2) if typical >= 3 else 1
    notes: dict[int, list[tuple[int, Any]]] = {}
    pending: dict[int, list[tuple[int, Any]]] = {}
    for index in range(len(rows) - 1, -1, -1):
        cells = filled[index]
        if not cells:
            continue
        if (
            len(cells) >= fewer
            or not all(isinstance(v, str) for _, v in cells)
            or total_label(cells[0][1])
        ):
            break
        pending[index] = cells
        if footnote_text(cells[0][1]):
            notes |= pending
            pending = {}
    if len(notes) == len(counts):
        return {}
    return {
        index: {"column": cells[0][0] + 1, "cells": len(cells), "marker": note_marker(cells[0][1])}
        for index, cells in sorted(notes.items())
    }


# --- a twin's rows ---------------------------------------------------------------


def grand_total(special: dict[str, Any]) -> bool:
    """Whether a total row sums the whole table (合計, ＊合計＊), not a group."""
    label = special.get("label") or special.get("label_form", "")
    return label_form(str(label).replace(NAME, "")) in _GRAND


def render_label(special: dict[str, Any], fake: Any) -> str:
    """A total row's label for a twin: the word, or the form with a synthetic
    place name (Faker ja_JP) in the name's place — kanji or kana only, and one
    with which the label still reads as a total (no 会 before 計: 会計)."""
    if "label" in special:
        return str(special["label"])
    form = str(special["label_form"])
    for _ in range(50):
        name = str(fake.town())
        label = _fill(form, name)
        if re.fullmatch(r"[一-龥々ぁ-んァ-ヶー]{2,}", name) and (
            label_template(label) == form or not total_label(_fill(form, _PROBE))
        ):
            return label
    return _fill(form, _PROBE)


def note_line(marker: str, fake: Any, rng: random.Random) -> str:
    """A synthetic footnote that starts with ``marker``."""
    sentence = str(fake.sentence())
    while footnote_text(sentence):  # a line continuing a note must not start one
        sentence = str(fake.sentence())
    if marker in ("※", "*"):
        return marker + sentence
    if marker == "(注)":
        return "（注）" + sentence
    if marker == "注":
        return f"注{rng.randint(1, 9)}　{sentence}"
    if marker in ("(a)", "a)"):
        return marker.replace("a", rng.choice("abc")) + " " + sentence
    if marker in ("(1)", "1)"):
        return marker.replace("1", str(rng.randint(1, 9))) + " " + sentence
    if marker in _SOURCES:
        return f"{marker}：{fake.word()}{fake.word()}調査"
    if marker == "URL":
        return f"https://www.example.jp/opendata/{rng.randint(100, 999)}.html"
    return sentence
