"""Dates as legacy ledgers hold them: era (和暦) and Gregorian notations, Excel cells.

Pure per-value parsing; :mod:`mappings.transforms` vectorises it. Each failure
is a :class:`Reject` with a stable reason (``unparseable``, ``invalid``,
``partial``, and for era dates ``wareki.out_of_era`` and
``wareki.pre_gregorian``); nothing here raises anything else, whatever the
input. A date outside its era accepted under ``lenient_era`` comes back as
:class:`Noted`, so that the report can count it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from ikou.mappings.registry import Noted, Reject, register

__all__ = ["ERAS", "ERA_INITIALS", "ERA_KANJI", "ERA_LETTERS", "Era", "era_of", "parse_date"]


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
# The era table above is the only one in ikou; these spell it for patterns.
ERA_KANJI = "|".join(era.kanji for era in ERAS)  # 明治|大正|昭和|平成|令和
ERA_INITIALS = "".join(era.kanji[0] for era in ERAS)  # 明大昭平令
ERA_LETTERS = "".join(era.letter for era in ERAS)  # MTSHR


def era_of(day: dt.date) -> Era:
    """The era ``day`` falls in (Meiji for anything before Taisho)."""
    return next((era for era in reversed(ERAS) if era.start <= day), ERAS[0])


_ERA_BY_TOKEN: dict[str, Era] = {}
for _era in ERAS:
    _ERA_BY_TOKEN[_era.kanji] = _era
    _ERA_BY_TOKEN[_era.kanji[0]] = _era
    _ERA_BY_TOKEN[_era.letter] = _era
    _ERA_BY_TOKEN[_era.letter.lower()] = _era

_ERA_RE = re.compile(
    rf"^(?P<era>{ERA_KANJI}|[{ERA_INITIALS}]|[{ERA_LETTERS}{ERA_LETTERS.lower()}])\.?"
    r"(?P<y>\d{1,2}|元)(?:年|[./\-]|(?=$))"
    r"(?:(?P<m>\d{1,2})(?:(?:月|[./\-])(?:(?P<d>\d{1,2})日?)?)?)?$"
)
_GREG_RE = re.compile(
    r"^(?P<y>\d{4})(?:年|[./\-])"
    r"(?:(?P<m>\d{1,2})(?:(?:月|[./\-])(?:(?P<d>\d{1,2})日?)?)?)?$"
)
_COMPACT_RE = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_YEAR_RE = re.compile(r"^(?P<y>\d{4})$")
# what offices write after a date to say what it dates: 令和6年4月1日現在, 2024/4/1時点
_AS_OF_RE = re.compile(r"(?:現在|時点|更新|調べ)$")
_SHORT_RE = re.compile(r"^(?P<y>\d{1,2})[./\-](?P<m>\d{1,2})[./\-](?P<d>\d{1,2})$")
_SPACES = re.compile(r"\s+")


_ERA_END: dict[str, dt.date | None] = {
    era.name: (ERAS[i + 1].start if i + 1 < len(ERAS) else None) for i, era in enumerate(ERAS)
}


def _period(year: int, month: int | None, day: int | None) -> tuple[dt.date, dt.date]:
    """First and last day of what a (possibly partial) date names."""
    if month is None and day is not None:
        raise Reject("unparseable")
    try:
        first = dt.date(year, month or 1, day or 1)
    except ValueError:
        raise Reject("invalid") from None
    if day is not None:
        return first, first
    if month is None:
        return first, dt.date(year, 12, 31)
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def _precise(first: dt.date, month: int | None, day: int | None, precision: str) -> dt.date:
    if (precision == "day" and (month is None or day is None)) or (
        precision == "month" and month is None
    ):
        raise Reject("partial")
    return first


def _from_era(
    era: Era, era_year: int, month: int | None, day: int | None, precision: str, lenient_era: bool
) -> dt.date | Noted:
    """An era date, checked against its era at the precision it was written in:
    a year-only 平成元年 is in Heisei although 1989-01-01 is not; 平成32年 is
    out of its era whatever precision was asked for."""
    if era_year < 1:
        raise Reject("invalid")
    first, last = _period(era.offset + era_year, month, day)
    if last < GREGORIAN_ADOPTED:
        raise Reject("wareki.pre_gregorian")
    end = _ERA_END[era.name]
    outside = last < era.start or (end is not None and first >= end)
    if outside and not lenient_era:
        raise Reject("wareki.out_of_era")
    value = _precise(first, month, day, precision)
    return Noted(value, "wareki.out_of_era") if outside else value


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
) -> dt.date | Noted:
    """One cell → ``datetime.date`` (or :class:`Noted` date) or :class:`Reject`.

    ``precision`` ``month`` or ``year`` accepts values without a day (and
    month); they become the first day of the period. ``default_era`` (a kanji,
    letter or romanised era name) lets an era-less short date like ``22.10.7``
    through. ``excel_serial`` (1900 or 1904) accepts plain numbers as Excel
    serial dates in that date system; otherwise a number is unparseable.
    """
    if value.__class__ is str:  # the common case first: most cells are text
        text = value
    elif isinstance(value, dt.datetime):
        return value.date()
    elif isinstance(value, dt.date):
        return value
    elif isinstance(value, bool):
        raise Reject("unparseable")
    elif isinstance(value, int | float):
        if excel_serial is None:
            if precision == "year" and _a_year(value):
                return dt.date(int(value), 1, 1)
            raise Reject("unparseable")
        return _excel_serial(float(value), excel_serial)
    elif isinstance(value, str):
        text = str(value)
    else:
        raise Reject("unparseable")
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    text = _AS_OF_RE.sub("", _SPACES.sub("", text))
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
        first, _ = _period(int(match["y"]), month, day)
        return _precise(first, month, day, precision)
    match = _YEAR_RE.match(text)
    if match:  # a bare year, 1961: a date only at precision year
        first, _ = _period(int(match["y"]), None, None)
        return _precise(first, None, None, precision)
    match = _SHORT_RE.match(text)
    if match and default_era is not None:
        era = _era_named(default_era)
        return _from_era(
            era, int(match["y"]), int(match["m"]), int(match["d"]), precision, lenient_era
        )
    raise Reject("unparseable")


def _a_year(number: float) -> bool:
    """A number that can only be a year: whole, four digits."""
    return number == number and float(number).is_integer() and 1000 <= number <= 9999


def _era_named(name: str) -> Era:
    for era in ERAS:
        if name in (era.name, era.kanji, era.kanji[0], era.letter, era.letter.lower()):
            return era
    raise ValueError(f"unknown era {name!r}; use one of " + ", ".join(e.name for e in ERAS))


def check_era_name(name: str) -> str:
    """Validate an era name given in a mapping (raises ValueError for pydantic)."""
    _era_named(name)
    return name


def _check_date_args(args: dict[str, Any]) -> None:
    """Checks on ``date``'s arguments that a type alone cannot express."""
    if args.get("default_era") is not None:
        check_era_name(args["default_era"])
    if args.get("excel_serial") not in (None, 1900, 1904):
        raise ValueError("transform 'date' argument 'excel_serial' must be 1900 or 1904")
    if args.get("precision", "day") not in ("day", "month", "year"):
        raise ValueError("transform 'date' argument 'precision' must be day, month or year")


