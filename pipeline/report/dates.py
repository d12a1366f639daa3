"""Times as an office writes them: 和暦, the weekday and Japan time.

``report.json`` keeps every time as an ISO 8601 UTC string (``…Z``); the
printed report shows it in Japan Standard Time — 令和8年12月2日（水）14:03 JST —
or, in English, ``2 Dec 2026 (Wed) 14:03 JST``. The era comes from ikou's one
era table (:mod:`ikou.mappings.dates`); the zone from ``zoneinfo`` (with the
``tzdata`` package where the system has no zone database, as on Windows).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ikou.mappings.dates import era_of

__all__ = ["JST", "local_date", "local_time"]

JST = ZoneInfo("Asia/Tokyo")
_WEEKDAYS_JA = "月火水木金土日"


def _parse(iso: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # ikou writes UTC; a naive time is taken as such
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(JST)


def _era_date(day: dt.date) -> str:
    era = era_of(day)
    year = day.year - era.offset
    return f"{era.kanji}{'元' if year == 1 else year}年{day.month}月{day.day}日"


def local_date(iso: str, lang: str = "ja") -> str:
    """The day of an ISO time in Japan: ``令和8年12月2日（水）`` or ``2 Dec 2026 (Wed)``."""
    when = _parse(iso)
    if when is None:
        return str(iso)
    if lang == "ja":
        return f"{_era_date(when.date())}（{_WEEKDAYS_JA[when.weekday()]}）"
    return f"{when.day} {when:%b %Y} ({when:%a})"


def local_time(iso: str | None, lang: str = "ja") -> str:
    """An ISO UTC time as the office reads it: ``令和8年12月2日（水）14:03 JST``.

    Anything that is not a time is returned as it is (``—`` for nothing).
    """
    if not iso:
        return "—"
    when = _parse(iso)
    if when is None:
        return str(iso)
    return f"{local_date(iso, lang)} {when.hour}:{when.minute:02d} JST"
