"""A synthetic list of overdue taxpayers (滞納者一覧), as a city's tax system
exports it for an automatic telephone-reminder (dialer) system.

Made by code from a seed (Faker ``ja_JP``): no real person is in it. The file
is what such an export looks like — Shift_JIS (CP932) with CRLF line ends, a
header row, the name in half-width katakana (ｶﾅ) beside the kanji, phone
numbers as people gave them (hyphens, parentheses, plain digits, full
width), amounts as text with thousands separators and 円, due dates in era
notations (令和6年5月31日, R6.5.31, H31.4.30) and a 合計 line at the end —
with a few rows a careful migration must reject, each listed in
:attr:`Overdue.planted` with the reason it must be rejected for.

Landline numbers are of the form 03-1XXX-XXXX and 042-1XX-XXXX: Japan's
numbering plan gives no subscriber a local exchange beginning with 1 (1XY are
the special services), so they reach no one, yet they pass the phone check.
Mobile numbers (090, 080) have no such unassigned range; they are made as
the housing example makes them, so a rehearsal's call list must never be
loaded into a dialer that places calls.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ikou.mappings.dates import era_of

__all__ = ["HEADER", "TAX_ITEMS", "Overdue", "make_overdue", "write_overdue_csv"]

HEADER = ("宛名番号", "氏名", "氏名カナ", "電話番号", "税目", "期別", "滞納額", "納期限")
TAX_ITEMS = ("市県民税", "固定資産税", "軽自動車税", "国民健康保険税")

# Each tax's instalments: (期別, month due, day due or None for the month's end,
# years after the fiscal year's start).
_SCHEDULE: dict[str, tuple[tuple[str, int, int | None, int], ...]] = {
    "市県民税": (("第1期", 6, None, 0), ("第2期", 8, None, 0), ("第3期", 10, None, 0),
                 ("第4期", 1, None, 1)),
    "固定資産税": (("第1期", 4, None, 0), ("第2期", 7, None, 0), ("第3期", 12, 25, 0),
                   ("第4期", 2, None, 1)),
    "軽自動車税": (("全期", 5, None, 0),),
    "国民健康保険税": tuple((f"第{n}期", (n + 5) % 12 + 1, None, int(n >= 7)) for n in range(1, 9)),
}  # fmt: skip
_KEI = (3900, 7200, 10800, 12900)  # 軽自動車税: the yearly rates of a light vehicle
_FULL = str.maketrans("0123456789,-.()", "０１２３４５６７８９，－．（）")

# Faults a careful migration must reject: what is written, and the reason it
# is rejected for. ``duplicate`` gives a row the taxpayer number of the first
# row, and both copies are rejected (``duplicates: reject_all``).
_FAULTS = (
    ("納期限", "R5.2.29", "due_date.date.invalid"),  # 2023 was no leap year
    ("滞納額", "分納中", "amount_overdue.yen.not_a_number"),  # a note, not an amount
    ("宛名番号", None, "taxpayer_no.duplicate"),
    ("納期限", "H31.5.31", "due_date.wareki.out_of_era"),  # Heisei ended on 2019-04-30
    ("電話番号", "", "phone.required"),  # no number: a letter, not a call
    ("電話番号", "不明", "phone.phone.invalid"),
    ("電話番号", "03-12", "phone.phone.invalid"),  # cut short
)

# Half-width katakana by the full-width letter (or combining mark) NFKC makes of it.
_HALF = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0xFF61, 0xFFA0)}
_HALF["\u3000"] = " "


@dataclass(frozen=True)
class Overdue:
    """The export's cells: data rows, then the 合計 row; every cell is text."""

    header: tuple[str, ...]
    rows: list[list[str]]
    taxpayers: int
    planted: dict[int, str]  # the file's line number (header = 1) → the reason its row fails

    @property
    def planted_rejects(self) -> int:
        """Rows a careful migration must reject (both copies of a duplicate)."""
        return len(self.planted)


def half_width_kana(text: str) -> str:
    """Katakana as a legacy system stores it: ``ヤマダ　タロウ`` → ``ﾔﾏﾀﾞ ﾀﾛｳ``."""
    return "".join(_HALF.get(ch, ch) for ch in unicodedata.normalize("NFD", text))


def _phone(rng: random.Random) -> str:
    """A number that passes the phone check in one of the notations people give."""
    kind = rng.randrange(5)
    if kind < 2:  # Tokyo, local exchange 1XXX: assigned to no one
        parts = ("03", f"{rng.randrange(1000, 2000)}", f"{rng.randrange(10000):04d}")
    elif kind < 4:  # Tama, local exchange 1XX: assigned to no one
        parts = ("042", f"{rng.randrange(100, 200)}", f"{rng.randrange(10000):04d}")
    else:  # a mobile: see the module's note
        parts = (rng.choice(("090", "080")), f"{rng.randrange(1000, 10000)}",
                 f"{rng.randrange(10000):04d}")  # fmt: skip
    style = rng.randrange(6)
    if style == 0:
        return "".join(parts)
    if style == 1:
        return f"({parts[0]}){parts[1]}-{parts[2]}"
    if style == 2:
        return f"{parts[0]}({parts[1]}){parts[2]}"
    if style == 3:
        return "-".join(parts).translate(_FULL)
    return "-".join(parts)


