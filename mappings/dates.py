"""Dates as legacy ledgers hold them: era (和暦) and Gregorian notations, Excel cells.

Pure per-value parsing; :mod:`mappings.transforms` vectorises it. Each failure
is a :class:`Reject` with a stable reason (``unparseable``, ``invalid``,
``out_of_era``, ``pre_gregorian``, ``partial``); nothing here raises anything
else, whatever the input.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

__all__ = ["ERAS", "Era", "Reject", "parse_date"]


class Reject(Exception):
    """A value this transform cannot accept; ``reason`` is a stable slug part."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Era:
    """A Japanese era: its names and the first day of its first year."""

    name: str
    kanji: str
    letter: str
    start: dt.date
    offset: int  # Gregorian year = offset + era year


ERAS: tuple[Era, ...] = (
    Era("meiji", "明治", "M", dt.date(1868, 1, 25), 1867),
    Era("taisho", "大正", "T", dt.date(1912, 7, 30), 1911),
    Era("showa", "昭和", "S", dt.date(1926, 12, 25), 1925),
    Era("heisei", "平成", "H", dt.date(1989, 1, 8), 1988),
    Era("reiwa", "令和", "R", dt.date(2019, 5, 1), 2018),
)
GREGORIAN_ADOPTED = dt.date(1873, 1, 1)  # Meiji 6: Japan's first Gregorian day

_ERA_BY_TOKEN: dict[str, Era] = {}
for _era in ERAS:
    _ERA_BY_TOKEN[_era.kanji] = _era
    _ERA_BY_TOKEN[_era.kanji[0]] = _era
    _ERA_BY_TOKEN[_era.letter] = _era
    _ERA_BY_TOKEN[_era.letter.lower()] = _era

_ERA_RE = re.compile(
    r"^(?P<era>明治|大正|昭和|平成|令和|[明大昭平令]|[MTSHRmtshr])\.?"
    r"(?P<y>\d{1,2}|元)(?:年|[./\-]|(?=$))"
    r"(?:(?P<m>\d{1,2})(?:(?:月|[./\-])(?:(?P<d>\d{1,2})日?)?)?)?$"
)
_GREG_RE = re.compile(
    r"^(?P<y>\d{4})(?:年|[./\-])"
    r"(?:(?P<m>\d{1,2})(?:(?:月|[./\-])(?:(?P<d>\d{1,2})日?)?)?)?$"
)
_COMPACT_RE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_SHORT_RE = re.compile(r"^(?P<y>\d{1,2})[./\-](?P<m>\d{1,2})[./\-](?P<d>\d{1,2})$")
_SPACES = re.compile(r"\s+")


_ERA_END: dict[str, dt.date | None] = {
    era.name: (ERAS[i + 1].start if i + 1 < len(ERAS) else None) for i, era in enumerate(ERAS)
}


def _era_end(era: Era) -> dt.date | None:
    return _ERA_END[era.name]


def _build(year: int, month: int | None, day: int | None, precision: str) -> dt.date:
    if (precision == "day" and (month is None or day is None)) or (
        precision == "month" and month is None
    ):
        raise Reject("partial")
    if month is None and day is not None:
        raise Reject("unparseable")
    try:
        return dt.date(year, month or 1, day or 1)
    except ValueError:
        raise Reject("invalid") from None


def _period_end(value: dt.date, month: int | None, day: int | None) -> dt.date:
    """Last day of the period a partial value names (itself when it has a day)."""
    if day is not None:
        return value
    if month is None:
        return dt.date(value.year, 12, 31)
    following = dt.date(value.year + (value.month == 12), value.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _from_era(
    era: Era, era_year: int, month: int | None, day: int | None, precision: str, lenient_era: bool
) -> dt.date:
    if era_year < 1:
        raise Reject("invalid")
    value = _build(era.offset + era_year, month, day, precision)
    if value < GREGORIAN_ADOPTED:
        raise Reject("pre_gregorian")
    end = _era_end(era)
    # Compare at the precision given: a year-only 平成元年 is in Heisei although
    # 1989-01-01 is not; a partial value is in its era if any of its days is.
    last = _period_end(value, month, day)
    if (last < era.start or (end is not None and value >= end)) and not lenient_era:
        raise Reject("out_of_era")
    return value


def _excel_serial(number: float, system: int) -> dt.date:
    if number != number or number < 0 or number > 2958465:  # NaN, negative, past 9999-12-31
        raise Reject("unparseable")
    whole = int(number)
    if system == 1904:
        return dt.date(1904, 1, 1) + dt.timedelta(days=whole)
    if whole == 60:  # Excel's phantom 1900-02-29, kept for Lotus 1-2-3 compatibility
        raise Reject("invalid")
    if whole == 0:
        raise Reject("invalid")
    base = dt.date(1899, 12, 31) if whole < 60 else dt.date(1899, 12, 30)
    return base + dt.timedelta(days=whole)


def parse_date(
    value: Any,
    *,
    default_era: str | None = None,
    excel_serial: int | None = None,
    precision: str = "day",
    lenient_era: bool = False,
) -> dt.date:
    """One cell → ``datetime.date`` or :class:`Reject`.

    ``precision`` ``month`` or ``year`` accepts values without a day (and
    month); they become the first day of the period. ``default_era`` (a kanji,
    letter or romanised era name) lets an era-less short date like ``22.10.7``
    through. ``excel_serial`` (1900 or 1904) accepts plain numbers as Excel
    serial dates in that date system; otherwise a number is unparseable.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise Reject("unparseable")
    if isinstance(value, int | float):
        if excel_serial is None:
            raise Reject("unparseable")
        return _excel_serial(float(value), excel_serial)
    if not isinstance(value, str):
        raise Reject("unparseable")
    text = _SPACES.sub("", unicodedata.normalize("NFKC", value))
    if not text:
        raise Reject("unparseable")
    match = _ERA_RE.match(text)
    if match:
        era = _ERA_BY_TOKEN[match["era"]]
        year = 1 if match["y"] == "元" else int(match["y"])
        month = int(match["m"]) if match["m"] else None
        day = int(match["d"]) if match["d"] else None
        return _from_era(era, year, month, day, precision, lenient_era)
    match = _COMPACT_RE.match(text) or _GREG_RE.match(text)
    if match:
        month = int(match["m"]) if match["m"] else None
        day = int(match["d"]) if match["d"] else None
        return _build(int(match["y"]), month, day, precision)
    match = _SHORT_RE.match(text)
    if match and default_era is not None:
        era = _era_named(default_era)
        return _from_era(
            era, int(match["y"]), int(match["m"]), int(match["d"]), precision, lenient_era
        )
    raise Reject("unparseable")


def _era_named(name: str) -> Era:
    for era in ERAS:
        if name in (era.name, era.kanji, era.kanji[0], era.letter, era.letter.lower()):
            return era
    raise ValueError(f"unknown era {name!r}; use one of " + ", ".join(e.name for e in ERAS))


def check_era_name(name: str) -> str:
    """Validate an era name given in a mapping (raises ValueError for pydantic)."""
    _era_named(name)
    return name
