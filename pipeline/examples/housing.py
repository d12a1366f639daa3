"""A synthetic public-housing tenant ledger, shaped like a real legacy one.

Made by code from a seed (Faker ``ja_JP``): no real person is in it. The
layout is what twenty years of hand-kept Excel looks like — a merged title
row, merged group headers above the header row, a subtotal row after each
estate and a grand total at the end, era dates in mixed notations next to
real date cells, full-width digits, amounts typed as text — and a few rows
that a careful migration must reject, so the rehearsal has something to say.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ikou.mappings.dates import era_of
from ikou.pipeline.examples.formats import Sheet, word_table_xml

__all__ = [
    "ESTATES",
    "HEADER",
    "Ledger",
    "Members",
    "ledger_sheet",
    "make_ledger",
    "make_members",
    "write_members_docx",
    "write_members_docx_by_cell",
    "write_xls",
    "write_xlsx",
]

HEADER = (
    "入居者番号",
    "氏名",
    "フリガナ",
    "生年月日",
    "電話番号",
    "団地名",
    "部屋番号",
    "入居年月日",
    "家賃",
    "世帯人数",
    "備考",
)
GROUPS = (("入居者", 0, 4), ("住宅", 5, 7), ("家賃・世帯", 8, 9))
ESTATES = ("青葉台団地", "桜ヶ丘団地", "緑町住宅", "港南ハイツ", "東山団地")
TITLE = "市営住宅 入居者台帳（令和6年度）"
_FULL = str.maketrans("0123456789,-", "０１２３４５６７８９，－")


@dataclass(frozen=True)
class Ledger:
    """The ledger's rows as cell values (dates are ``datetime.date`` cells)."""

    title: str
    header: tuple[str, ...]
    rows: list[list[Any]]  # data, subtotal and total rows in sheet order
    tenants: int
    planted_rejects: int


def _era(day: dt.date) -> tuple[str, str, int]:
    era = era_of(day)
    return era.kanji, era.letter, day.year - era.offset


def _date_notation(day: dt.date, rng: random.Random) -> Any:
    kanji, letter, year = _era(day)
    y = "元" if year == 1 else str(year)
    choice = rng.randrange(8)
    if choice == 0:
        return day  # a real date cell
    if choice == 1:
        return f"{kanji}{y}年{day.month}月{day.day}日"
    if choice == 2:
        return f"{letter}{year}.{day.month}.{day.day}"
    if choice == 3:
        return f"{letter}{year}/{day.month}/{day.day}"
    if choice == 4:
        return f"{kanji[0]}{year}.{day.month}.{day.day}"
    if choice == 5:
        return f"{letter}{year:02d}-{day.month:02d}-{day.day:02d}"
    if choice == 6:
        return f"{letter}{year}.{day.month}.{day.day}".translate(_FULL)
    return f"{day.year}/{day.month}/{day.day}"


def _hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def _estate_notation(estate: str, rng: random.Random) -> str:
    """The estate as typed: sometimes with a stray space, or ケ for ヶ."""
    choice = rng.randrange(10)
    if choice == 0:
        return estate[:2] + "\u3000" + estate[2:]
    if choice == 1:
        return estate.replace("ヶ", "ケ")
    return estate


def _room(rng: random.Random) -> Any:
    room = f"{rng.randrange(1, 9)}-{rng.randrange(1, 5)}0{rng.randrange(1, 9)}"
    choice = rng.randrange(6)
    if choice == 0:
        return room.translate(_FULL)
    if choice == 1:
        return room.replace("-", "ー")  # typed with the long-vowel key
    return room


def _half_width_kana(text: str) -> str:
    import unicodedata

    out = []
    for ch in text:
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        half = _KANA_HALF.get(base, base)
        out.append(half + "".join({"\u3099": "ﾞ", "\u309a": "ﾟ"}.get(m, m) for m in marks))
    return "".join(out)


_KANA_FULL = (
    "ァアィイゥウェエォオカキクケコサシスセソタチッツテトナニヌネノ"
    "ハヒフヘホマミムメモャヤュユョヨラリルレロワヲンー　"
)
_KANA_HALF_CHARS = "ｧｱｨｲｩｳｪｴｫｵｶｷｸｹｺｻｼｽｾｿﾀﾁｯﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓｬﾔｭﾕｮﾖﾗﾘﾙﾚﾛﾜｦﾝｰ "
_KANA_HALF = dict(zip(_KANA_FULL, _KANA_HALF_CHARS, strict=True))