def _due(item: str, rng: random.Random) -> tuple[str, dt.date]:
    """An instalment of ``item`` of a fiscal year from 令和元年 to 令和6年, and its due date."""
    label, month, day, later = rng.choice(_SCHEDULE[item])
    year = rng.randrange(2019, 2025) + later
    return label, dt.date(year, month, day or calendar.monthrange(year, month)[1])


def _date_notation(day: dt.date, rng: random.Random) -> str:
    era = era_of(day)
    year = day.year - era.offset
    y = "元" if year == 1 else str(year)
    style = rng.randrange(6)
    if style == 0:
        return f"{era.kanji}{y}年{day.month}月{day.day}日"
    if style == 1:
        return f"{era.letter}{year:02d}.{day.month:02d}.{day.day:02d}"
    if style == 2:
        return f"{era.letter}{year}.{day.month}.{day.day}".translate(_FULL)
    if style == 3:
        return f"{day.year}/{day.month:02d}/{day.day:02d}"
    return f"{era.letter}{year}.{day.month}.{day.day}"


def _amount(item: str, rng: random.Random) -> int:
    if item == "軽自動車税":
        return rng.choice(_KEI)
    low, high = {"固定資産税": (100, 1500), "市県民税": (30, 600)}.get(item, (50, 500))
    return rng.randrange(low, high) * 100


def _amount_notation(amount: int, rng: random.Random) -> str:
    style = rng.randrange(6)
    if style == 0:
        return str(amount)
    if style == 1:
        return f"{amount:,}円".translate(_FULL)
    if style == 2:
        return f"￥{amount:,}"
    return f"{amount:,}円"


def make_overdue(count: int = 200, seed: int = 2026, *, plant_rejects: bool = True) -> Overdue:
    """``count`` taxpayers in arrears, one row each, and the export's 合計 line.

    With ``plant_rejects``, seven rows spread through the file carry one
    fault each (:data:`_FAULTS`): a due date that does not exist, one after
    its era ended, an amount that is a note, a taxpayer number that is the
    first row's (both rows are rejected), no phone, and two numbers no one
    can dial. The 合計 is the sum of every amount that reads as one, as the
    tax system adds them up, so the rejected rows explain the difference.
    """
    if plant_rejects and count <= len(_FAULTS):
        raise ValueError(f"make_overdue plants {len(_FAULTS)} faults: count must exceed that")
    from faker import Faker

    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    numbers = sorted(rng.sample(range(10_000_000, 100_000_000), count))
    rows: list[list[str]] = []
    for number in numbers:
        last, last_kana, _ = fake.last_name_pair()
        first, first_kana, _ = fake.first_name_pair()
        item = rng.choices(TAX_ITEMS, weights=(5, 3, 2, 4))[0]
        label, due = _due(item, rng)
        rows.append(
            [
                f"{number:010d}",
                f"{last}\u3000{first}",
                half_width_kana(f"{last_kana} {first_kana}"),
                _phone(rng),
                item,
                label.translate(_FULL) if rng.random() < 0.2 else label,
                _amount_notation(_amount(item, rng), rng),
                _date_notation(due, rng),
            ]
        )
    planted: dict[int, str] = {}
    if plant_rejects:
        for k, (column, written, reason) in enumerate(_FAULTS):
            index = (k + 1) * count // (len(_FAULTS) + 1)
            row = rows[index]
            row[HEADER.index(column)] = rows[0][0] if written is None else written
            planted[index + 2] = reason  # line 1 is the header
            if written is None:
                planted[2] = reason
    total = sum(_readable(row[6]) for row in rows)
    rows.append(["", "合計", "", "", "", "", f"{total:,}円", ""])
    return Overdue(HEADER, rows, count, dict(sorted(planted.items())))


def _readable(amount: str) -> int:
    """An amount as the tax system sums it; a note counts as nothing."""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", amount) if ch.isdigit())
    return int(digits) if digits else 0


def write_overdue_csv(overdue: Overdue, path: Path) -> Path:
    """Write the list as the tax system exports it: CP932, CRLF, a header row,
    a cell quoted only when it holds a comma (``"12,300円"``)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(overdue.header)
    writer.writerows(overdue.rows)
    path.write_bytes(text.getvalue().encode("cp932"))
    return path
