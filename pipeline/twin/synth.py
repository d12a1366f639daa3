""":func:`synthesize`: test data shaped like the live files, from their profile.

Files with the same layout and the same mix of notations and faults as the
profile describes, filled with Faker ``ja_JP`` people and numbers, in the
original's format (``.xls``, ``.xlsx`` or CP932 CSV); deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path
from typing import Any

from ikou.errors import BadInput, OutputExistsError
from ikou.mappings.dates import era_of
from ikou.mappings.summary import footnote_text, total_label
from ikou.pipeline.stages.extract.header import BLANK_MARKERS
from ikou.pipeline.twin.marker import mark_synthetic
from ikou.pipeline.twin.profile import as_number
from ikou.pipeline.twin.specials import grand_total, note_line, render_label

__all__ = ["synthesize", "twin_paths"]

_FULL = str.maketrans("0123456789,-", "０１２３４５６７８９，－")


def _pick(rng: random.Random, shares: dict[str, float], default: str) -> str:
    if not shares:
        return default
    roll, total = rng.random() * sum(shares.values()), 0.0
    for key, share in shares.items():
        total += share
        if roll <= total:
            return key
    return next(iter(shares))


def _era_parts(day: dt.date) -> tuple[Any, int]:
    era = era_of(day)
    return era, day.year - era.offset


def _render_date(day: dt.date, form: str) -> Any:
    era, year = _era_parts(day)
    y, m, d = year, day.month, day.day
    first = "元" if y == 1 else y
    if form == "date_cell":
        return day
    if form == "era_kanji":
        return f"{era.kanji}{first}年{m}月{d}日"
    if form.endswith(("_month", "_year")):
        return _render_period(day, form)
    if form == "era_one_kanji":
        return f"{era.kanji[0]}{y}.{m}.{d}"
    if form == "era_letter_slash":
        return f"{era.letter}{y}/{m}/{d}"
    if form == "era_letter_dash":
        return f"{era.letter}{y:02d}-{m:02d}-{d:02d}"
    if form == "era_letter_lower":
        return f"{era.letter.lower()}{y}.{m}.{d}"
    if form == "era_letter_period":
        return f"{era.letter}.{y}.{m}.{d}"
    if form == "greg_slash":
        return f"{day.year}/{m}/{d}"
    if form == "greg_dash":
        return day.isoformat()
    if form == "greg_dot":
        return f"{day.year}.{m}.{d}"
    if form == "greg_kanji":
        return f"{day.year}年{m}月{d}日"
    return f"{era.letter}{y}.{m}.{d}"


def _render_period(day: dt.date, form: str) -> str:
    """A date written to the month (平成25年9月, H22.10月) or the year (平成22年, 1920年)."""
    era, y = _era_parts(day)
    first = "元" if y == 1 else y
    return {
        "era_kanji_month": f"{era.kanji}{first}年{day.month}月",
        "era_letter_month": f"{era.letter}{y}.{day.month}月",
        "era_letter_dot_month": f"{era.letter}{y}.{day.month}",
        "greg_kanji_month": f"{day.year}年{day.month}月",
        "greg_slash_month": f"{day.year}/{day.month}",
        "era_kanji_year": f"{era.kanji}{first}年",
    }.get(form, f"{day.year}年")


def _render_fiscal(year: int, form: str) -> Any:
    """A fiscal year (年度) in a notation: 平成27年度, 平27年度, H27年度, 2015年度, or
    the year alone as a number cell or digits; the era is the one its April is in."""
    era, y = _era_parts(dt.date(year, 4, 1))
    first = "元" if y == 1 else y
    if form == "fiscal_era_kanji":
        return f"{era.kanji}{first}年度"
    if form == "fiscal_era_initial":
        return f"{era.kanji[0]}{first}年度"
    if form == "fiscal_era_letter":
        return f"{era.letter}{y}年度"
    if form == "number":
        return float(year)
    if form == "digits":
        return str(year)
    if form.startswith(("era_", "greg_")):
        return _render_date(dt.date(year, 4, 1), form)
    return f"{year}年度"


def _render_number(number: int, form: str) -> Any:
    if form == "number":
        return float(number)
    if form == "comma_number":
        return f"{number:,}"
    if form == "yen_suffix":
        return f"{number}円"
    return str(number)


def _halfwidth(text: str) -> str:
    from ikou.pipeline.examples.housing import _half_width_kana

    return _half_width_kana(text)


def _faker(seed: int) -> Any:
    from faker import Faker

    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    return fake


def _value(column: dict[str, Any], rng: random.Random, fake: Any, row: int) -> Any:
    forms = {k: v for k, v in column.get("forms", {}).items()}
    form = _pick(rng, forms, "text")
    if form.startswith("marker:"):
        return form.removeprefix("marker:")
    semantic = column["semantic"]
    wide = rng.random() < column.get("fullwidth_share", 0)
    sep = "\u3000" if _pick(rng, column.get("space_share", {}), "ascii") == "ideographic" else " "
    value: Any
    if semantic == "choice":
        values = column.get("values") or {"": 1}
        value = _pick(rng, {k: float(v) for k, v in values.items()}, "")
    elif semantic in ("date", "fiscal_year"):
        years = column.get("years", {"min": 1950, "max": 2020})
        first = dt.date(max(1873, years["min"]), 1, 1)
        last = dt.date(min(2100, years["max"]), 12, 31)
        day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
        if form == "text":
            return "要確認"
        if semantic == "fiscal_year":
            value = _render_fiscal(day.year, form)
        elif column.get("precision") == "year" and form in ("number", "digits"):
            value = float(day.year) if form == "number" else str(day.year)
        elif form in ("number", "digits", "comma_number", "yen_suffix"):
            return _render_date(day, "era_letter_dot")
        else:
            value = _render_date(day, form)
        written = column.get("as_of", {})
        if written and isinstance(value, str) and rng.random() < sum(written.values()):
            value += _pick(rng, written, "現在")  # 令和6年4月1日現在
    elif semantic == "phone":
        if form == "text":
            return "要確認"
        from ikou.pipeline.examples.housing import phone_parts

        parts = phone_parts(rng)
        if form == "phone_paren":
            value = f"{parts[0]}({parts[1]}){parts[2]}"
        elif form in ("digits", "number"):
            value = "".join(parts)
        else:
            value = "-".join(parts)
    elif semantic == "kana":
        value = fake.last_kana_name() + sep + fake.first_kana_name()
        if form == "halfwidth_kana":
            value = _halfwidth(value)
        elif form == "hiragana":
            value = "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in value)
    elif semantic == "name":
        value = fake.last_name() + sep + fake.first_name()
    elif semantic == "address":
        value = fake.address().replace("\n", " ")
    elif semantic in ("id", "amount", "number"):
        if form == "text":
            return "要確認"  # text where a number belongs, as the original had
        span = column.get("range", {"min": 0, "max": 100, "step": 1})
        step = int(span.get("step", 1)) or 1
        if semantic == "id":
            number = row
        else:
            low = int(span["min"]) // step
            high = max(int(span["max"]) // step, low)
            number = rng.randint(low, high) * step
        value = _render_number(number, form)
        if semantic == "id" and isinstance(value, str):
            width = column.get("length", {}).get("max", len(value))
            value = value.zfill(width)
    elif semantic == "code":
        shape = _pick(rng, column.get("shapes", {}), "9-999")
        value = "".join(
            str(rng.randrange(1, 10)) if c == "9" else rng.choice("ABCDEFGH") if c == "A" else c
            for c in shape
        )
    else:
        lengths = column.get("length", {"min": 2, "max": 10})
        target = rng.randint(lengths["min"], max(lengths["min"], min(lengths["max"], 30)))
        value = ""
        while len(value) < target:
            word = fake.word()
            if not re.fullmatch(r"[ァ-ヶー]+|[ぁ-ゖー]+|\d+", word):  # stay plain text
                value += word
        value = value[:target]
        if total_label(value) or footnote_text(value) or value in BLANK_MARKERS:
            value = "備考"  # never a word the profile reads as structure
    if wide and isinstance(value, str):
        value = value.translate(_FULL)
    return value


def _tail(sheet: dict[str, Any]) -> list[dict[str, Any]]:
    """The footnotes at the foot of a sheet, with the blank rows among and
    before them: written after the last record whatever ``--rows`` says."""
    tail: list[dict[str, Any]] = []
    at = sheet["rows"]
    for special in sorted(sheet["specials"], key=lambda s: -int(s["at"])):
        if special["at"] != at or special["kind"] not in ("footnote", "blank"):
            break
        tail.insert(0, special)
        at -= 1
    return tail if any(s["kind"] == "footnote" for s in tail) else []


def _special_row(
    special: dict[str, Any],
    width: int,
    sums: tuple[list[list[Any]], list[list[Any]]],
    fake: Any,
    rng: random.Random,
) -> list[Any]:
    """A total, footnote or blank row of a twin; a total's numbers add up
    the rows of its group (``sums[0]``) or of the whole table (``sums[1]``)."""
    if special["kind"] == "blank":
        return [None] * width
    column = int(special["column"]) - 1
    filled = {int(key) - 1: kind for key, kind in special.get("filled", {}).items()}
    cells = int(special.get("cells", 1))
    row: list[Any] = [None] * max(width, column + cells, *(c + 1 for c in filled))
    if special["kind"] == "footnote":
        row[column] = note_line(str(special.get("marker", "")), fake, rng)
        for extra in range(1, cells):
            row[column + extra] = fake.word()
        return row
    label = render_label(special, fake)
    row[column] = label
    source = sums[1] if grand_total(special) else sums[0]
    for c, kind in filled.items():
        if kind == "label":
            row[c] = label
        elif kind == "number":
            numbers = (as_number(r[c]) for r in source if c < len(r))
            row[c] = float(sum(n for n in numbers if n is not None))
        elif source and c < len(source[-1]):
            row[c] = source[-1][c]
    return row


def _sheet_rows(
    sheet: dict[str, Any], rng: random.Random, fake: Any, rows: int | None
) -> list[list[Any]]:
    columns = sheet["columns"]
    tail = _tail(sheet)
    body = [s for s in sheet["specials"] if s not in tail]
    sheet_rows = sheet["rows"] - len(tail)
    data_rows = sheet["data_rows"] if rows is None else rows
    total_rows = sheet_rows if rows is None else rows + len(body)
    scale = total_rows / sheet_rows if sheet_rows else 1
    specials = {max(1, round(s["at"] * scale)): s for s in body}
    out: list[list[Any]] = []
    made = 0
    group: list[list[Any]] = []
    everything: list[list[Any]] = []
    position = 0
    while made < data_rows or any(at > position for at in specials):
        position += 1
        special = specials.get(position)
        if special is not None:
            out.append(_special_row(special, len(columns), (group, everything), fake, rng))
            if special["kind"] != "blank":
                group = []
            continue
        if made >= data_rows:
            continue
        made += 1
        values = [
            None if rng.random() < c.get("null_share", 0) else _value(c, rng, fake, made)
            for c in columns
        ]
        out.append(values)
        group.append(values)
        everything.append(values)
    out += [_special_row(s, len(columns), (group, everything), fake, rng) for s in tail]
    return out


def twin_paths(profile: dict[str, Any], folder: Path) -> list[Path]:
    """The files :func:`synthesize` writes into ``folder``: one per profiled file,
    by its name — a plain file name, never a path that leads elsewhere."""
    paths = []
    for file in profile["files"]:
        name = str(file["name"])
        if name in ("", ".", "..") or Path(name).name != name or "\\" in name:
            raise BadInput(f"the profile names a file {name!r} that is not a plain file name.")
        paths.append(folder / name)
    return paths


def synthesize(
    profile: dict[str, Any],
    folder: Path,
    *,
    rows: int | None = None,
    seed: int = 2026,
    force: bool = False,
) -> list[Path]:
    """Write a twin of every profiled file into ``folder``; return their paths.

    A file it would write that already exists is refused with
    :class:`~ikou.errors.OutputExistsError` naming it, before anything is
    written (a twin never replaces a ledger by surprise), unless ``force``;
    an existing empty or unrelated folder is fine."""
    paths = twin_paths(profile, folder)
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"{folder} is a file, not a folder; give -o a folder for the twin.")
    taken = [p for p in paths if p.exists() or p.is_symlink()]
    for path in taken:
        if path.is_dir() and not path.is_symlink():
            raise BadInput(f"{path} is a folder; the twin of {path.name} cannot be written there.")
    if taken and not force:
        more = f" (and {len(taken) - 1} more of its files)" if len(taken) > 1 else ""
        raise OutputExistsError(
            f"{taken[0]} already exists{more} and ikou synth would overwrite it; choose "
            "another -o folder, or give --force to overwrite.",
            file=str(taken[0]),
        )
    rng = random.Random(seed)
    fake = _faker(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for path in taken:
        if path.is_symlink():  # replaced, never written through to where it points
            path.unlink()
    for file, path in zip(profile["files"], paths, strict=True):
        sheets = [(s, _sheet_rows(s, rng, fake, rows)) for s in file["sheets"]]
        if file["format"] == "xls":
            _write_xls(path, sheets)
        elif file["format"] == "xlsx":
            _write_xlsx(path, sheets)
        else:
            _write_csv(path, sheets[0])
    mark_synthetic(paths, "ikou synth")
    return paths


def _layout(sheet: dict[str, Any]) -> dict[tuple[int, int], str]:
    """The cells above the data by 0-based (row, column): placeholders where
    text stands above the header, and the header's cells — each row's cells of
    a header over several rows, else each column's name."""
    cells: dict[tuple[int, int], str] = {}
    for entry in sheet["above"]:
        for column in entry["cells"]:
            cells[(entry["row"] - 1, column - 1)] = f"（見出し{entry['row']}-{column}）"
    if sheet["header_row"] is None:
        return cells
    rows = sheet.get("header_rows") or [sheet["header_row"]]
    by_letter = set(sheet.get("named_by_letter", ()))
    for column, spec in enumerate(sheet["columns"]):
        texts = spec.get("header")
        if texts is None:
            texts = [] if spec["name"] in by_letter else [spec["name"]]
        for row, text in zip(rows, texts, strict=False):
            if text:
                cells[(row - 1, column)] = text
    return cells