def phone_parts(rng: random.Random) -> tuple[str, str, str]:
    """A phone number valid in Japan's numbering plan (Faker's ja_JP numbers often
    are not), as area code, exchange and subscriber: mobile, Tokyo or Tama."""
    kind = rng.randrange(3)
    if kind == 0:
        return (
            f"0{rng.choice('789')}0",
            f"{rng.randrange(1000, 10000)}",
            f"{rng.randrange(10000):04d}",
        )
    if kind == 1:
        return ("03", f"{rng.randrange(3000, 7000)}", f"{rng.randrange(10000):04d}")
    return ("042", f"{rng.randrange(320, 400)}", f"{rng.randrange(10000):04d}")


def _phone(rng: random.Random) -> str:
    """A valid number in one of the notations ledgers hold: hyphens,
    parentheses, plain digits, full width."""
    parts = phone_parts(rng)
    style = rng.randrange(6)
    if style == 0:
        return f"{parts[0]}({parts[1]}){parts[2]}"
    if style == 1:
        return "".join(parts)
    if style == 2:
        return "-".join(parts).translate(_FULL)
    return "-".join(parts)


def _people(count: int, seed: int) -> Iterator[dict[str, Any]]:
    from faker import Faker

    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    numbers = random.Random(seed + 1)
    pool = []
    for _ in range(min(count, 2000)):
        pool.append(
            {
                "last": fake.last_name(),
                "first": fake.first_name(),
                "last_kana": fake.last_kana_name(),
                "first_kana": fake.first_kana_name(),
                "phone": _phone(numbers),
            }
        )
    rng = random.Random(seed)
    for index in range(count):
        yield pool[index % len(pool)] if count <= len(pool) else rng.choice(pool)


