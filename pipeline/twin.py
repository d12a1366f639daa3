"""Synthetic twins: profile the live files' structure, then make test data shaped like it.

:func:`profile_files` reads legacy files and returns a **structure-only**
profile: sheets, visibility, header row (only one ikou can believe, see
:mod:`pipeline.extract.header`; else columns are named by letter), what sits
above it (merged ranges, which cells hold text — not the text), subtotal and blank rows and where
they sit, and per column its kind and *format*: the share of each date
notation, of full-width digits, of text in number columns, of blank markers,
null rate, lengths, ranges rounded, distinct counts. No cell value goes into
it, except the distinct values of columns the user names as non-personal
(``keep_values``), and the few structural words ledgers use for totals
(小計, 合計 …).

:func:`synthesize` writes files with the same layout and the same mix of
notations and faults, filled with Faker ``ja_JP`` people and numbers, in the
original's format (``.xls``, ``.xlsx`` or CP932 CSV); deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from ikou.errors import SourceFileError, UnreadableFileError
from ikou.mappings.dates import ERAS
from ikou.pipeline.stages.extract.header import BLANK_MARKERS, cell_form, read_header

__all__ = ["profile_files", "synthesize"]

PROFILE_VERSION = 1
TOTAL_LABELS = ("小計", "合計", "総計", "計", "中計", "累計")
_FULL = str.maketrans("0123456789,-", "０１２３４５６７８９，－")


# ------------------------------------------------------------------ reading


def _sheets(path: Path) -> tuple[str, list[dict[str, Any]]]:
    """Format, and per sheet: name, hidden, grid of cells, merged ranges (1-based)."""
    from ikou.pipeline.stages.extract import EXTENSIONS
    from ikou.pipeline.stages.extract.readers import detect_format, read_csv, read_xls, read_xlsx

    data = path.read_bytes()
    declared = EXTENSIONS.get(path.suffix.lower(), "csv")
    fmt = detect_format(data, declared, path.name)
    if fmt not in ("xls", "xlsx", "csv"):
        raise UnreadableFileError(
            f"{path.name} is a {fmt} file; ikou profile reads .xls, .xlsx and CSV files — "
            "profile a copy saved as .xlsx.",
            file=path.name,
        )
    if fmt == "xls":
        import xlrd

        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
        visibility = list(getattr(book, "_sheet_visibility", []))
        grids = dict(read_xls(data, path.name, [n for n in book.sheet_names()]))
        out = []
        for index, name in enumerate(book.sheet_names()):
            sheet = book.sheet_by_index(index)
            merged = [[r1 + 1, c1 + 1, r2, c2] for r1, r2, c1, c2 in sheet.merged_cells]
            out.append(
                {
                    "name": name,
                    "hidden": bool(visibility[index]) if index < len(visibility) else False,
                    "grid": grids.get(name, []),
                    "merged": merged,
                }
            )
        return "xls", out
    if fmt == "xlsx":
        import io

        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=False)
        grids = dict(read_xlsx(data, path.name, book.sheetnames))
        out = []
        for ws in book.worksheets:
            merged = [[m.min_row, m.min_col, m.max_row, m.max_col] for m in ws.merged_cells.ranges]
            out.append(
                {
                    "name": ws.title,
                    "hidden": ws.sheet_state != "visible",
                    "grid": grids.get(ws.title, []),
                    "merged": merged,
                }
            )
        return "xlsx", out
    grid = read_csv(data, path.name, "auto", ",")[0][1]
    return "csv", [{"name": "", "hidden": False, "grid": grid, "merged": []}]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# ----------------------------------------------------------------- profiling


def _shape(text: str) -> str | None:
    """A value's shape if it is a code of digits, letters and punctuation (``9-999``)."""
    folded = unicodedata.normalize("NFKC", text)
    if not folded or len(folded) > 12 or not all(c.isascii() for c in folded):
        return None
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", folded))