def _merges(sheet: dict[str, Any]) -> list[tuple[int, int, int, int]]:
    """The profile's merged ranges as 0-based (first row, last row, first column,
    last column), each cell in one range at most (a damaged file may overlap them)."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r1, c1, r2, c2 in sheet["merged"]:
        cells = {(r, c) for r in range(r1 - 1, r2) for c in range(c1 - 1, c2)}
        if len(cells) > 1 and not cells & taken:
            taken |= cells
            out.append((r1 - 1, r2 - 1, c1 - 1, c2 - 1))
    return out


def _write_xls(path: Path, sheets: list[tuple[dict[str, Any], list[list[Any]]]]) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="yyyy/mm/dd")
    for sheet, rows in sheets:
        ws = book.add_sheet(sheet["name"] or "Sheet1")
        if sheet["hidden"]:
            ws.visibility = 1
        cells = _layout(sheet)
        for r1, r2, c1, c2 in _merges(sheet):  # a merged range is written once, whole
            ws.write_merge(r1, r2, c1, c2, cells.get((r1, c1), ""))
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    cells.pop((r, c), None)
        for (r, c), text in cells.items():
            ws.write(r, c, text)
        start = sheet["header_row"] or 0
        for r, row in enumerate(rows, start=start):
            for c, value in enumerate(row):
                if value is not None:
                    style = date_style if isinstance(value, dt.date) else xlwt.Style.default_style
                    ws.write(r, c, value, style)
    book.save(str(path))


def _write_xlsx(path: Path, sheets: list[tuple[dict[str, Any], list[list[Any]]]]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet, rows in sheets:
        ws = book.create_sheet(sheet["name"] or "Sheet1")
        if sheet["hidden"]:
            ws.sheet_state = "hidden"
        for (r, c), text in _layout(sheet).items():
            ws.cell(row=r + 1, column=c + 1, value=text)
        for r1, r2, c1, c2 in _merges(sheet):
            ws.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
        start = (sheet["header_row"] or 0) + 1
        for r, row in enumerate(rows, start=start):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    cell = ws.cell(row=r, column=c, value=value)
                    if isinstance(value, dt.date):
                        cell.number_format = "yyyy/mm/dd"
    book.save(path)


def _write_csv(path: Path, sheet: tuple[dict[str, Any], list[list[Any]]]) -> None:
    import csv

    spec, rows = sheet
    with path.open("w", encoding="cp932", newline="", errors="replace") as handle:
        writer = csv.writer(handle)
        if spec["header_row"] is not None:
            cells = _layout(spec)
            top = (spec.get("header_rows") or [spec["header_row"]])[0]
            for _ in range(top - 1):
                writer.writerow([])
            for r in range(top - 1, spec["header_row"]):
                writer.writerow([cells.get((r, c), "") for c in range(len(spec["columns"]))])
        for row in rows:
            writer.writerow(
                ["" if v is None else (v.isoformat() if isinstance(v, dt.date) else v) for v in row]
            )