def make_ledger(tenants: int = 300, seed: int = 2026, *, plant_rejects: bool = True) -> Ledger:
    """Build the ledger's cells: ``tenants`` people across the estates, with
    subtotals, a grand total and (by default) about 2 % rows to be rejected."""
    rng = random.Random(seed)
    people = list(_people(tenants, seed))
    per_estate: dict[str, list[list[Any]]] = {e: [] for e in ESTATES}
    planted = 0
    used_ids: list[str] = []
    for number, person in enumerate(people, start=1):
        tenant_id = f"{number:06d}"
        birth = dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 68))
        move_in = dt.date(1975, 4, 1) + dt.timedelta(days=rng.randrange(0, 365 * 49))
        rent = rng.randrange(8, 90) * 500
        size = rng.randrange(1, 7)
        estate = rng.choice(ESTATES)
        sep = rng.choice((" ", "\u3000"))
        kana = person["last_kana"] + sep + person["first_kana"]
        kana_style = rng.random()
        row: list[Any] = [
            rng.choice((float(number), tenant_id, tenant_id.translate(_FULL))),
            person["last"] + sep + person["first"],
            _half_width_kana(kana)
            if kana_style < 0.2
            else _hiragana(kana)
            if kana_style < 0.3
            else kana,
            _date_notation(birth, rng),
            person["phone"],
            _estate_notation(estate, rng),
            _room(rng),
            _date_notation(move_in, rng),
            rng.choice((float(rent), f"{rent:,}", f"{rent:,}".translate(_FULL), f"{rent}円")),
            rng.choice((float(size), str(size).translate(_FULL))),
            rng.choice((None,) * 12 + ("駐車場あり", "要連絡", "なし", "－")),
        ]
        if plant_rejects and number % 50 == 7:
            planted += 1
            fault = (number // 50) % 5
            if fault == 0:
                row[7] = "H31.13.1"  # no 13th month
            elif fault == 1:
                row[8] = "相談中"  # rent is not an amount
            elif fault == 2 and used_ids:
                row[0] = used_ids[-1]  # a second tenant with an existing number
                planted += 1  # both rows sharing the key are rejected
            elif fault == 3:
                row[3] = "S64.1.8"  # Shōwa ended on 1989-01-07
            else:
                row[1] = None  # name missing
        used_ids.append(row[0] if isinstance(row[0], str) else tenant_id)
        per_estate[estate].append(row)
    rows: list[list[Any]] = []
    grand = 0
    for estate in ESTATES:
        members = per_estate[estate]
        rows.extend(members)
        total = sum(_amount(r[8]) for r in members)
        grand += total
        rows.append([None, "小計", None, None, None, estate, None, None, float(total), None, None])
        if rng.random() < 0.5:
            rows.append([None] * len(HEADER))  # a blank spacer row
    rows.append([None, "合計", None, None, None, None, None, None, float(grand), None, None])
    return Ledger(TITLE, HEADER, rows, tenants, planted)


def _amount(value: Any) -> int:
    if isinstance(value, float):
        return int(value)
    digits = "".join(
        ch
        for ch in str(value).translate(str.maketrans("０１２３４５６７８９", "0123456789"))
        if ch.isdigit()
    )
    return int(digits) if digits else 0


def ledger_sheet(ledger: Ledger) -> Sheet:
    """The ledger laid out as its sheet — title, credit line, group headers, header,
    rows — for the writers of :mod:`pipeline.examples.formats` (.ods, Excel 2003 XML)."""
    width = len(ledger.header)
    groups: list[Any] = [None] * width
    for label, first, _ in GROUPS:
        groups[first] = label
    rows: list[list[Any]] = [
        [ledger.title] + [None] * (width - 1),
        ["作成：住宅課　出力日：令和6年4月1日"] + [None] * (width - 1),
        groups,
        list(ledger.header),
        *[list(row) for row in ledger.rows],
    ]
    merges = [(0, 0, width - 1)] + [(2, first, last) for _, first, last in GROUPS]
    return Sheet("入居者台帳", rows, merges=merges)


def write_xls(ledger: Ledger, path: Path) -> Path:
    """Write the ledger as a BIFF8 ``.xls`` (Excel 97-2003) with merged title rows."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("入居者台帳")
    title = xlwt.easyxf("font: bold on, height 280; align: horiz center")
    group = xlwt.easyxf("font: bold on; align: horiz center; borders: bottom thin")
    head = xlwt.easyxf("font: bold on; pattern: pattern solid, fore_colour gray25")
    date_style = xlwt.easyxf(num_format_str="yyyy/mm/dd")
    sheet.write_merge(0, 0, 0, len(ledger.header) - 1, ledger.title, title)
    sheet.write(1, 0, "作成：住宅課　出力日：令和6年4月1日")
    for label, first, last in GROUPS:
        sheet.write_merge(2, 2, first, last, label, group)
    for col, name in enumerate(ledger.header):
        sheet.write(3, col, name, head)
    for r, row in enumerate(ledger.rows, start=4):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            else:
                sheet.write(r, c, value)
    book.save(str(path))
    return path


def write_xlsx(ledger: Ledger, path: Path) -> Path:
    """Write the ledger as ``.xlsx`` with the same layout (openpyxl, write-only)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("入居者台帳")
    bold = Font(bold=True)
    title = WriteOnlyCell(sheet, ledger.title)
    title.font = bold
    sheet.append([title])
    sheet.append(["作成：住宅課　出力日：令和6年4月1日"])
    groups: list[Any] = [None] * len(ledger.header)
    for label, first, _ in GROUPS:
        groups[first] = label
    sheet.append(groups)
    sheet.append(list(ledger.header))
    for row in ledger.rows:
        cells = []
        for value in row:
            if isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value)
                cell.number_format = "yyyy/mm/dd"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    book.save(str(path))
    return path


MEMBER_HEADER = ("入居者番号", "続柄番号", "続柄", "氏名", "生年月日")
RELATIONS = ("妻", "夫", "子", "子", "子", "父", "母", "孫", "兄弟姉妹")


@dataclass(frozen=True)
class Members:
    """The household-members table (世帯員名簿) as an office types it into Word."""

    rows: list[list[str]]  # one per member, every cell text
    planted_rejects: int  # rows a careful migration must reject on their own account