def _semantic(name: str, forms: Counter[str]) -> str:
    total = sum(forms.values()) or 1
    share = {k: v / total for k, v in forms.items()}
    dated = sum(v for k, v in share.items() if k.startswith(("era_", "greg_")) or k == "date_cell")
    if dated >= 0.5:
        return "date"
    if share.get("phone_hyphen", 0) + share.get("phone_paren", 0) >= 0.3 or "電話" in name:
        return "phone"
    if share.get("katakana", 0) + share.get("halfwidth_kana", 0) + share.get("hiragana", 0) >= 0.5:
        return "kana"
    if any(word in name for word in ("氏名", "名前", "世帯主")):
        return "name"
    if "住所" in name:
        return "address"
    numeric = sum(share.get(k, 0) for k in ("number", "digits", "comma_number", "yen_suffix"))
    if numeric >= 0.5:
        if any(word in name for word in ("番号", "ID", "ＩＤ", "コード")):
            return "id"
        return "amount" if any(w in name for w in ("家賃", "金額", "料", "額")) else "number"
    return "text"


def _round(value: float) -> float:
    """Two significant digits: a range's shape, not a value."""
    if value == 0:
        return 0
    digits = 1 - math.floor(math.log10(abs(value)))
    return float(round(value, digits))


def _column_profile(name: str, values: list[Any], keep: bool) -> dict[str, Any]:
    present = [v for v in values if not _blank(v)]
    forms: Counter[str] = Counter()
    full = 0
    texts = 0
    lengths: list[int] = []
    shapes: Counter[str] = Counter()
    spaces: Counter[str] = Counter()
    numbers: list[float] = []
    years: list[int] = []
    for value in present:
        form, wide = cell_form(value)
        forms[form] += 1
        if isinstance(value, str):
            texts += 1
            full += wide
            lengths.append(len(value.strip()))
            shape = _shape(value.strip())
            if shape is not None:
                shapes[shape] += 1
            if "\u3000" in value.strip():
                spaces["ideographic"] += 1
            elif " " in value.strip():
                spaces["ascii"] += 1
        number = _as_number(value)
        if number is not None:
            numbers.append(number)
        year = _as_year(value)
        if year is not None:
            years.append(year)
    semantic = "choice" if keep else _semantic(name, forms)
    out: dict[str, Any] = {
        "name": name,
        "semantic": semantic,
        "null_share": round(1 - len(present) / len(values), 3) if values else 0.0,
        "distinct": len({(type(v), v) for v in present}),
        "forms": {k: round(v / len(present), 3) for k, v in sorted(forms.items())}
        if present
        else {},
        "fullwidth_share": round(full / texts, 3) if texts else 0.0,
    }
    if lengths:
        out["length"] = {"min": min(lengths), "max": max(lengths)}
    if spaces:
        out["space_share"] = {k: round(v / len(present), 3) for k, v in sorted(spaces.items())}
    if semantic in ("id", "amount", "number") and numbers:
        whole = [int(n) for n in numbers if float(n).is_integer()]
        step = next(
            (s for s in (1000, 500, 100, 50, 10) if whole and all(n % s == 0 for n in whole)), 1
        )
        out["range"] = {"min": _round(min(numbers)), "max": _round(max(numbers)), "step": step}
    if semantic == "date" and years:
        out["years"] = {"min": min(years) // 5 * 5, "max": -(-max(years) // 5) * 5}
    if shapes and semantic == "text" and sum(shapes.values()) >= 0.8 * len(present):
        total = sum(shapes.values())
        out["semantic"] = "code"
        out["shapes"] = {k: round(v / total, 3) for k, v in shapes.most_common(5)}
    if keep:
        counts = Counter(v for v in present if isinstance(v, str | int | float))
        out["values"] = {str(k): v for k, v in counts.most_common()}
    return out


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).replace(",", "").removesuffix("円").strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            return float(text)
    return None


def _as_year(value: Any) -> int | None:
    from ikou.mappings.dates import parse_date
    from ikou.mappings.registry import Reject

    try:
        parsed = parse_date(value, lenient_era=True)
    except Reject:
        return None
    day = parsed.value if hasattr(parsed, "value") else parsed
    return day.year if isinstance(day, dt.date) else None