@register(
    "date",
    reasons=("unparseable", "invalid", "partial", "wareki.out_of_era", "wareki.pre_gregorian"),
    notes=("wareki.out_of_era",),
    check=_check_date_args,
)
def date(
    value: Any,
    *,
    default_era: str | None = None,
    excel_serial: int | None = None,
    precision: str = "day",
    lenient_era: bool = False,
) -> Any:
    """A calendar date from an Excel date cell, a Japanese era date (平成22年10月7日,
    H22.10.7, 平22/10/7, 元年) or a Gregorian one (2010/10/7, 2010年10月7日, 20101007)."""
    return parse_date(
        value,
        default_era=default_era,
        excel_serial=excel_serial,
        precision=precision,
        lenient_era=lenient_era,
    )


_FISCAL_RE = re.compile(
    rf"^(?:(?P<era>{ERA_KANJI}|[{ERA_INITIALS}]|[{ERA_LETTERS}{ERA_LETTERS.lower()}])\.?"
    r"(?P<ey>\d{1,2}|元)|(?P<short>\d{1,2})|(?P<y>\d{4}))(?:年度)?$"
)


def parse_fiscal_year(
    value: Any, *, default_era: str | None = None, lenient_era: bool = False
) -> int | Noted:
    """A fiscal year (年度) → the Gregorian year in which it begins (each Japanese
    fiscal year runs from April to March): 平成27年度 → 2015, or :class:`Reject`.

    An era fiscal year is in its era when the year it begins in is one of the
    era's calendar years: 平成31年度 (begun April 2019, before Reiwa) is, 平成32年度
    is not (``wareki.out_of_era``, or noted under ``lenient_era``)."""
    if isinstance(value, bool):
        raise Reject("unparseable")
    if isinstance(value, int | float):
        if not _a_year(value):
            raise Reject("unparseable")
        return int(value)
    if not isinstance(value, str):
        raise Reject("unparseable")
    text = _SPACES.sub("", unicodedata.normalize("NFKC", value))
    match = _FISCAL_RE.match(text)
    if match is None or (match["short"] is not None and default_era is None):
        raise Reject("unparseable")
    if match["y"] is not None:
        return int(match["y"])
    era = _ERA_BY_TOKEN[match["era"]] if match["era"] else _era_named(str(default_era))
    written = match["ey"] or match["short"]
    era_year = 1 if written == "元" else int(written)
    if era_year < 1:
        raise Reject("invalid")
    year = era.offset + era_year
    end = _ERA_END[era.name]
    if year < era.start.year or (end is not None and year > end.year):
        if not lenient_era:
            raise Reject("wareki.out_of_era")
        return Noted(year, "wareki.out_of_era")
    return year


def _check_fiscal_args(args: dict[str, Any]) -> None:
    if args.get("default_era") is not None:
        check_era_name(args["default_era"])


@register(
    "fiscal_year",
    reasons=("unparseable", "invalid", "wareki.out_of_era"),
    notes=("wareki.out_of_era",),
    check=_check_fiscal_args,
)
def fiscal_year(value: Any, *, default_era: str | None = None, lenient_era: bool = False) -> Any:
    """The Gregorian year a fiscal year (年度) begins in, as an integer: 昭和55年度 →
    1980, 平成27年度 and H27年度 → 2015, 令和元年度 → 2019, 2015年度 → 2015."""
    return parse_fiscal_year(value, default_era=default_era, lenient_era=lenient_era)
