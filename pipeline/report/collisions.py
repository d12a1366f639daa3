"""Which rows a duplicate collides with: positions, never the key.

Validation groups the rows by key once and keeps the groups
(:attr:`~ikou.validation.schema.ValidatedTable.collisions`). Here each group
becomes positions (file, sheet, row): every row of a group names the first
:data:`SHOWN` others and how many more there are, so the cost stays linear
however large a group is, and the report lists each group once with its
first positions. The words — "same key as row 14 of sheet 2013 in
ledger.xlsx" — are :func:`same_key_as`, shared by the printed report and the
worklist.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

import pandas as pd

from ikou.pipeline.stages.extract import RawTable

__all__ = ["GROUP_SHOWN", "SHOWN", "collision_facts", "places_said", "same_key_as"]

SHOWN = 5
"""Positions a duplicate names of the rows it collides with; the rest are counted."""
GROUP_SHOWN = 6
"""Positions the report lists of one group of rows sharing a key."""

_WORDS = {
    "en": {
        "one": "row {row}",
        "many": "rows {rows}",
        "sheet": " of sheet {sheet}",
        "file": " in {file}",
        "join": "; ",
        "rows": ", ",
        "same": "same key as {places}",
        "more": ", and {n} more",
        "loaded": " (loaded)",
    },
    "ja": {
        "one": "{row} 行目",
        "many": "{rows} 行目",
        "sheet": "シート {sheet} の ",
        "file": "{file} の",
        "join": "、",
        "rows": "・",
        "same": "{places}と同じキー",
        "more": "（ほか {n} 行）",
        "loaded": "（登録）",
    },
}


def _place(raw: RawTable, rows: list[int]) -> list[dict[str, Any]]:
    at = raw.positions.index.get_indexer(rows)
    files = raw.positions["file"].to_numpy(dtype=object)[at]
    sheets = raw.positions["sheet"].to_numpy(dtype=object)[at]
    numbers = raw.positions["row"].to_numpy(dtype=object)[at]
    return [
        {"file": str(f), "sheet": "" if s is None or pd.isna(s) else str(s), "row": int(r)}
        for f, s, r in zip(files, sheets, numbers, strict=True)
    ]


def collision_facts(
    collisions: pd.DataFrame, raw: RawTable, rejected: set[int]
) -> tuple[dict[tuple[int, str], dict[str, Any]], list[dict[str, Any]]]:
    """Per (row, slug) of a row in a group: the first :data:`SHOWN` other rows
    of its group (positions) and how many more; and the groups, each with its
    slug, size and first :data:`GROUP_SHOWN` positions (a loaded copy marked,
    under ``keep_first``). ``rejected``: the table's rejected rows (raw index)."""
    per_row: dict[tuple[int, str], dict[str, Any]] = {}
    groups: list[dict[str, Any]] = []
    firsts: list[int] = []  # each group's first row (raw index: source order)
    if collisions.empty:
        return per_row, groups
    ordered = collisions.sort_values(["slug", "group", "row"], kind="stable")
    rows = ordered["row"].astype("int64").tolist()
    slugs = ordered["slug"].astype(str).tolist()
    numbers = ordered["group"].astype("int64").tolist()
    keys = list(zip(slugs, numbers, strict=True))
    starts = [i for i in range(len(keys)) if i == 0 or keys[i] != keys[i - 1]]
    ends = [*starts[1:], len(keys)]
    places = _place(raw, rows)  # one lookup for every row, not one per group
    for a, b in zip(starts, ends, strict=True):
        members = rows[a:b]
        shown = places[a : min(b, a + max(SHOWN, GROUP_SHOWN) + 1)]
        for where, row in zip(shown, members, strict=False):
            where.update({"loaded": True} if row not in rejected else {})
        slug = slugs[a]
        for i, row in enumerate(members):
            near = [p for j, p in enumerate(shown[: SHOWN + 1]) if j != i][:SHOWN]
            per_row[(row, slug)] = {
                "slug": slug,
                "with": [_bare(p) for p in near],
                "more": len(members) - 1 - len(near),
            }
        groups.append({"slug": slug, "size": len(members), "rows": shown[:GROUP_SHOWN]})
        firsts.append(members[0])
    order = sorted(range(len(groups)), key=lambda i: (groups[i]["slug"], firsts[i]))
    return per_row, [groups[i] for i in order]  # by slug, then in source order


def _bare(place: dict[str, Any]) -> dict[str, Any]:
    return {k: place[k] for k in ("file", "sheet", "row")}


def places_said(places: list[dict[str, Any]], lang: str) -> str:
    """Positions in words, rows of one file and sheet together: ``rows 14, 27 of
    sheet 2013 in ledger.xlsx``, ``ledger.xlsx のシート 2013 の 14・27 行目``; a
    row marked ``loaded`` (the copy ``keep_first`` kept) says so."""
    words = _WORDS["ja" if lang == "ja" else "en"]
    parts = []
    for (file, sheet), run in groupby(places, key=lambda p: (p["file"], p.get("sheet") or "")):
        numbers = [f"{p['row']}{words['loaded'] if p.get('loaded') else ''}" for p in run]
        rows = (
            words["one"].format(row=numbers[0])
            if len(numbers) == 1
            else words["many"].format(rows=words["rows"].join(numbers))
        )
        where_sheet = words["sheet"].format(sheet=sheet) if sheet else ""
        if lang == "ja":  # ledger.xls のシート 2013 の 14 行目; parks.csv の 14 行目
            where_sheet = where_sheet or " "
            parts.append(words["file"].format(file=file) + where_sheet + rows)
        else:
            parts.append(rows + where_sheet + words["file"].format(file=file))
    return words["join"].join(parts)


def same_key_as(collides: dict[str, Any], lang: str) -> str:
    """``same key as row 14 of sheet 2013 in ledger.xlsx, and 3 more``: the rows
    a duplicate collides with, in ``lang``."""
    words = _WORDS["ja" if lang == "ja" else "en"]
    said = words["same"].format(places=places_said(collides["with"], lang))
    if collides.get("more"):
        said += words["more"].format(n=f"{collides['more']:,}")
    return said