def _squeezed(text: str) -> str:
    return text.strip().replace(" ", "").replace("\u3000", "")


def _sheet_profile(sheet: dict[str, Any], keep: set[str], header: int | None) -> dict[str, Any]:
    grid = sheet["grid"]
    found = read_header(grid, header)
    head = -1 if found.row is None else found.row
    names = list(found.names)
    width = len(names)
    below = [list(r) for r in grid[head + 1 :]]
    while below and all(_blank(v) for v in below[-1]):
        below.pop()
    specials, data = [], []
    for offset, row in enumerate(below, start=1):
        cells = list(row) + [None] * (width - len(row))
        if all(_blank(v) for v in cells):
            specials.append({"at": offset, "kind": "blank"})
            continue
        label = next(
            (
                (c, str(v).strip())
                for c, v in enumerate(cells)
                if isinstance(v, str) and _squeezed(v) in TOTAL_LABELS
            ),
            None,
        )
        if label is not None:
            filled = {
                str(c + 1): ("number" if _as_number(v) is not None else "text")
                for c, v in enumerate(cells)
                if not _blank(v) and c != label[0]
            }
            specials.append(
                {
                    "at": offset,
                    "kind": "total",
                    "column": label[0] + 1,
                    "label": _squeezed(label[1]),
                    "filled": filled,
                }
            )
            continue
        data.append(cells)
    above = []
    for index, row in enumerate(grid[: max(head, 0)]):
        filled_cells = [c + 1 for c, v in enumerate(row) if not _blank(v)]
        if filled_cells:
            above.append({"row": index + 1, "cells": filled_cells})
    columns = [
        _column_profile(name, [r[c] for r in data], name in keep) for c, name in enumerate(names)
    ]
    out = {
        "name": sheet["name"],
        "hidden": sheet["hidden"],
        "header_row": None if found.row is None else head + 1,
        "above": above,
        "merged": sorted(m for m in sheet["merged"] if m[0] <= head + 1),
        "rows": len(below),
        "data_rows": len(data),
        "specials": specials,
        "columns": columns,
    }
    if found.note:
        out["header_note"] = found.note
    if found.withheld:
        out["named_by_letter"] = [names[c] for c in found.withheld]
    return out


def profile_files(
    paths: list[Path], *, keep_values: tuple[str, ...] = (), header_row: int | None = None
) -> dict[str, Any]:
    """The structure-only profile of ``paths`` (see the module's docstring)."""
    files = []
    for path in paths:
        if not path.is_file():
            raise SourceFileError(f"{path} does not exist.", file=str(path))
        fmt, sheets = _sheets(path)
        files.append(
            {
                "name": path.name,
                "format": fmt,
                "sheets": [
                    _sheet_profile(s, set(keep_values), header_row) for s in sheets if s["grid"]
                ],
            }
        )
    return {"ikou_profile": PROFILE_VERSION, "keep_values": list(keep_values), "files": files}


# --------------------------------------------------------------- synthesis


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
    era = [e for e in ERAS if e.start <= day][-1]
    return era, day.year - era.offset


def _render_date(day: dt.date, form: str) -> Any:
    era, year = _era_parts(day)
    y, m, d = year, day.month, day.day
    if form == "date_cell":
        return day
    if form == "era_kanji":
        return f"{era.kanji}{'元' if y == 1 else y}年{m}月{d}日"
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
    elif semantic == "date":
        years = column.get("years", {"min": 1950, "max": 2020})
        first = dt.date(max(1873, years["min"]), 1, 1)
        last = dt.date(min(2100, years["max"]), 12, 31)
        day = first + dt.timedelta(days=rng.randrange((last - first).days + 1))
        if form in ("number", "digits", "text", "comma_number", "yen_suffix"):
            return "要確認" if form == "text" else _render_date(day, "era_letter_dot")
        value = _render_date(day, form)
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
        if _squeezed(value) in TOTAL_LABELS or value in BLANK_MARKERS:
            value = "備考"  # never a word the profile reads as structure
    if wide and isinstance(value, str):
        value = value.translate(_FULL)
    return value