def make_members(tenants: int, seed: int = 2026, *, plant_rejects: bool = True) -> Members:
    """Household members for tenants ``000001`` … of a ledger with ``tenants`` rows.

    Zero to three members each, numbered from 1 within the household, dates
    as typed (era or Western, sometimes full width), the tenant number
    sometimes in full-width digits. Planted: a member of a tenant number the
    ledger does not have (``tenant_id.fk_missing``), a relation the new
    system does not know (``relation.allowed``) and a member typed twice
    (``tenant_id+member_no.duplicate``, both copies, as ``duplicates:
    reject_all`` says).
    """
    from faker import Faker

    fake = Faker("ja_JP")
    fake.seed_instance(seed + 7)
    rng = random.Random(seed + 7)
    rows: list[list[str]] = []
    for number in range(1, tenants + 1):
        tenant = f"{number:06d}"
        for member_no in range(1, rng.choice((0, 0, 1, 1, 2, 3)) + 1):
            born = dt.date(1935, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 85))
            born_text = _date_notation(born, rng)
            if isinstance(born_text, dt.date):
                born_text = born_text.strftime("%Y/%m/%d")
            rows.append(
                [
                    tenant.translate(_FULL) if rng.random() < 0.2 else tenant,
                    str(member_no).translate(_FULL) if rng.random() < 0.2 else str(member_no),
                    rng.choice(RELATIONS),
                    f"{fake.last_name()}\u3000{fake.first_name()}",
                    born_text,
                ]
            )
    planted = 0
    if plant_rejects and rows:
        rows.append(
            [f"{tenants + 500:06d}", "1", "子", f"{fake.last_name()} {fake.first_name()}", ""]
        )
        rows[len(rows) // 2][2] = "同居人"  # not a relation the new system knows
        rows.insert(2, list(rows[1]))  # a member typed twice: both copies rejected
        planted = 4
    return Members(rows, planted)


def _households(members: Members) -> list[tuple[int, int]]:
    """(first, last) row of each household of two or more members, 0-based among
    the members: runs of one tenant number, which the document merges down."""
    spans, start = [], 0
    for end in range(1, len(members.rows) + 1):
        if end == len(members.rows) or members.rows[end][0] != members.rows[start][0]:
            if end - start > 1:
                spans.append((start, end - 1))
            start = end
    return spans


def _members_document() -> Any:
    """The document up to the members table: a heading, a note table, a blank line."""
    import docx

    document = docx.Document()
    document.add_paragraph("世帯員名簿（令和6年度）")
    note = document.add_table(rows=1, cols=2)
    note.rows[0].cells[0].text = "作成"
    note.rows[0].cells[1].text = "住宅課"
    document.add_paragraph("")
    return document


def write_members_docx(members: Members, path: Path) -> Path:
    """Write the members as a Word document: a heading, a note table, then the
    members table, each household's tenant number merged down its rows.

    The members table's markup is built once (:func:`~pipeline.examples.formats.
    word_table_xml`) and put into the document python-docx made: filling it
    through python-docx took 47 minutes at 20,000 tenants. It is the same
    document :func:`write_members_docx_by_cell` writes, cell for cell.
    """
    from docx.oxml import parse_xml
    from docx.shared import Emu

    document = _members_document()
    section = document.sections[-1]
    block = section.page_width - section.left_margin - section.right_margin
    column = Emu(block // len(MEMBER_HEADER)).twips  # as python-docx's add_table divides it
    table = word_table_xml(
        [list(MEMBER_HEADER), *members.rows],
        column,
        merged_down=[(0, first + 1, last + 1) for first, last in _households(members)],
    )
    document.element.body.sectPr.addprevious(parse_xml(table))
    document.save(str(path))
    return path


def write_members_docx_by_cell(members: Members, path: Path) -> Path:
    """The same document filled through python-docx's table API, row by row.

    How the demo wrote it before: ``add_row`` and ``merge`` walk the whole
    table each time, so n rows cost n² (2,000 tenants 13 s). Kept as the
    reference :func:`write_members_docx` is tested and benchmarked against.
    """
    document = _members_document()
    table = document.add_table(rows=1, cols=len(MEMBER_HEADER))
    for cell, name in zip(table.rows[0].cells, MEMBER_HEADER, strict=True):
        cell.text = name
    first_cells = []
    for row in members.rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            if value:
                cell.text = value
        first_cells.append(cells[0])
    for first, last in _households(members):  # one cell merged down, as typed in Word
        merged = first_cells[first].merge(first_cells[last])
        merged.text = members.rows[first][0]
    document.save(str(path))
    return path