def _sheet_rows(
    sheet: dict[str, Any], rng: random.Random, fake: Any, rows: int | None
) -> list[list[Any]]:
    columns = sheet["columns"]
    data_rows = sheet["data_rows"] if rows is None else rows
    total_rows = sheet["rows"] if rows is None else rows + len(sheet["specials"])
    scale = total_rows / sheet["rows"] if sheet["rows"] else 1
    specials = {max(1, round(s["at"] * scale)): s for s in sheet["specials"]}
    out: list[list[Any]] = []
    made = 0
    group: list[list[Any]] = []
    everything: list[list[Any]] = []
    position = 0
    while made < data_rows or any(at > position for at in specials):
        position += 1
        special = specials.get(position)
        if special is not None:
            if special["kind"] == "blank":
                out.append([None] * len(columns))
                continue
            row: list[Any] = [None] * len(columns)
            row[special["column"] - 1] = special["label"]
            source = everything if special["label"] in ("合計", "総計", "累計") else group
            for key, kind in special.get("filled", {}).items():
                c = int(key) - 1
                if kind == "number":
                    row[c] = float(sum(n for r in source if (n := _as_number(r[c])) is not None))
                elif source:
                    row[c] = source[-1][c]
            out.append(row)
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
    return out


def synthesize(
    profile: dict[str, Any], folder: Path, *, rows: int | None = None, seed: int = 2026
) -> list[Path]:
    """Write a twin of every profiled file into ``folder``; return their paths."""
    rng = random.Random(seed)
    fake = _faker(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file in profile["files"]:
        sheets = [(s, _sheet_rows(s, rng, fake, rows)) for s in file["sheets"]]
        path = folder / file["name"]
        if file["format"] == "xls":
            _write_xls(path, sheets)
        elif file["format"] == "xlsx":
            _write_xlsx(path, sheets)
        else:
            _write_csv(path, sheets[0])
        written.append(path)
    return written


def _layout(sheet: dict[str, Any]) -> list[tuple[int, int, Any]]:
    """Cells above the header (0-based row, column, placeholder text) and the header."""
    cells = []
    for entry in sheet["above"]:
        for column in entry["cells"]:
            cells.append((entry["row"] - 1, column - 1, f"（見出し{entry['row']}-{column}）"))
    if sheet["header_row"] is None:
        return cells
    by_letter = set(sheet.get("named_by_letter", ()))
    for column, spec in enumerate(sheet["columns"]):
        if spec["name"] and spec["name"] not in by_letter:
            cells.append((sheet["header_row"] - 1, column, spec["name"]))
    return cells


def _write_xls(path: Path, sheets: list[tuple[dict[str, Any], list[list[Any]]]]) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="yyyy/mm/dd")
    for sheet, rows in sheets:
        ws = book.add_sheet(sheet["name"] or "Sheet1")
        if sheet["hidden"]:
            ws.visibility = 1
        merged = {(m[0] - 1, m[1] - 1): m for m in sheet["merged"]}
        for r, c, text in _layout(sheet):
            m = merged.get((r, c))
            if m is not None:
                ws.write_merge(m[0] - 1, m[2] - 1, m[1] - 1, m[3] - 1, text)
            else:
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
        for r, c, text in _layout(sheet):
            ws.cell(row=r + 1, column=c + 1, value=text)
        for m in sheet["merged"]:
            ws.merge_cells(start_row=m[0], start_column=m[1], end_row=m[2], end_column=m[3])
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
            for _ in range(spec["header_row"] - 1):
                writer.writerow([])
            by_letter = set(spec.get("named_by_letter", ()))
            writer.writerow(["" if c["name"] in by_letter else c["name"] for c in spec["columns"]])
        for row in rows:
            writer.writerow(
                ["" if v is None else (v.isoformat() if isinstance(v, dt.date) else v) for v in row]
            )
