"""Which row of a sheet names its columns — and whether ikou may believe it.

A structure-only profile names each column after its header cell. A wrong
guess is not a cosmetic fault: if the row taken for the header is really the
first record, the profile carries a citizen's name, address and phone as
"column names" into a file that is handed to a contractor. So the detector
here is built to say *not found* rather than guess:

- a row is a candidate only if none of its cells looks like data — a number
  or date cell, a phone number, postal code, address, e-mail, full date, a
  person's name written with a space, an Excel error, or a value of the same
  shape as the column below it (a number over numbers) or that recurs in its
  column further down (a ward name, ○);
- a candidate is believed only with evidence: enough of its cells either sit
  over a column of another kind (a word over numbers, dates, codes, phones)
  or are words ledgers use for column names (番号, 氏名, 年月日 …).

A header over two or three rows is the believed row with the rows right
above it (or the one below it) that hold its group cells; each group row
passes the same data-shape refusal, and columns are named by their paths
exactly as a rehearsal names them (:func:`.grid.header_paths`).

When no row qualifies, the caller names columns by letter and says so.
:func:`cell_form` is the notation of one cell (era date, a year-month, a
fiscal year, with or without ``現在`` after it; phone with hyphens,
full-width digits …), shared with the profiler's format counts.

Longer than 500 lines: the shapes of data, the verdict on one row and the
test of the group rows above it are one argument for believing a header,
and are read together.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ikou.audit.hashing import CellError
from ikou.mappings.dates import ERA_INITIALS, ERA_KANJI, ERA_LETTERS
from ikou.pipeline.stages.extract.grid import (
    Merge,
    column_letter,
    header_key,
    header_origins,
    header_paths,
    merges_of,
)

__all__ = [
    "AS_OF",
    "BLANK_MARKERS",
    "HEADER_SEARCH_ROWS",
    "Header",
    "as_of",
    "cell_form",
    "data_shape",
    "read_header",
]

HEADER_SEARCH_ROWS = 30  # how far down the profiler looks for a header
BLOCK_ROWS = 50  # rows below a candidate compared with it
EVIDENCE_SHARE = 1 / 3  # of a header's cells that must show it is one

BLANK_MARKERS = ("なし", "特になし", "－", "-", "ー", "不明", "＊", "*", "該当なし")
_ERA_WORDS = ERA_KANJI
_L = ERA_LETTERS
NOTATIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("era_kanji", re.compile(rf"^({_ERA_WORDS})(\d{{1,2}}|元)年\d{{1,2}}月\d{{1,2}}日$")),
    ("era_one_kanji", re.compile(rf"^[{ERA_INITIALS}]\d{{1,2}}\.\d{{1,2}}\.\d{{1,2}}$")),
    ("era_letter_dot", re.compile(rf"^[{_L}]\d{{1,2}}\.\d{{1,2}}\.\d{{1,2}}$")),
    ("era_letter_slash", re.compile(rf"^[{_L}]\d{{1,2}}/\d{{1,2}}/\d{{1,2}}$")),
    ("era_letter_dash", re.compile(rf"^[{_L}]\d{{2}}-\d{{2}}-\d{{2}}$")),
    ("era_letter_lower", re.compile(rf"^[{_L.lower()}]\.?\d{{1,2}}\.\d{{1,2}}\.\d{{1,2}}$")),
    ("era_letter_period", re.compile(rf"^[{_L}]\.\d{{1,2}}\.\d{{1,2}}\.\d{{1,2}}$")),
    ("greg_slash", re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$")),
    ("greg_dash", re.compile(r"^\d{4}-\d{2}-\d{2}$")),
    ("greg_dot", re.compile(r"^\d{4}\.\d{1,2}\.\d{1,2}$")),
    ("greg_kanji", re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")),
)
# Dates written to the month or the year, and fiscal years (年度): notations a
# profile counts (their names end in _month, _year, or start with fiscal_), never
# a reason to refuse a header cell (平成27年度 over amounts is a column's name).
PERIODS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("era_kanji_month", re.compile(rf"^({_ERA_WORDS})(\d{{1,2}}|元)年\d{{1,2}}月$")),
    ("era_letter_month", re.compile(rf"^[{_L}]\d{{1,2}}\.\d{{1,2}}月$")),
    ("era_letter_dot_month", re.compile(rf"^[{_L}]\d{{1,2}}\.\d{{1,2}}$")),
    ("greg_kanji_month", re.compile(r"^\d{4}年\d{1,2}月$")),
    ("greg_slash_month", re.compile(r"^\d{4}/\d{1,2}$")),
    ("era_kanji_year", re.compile(rf"^({_ERA_WORDS})(\d{{1,2}}|元)年$")),
    ("greg_kanji_year", re.compile(r"^\d{4}年$")),
    ("fiscal_era_kanji", re.compile(rf"^({_ERA_WORDS})(\d{{1,2}}|元)年度$")),
    ("fiscal_era_initial", re.compile(rf"^[{ERA_INITIALS}](\d{{1,2}}|元)年度$")),
    ("fiscal_era_letter", re.compile(rf"^[{_L}]\d{{1,2}}年度$")),
    ("fiscal_greg", re.compile(r"^\d{4}年度$")),
)
AS_OF = ("現在", "時点", "更新", "調べ")  # 令和6年4月1日現在: what a date is the date of
TEXT_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("phone_hyphen", re.compile(r"^0\d{1,4}-\d{1,4}-\d{3,4}$")),
    ("phone_paren", re.compile(r"^0\d{1,4}\(\d{1,4}\)\d{3,4}$")),
    ("digits", re.compile(r"^\d+$")),
    ("comma_number", re.compile(r"^\d{1,3}(,\d{3})+$")),
    ("yen_suffix", re.compile(r"^[\d,]+円$")),
    ("katakana", re.compile(r"^[ァ-ヶー・\s]+$")),
    ("hiragana", re.compile(r"^[ぁ-ゖー・\s]+$")),
)
_HALFWIDTH_KANA = re.compile(r"[\uff61-\uff9f]")
_MARK = re.compile(r"^[○◯〇△▽×◎●■□▲◇◆☆★✓✔]$")  # a mark cell: 津波 ○, ×

# Shapes a column's name never has, whatever column it stands over.
_PERSONAL: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("excel error", re.compile(r"^#(N/A|VALUE!|REF!|DIV/0!|NUM!|NAME\?|NULL!|GETTING_DATA)$")),
    ("postal code", re.compile(r"^〒?\s*\d{3}\s*-\s*\d{4}$")),
    ("phone", re.compile(r"^[(]?0\d{1,4}[)\s-]*\d{1,4}[)\s-]*\d{3,4}$")),
    ("long number", re.compile(r"^[\d\s()+-]*\d[\d\s()+-]*$")),  # only with 6+ digits
    ("e-mail", re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")),
    ("web address", re.compile(r"^(https?://|www\.)", re.IGNORECASE)),
    (
        "address",
        re.compile(
            r"[一-龥々ヶ][都道府県市区町村郡][一-龥々ヶぁ-んァ-ヶー]{0,12}\d|\d\s*(丁目|番地|番|号)"
        ),
    ),
    ("time", re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")),
    # one space between two words, as names are written (氏　　名 is spaced out)
    (
        "person's name",
        re.compile(r"^(?=.{3})[一-龥々ヶ]{1,5} [一-龥々ヶ]{1,5}$|^[ァ-ヶー]{2,} [ァ-ヶー]{2,}$"),
    ),
)
# Shapes a column's name may have (１年 over counts, H22 over amounts), unless
# the column below has that shape too.
_VALUE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("number", re.compile(r"^[-+△▲]?\s*[\d,]*\.?\d+\s*(円|%)?$")),
    (
        "year",
        re.compile(rf"^(({_ERA_WORDS}|[{_L}])\s*(\d{{1,2}}|元)|\d{{4}})\s*年?度?(\d{{1,2}}月)?$"),
    ),
    ("code", re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{0,11}$")),
)
# Words ledgers use for column names: a cell that is one, or ends in one,
# counts as evidence that its row is a header.
HEADER_WORDS = tuple(
    """
    番号 No NO No. № ID コード 氏名 名前 名称 フリガナ ふりがな カナ 住所 所在地 電話 電話番号
    TEL FAX 郵便番号 生年月日 年月日 日付 性別 年齢 続柄 区分 種別 種類 備考 金額 家賃 人数
    件数 世帯数 人口 合計 小計 年度 年月 期間 状況 緯度 経度 面積 単位 内容 摘要 所属 担当
    団地名 施設名 学校名 町名 区名 市町村名 都道府県名 事業所名 世帯主
    """.split()
)


@dataclass(frozen=True)
class Header:
    """A sheet's header as a profile may write it.

    ``row`` is the header's last row, 0-based, ``None`` when no row could be
    believed; ``rows`` every row of the header, top first. ``names`` has one
    entry per column: its path (``学級数/計``, as :func:`.grid.header_paths`
    names it), ``""`` for an empty column, or the column's letter where a
    cell was withheld (``withheld``); ``cells`` per header row each cell as
    a twin writes it (``""`` when empty or withheld); ``note`` says in words
    what was not found or withheld.
    """

    row: int | None
    names: tuple[str, ...]
    withheld: tuple[int, ...] = ()
    note: str = ""
    rows: tuple[int, ...] = ()
    cells: tuple[tuple[str, ...], ...] = ()


def cell_form(value: Any) -> tuple[str, bool]:
    """The notation of one cell, and whether it used full-width digits."""
    if isinstance(value, bool):
        return "boolean", False
    if isinstance(value, CellError):
        return "error", False
    if isinstance(value, dt.datetime | dt.date):
        return "date_cell", False
    if isinstance(value, int | float):
        return "number", False
    text = str(value).strip()
    full = any("０" <= c <= "９" for c in text)
    folded = unicodedata.normalize("NFKC", text)
    if text in BLANK_MARKERS:
        return f"marker:{text}", False
    dated = _without_as_of(folded)
    for name, pattern in (*NOTATIONS, *PERIODS):
        if pattern.match(dated):
            return name, full
    if _HALFWIDTH_KANA.search(text):
        return "halfwidth_kana", False
    for name, pattern in TEXT_FORMS:
        if pattern.match(folded):
            return name, full
    return "text", full


def as_of(value: Any) -> str | None:
    """The word after a date that says what it is the date of (``現在`` in
    ``令和6年4月1日現在``), when ``value`` is a date or period written so."""
    if not isinstance(value, str):
        return None
    folded = unicodedata.normalize("NFKC", value).strip()
    dated = _without_as_of(folded)
    if dated == folded or not any(p.match(dated) for _, p in (*NOTATIONS, *PERIODS)):
        return None
    return folded[len(dated) :].strip()


def _without_as_of(folded: str) -> str:
    for word in AS_OF:
        if folded.endswith(word):
            return folded.removesuffix(word).rstrip()
    return folded


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        return not text or text in BLANK_MARKERS
    return False


def _squeezed(value: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def _kind(value: Any) -> str:
    """A coarse kind for comparing a header cell with the column below it."""
    if not isinstance(value, str):
        form, _ = cell_form(value)
        return "date" if form == "date_cell" else form
    folded = unicodedata.normalize("NFKC", value).strip()
    if _squeezed(folded) in HEADER_WORDS:
        return "text"
    dated = _without_as_of(folded)  # 令和6年4月1日現在 is a date too
    for _, pattern in NOTATIONS:
        if pattern.match(dated):
            return "date"
    for name, pattern in (*_PERSONAL, *_VALUE):
        if pattern.search(folded) and (name != "long number" or _digits(folded) >= 6):
            return name
    if _MARK.match(folded):
        return "mark"
    return "text"


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def data_shape(value: Any) -> str | None:
    """Why ``value`` cannot be a column's name wherever it stands, or ``None``.

    Cells that are not text (numbers, dates, booleans, errors) and text with
    the shape of personal data (a phone, a postal code, an address, a date,
    a person's name written with a space) are never a column's name.
    """
    if _empty(value):
        return None
    if not isinstance(value, str):
        return {"boolean": "boolean", "error": "excel error", "date_cell": "date"}.get(
            cell_form(value)[0], "number"
        )
    folded = unicodedata.normalize("NFKC", value).strip()
    if any(pattern.match(folded) for _, pattern in NOTATIONS):
        return "date"
    if _squeezed(folded) in HEADER_WORDS:
        return None
    for name, pattern in _PERSONAL:
        if pattern.search(folded) and (name != "long number" or _digits(folded) >= 6):
            return name
    return None


def _block(grid: Sequence[Sequence[Any]], start: int) -> list[Sequence[Any]]:
    """The non-blank rows from ``start`` down to two blank rows in a row (the
    gap between stacked tables), at most BLOCK_ROWS of them."""
    rows: list[Sequence[Any]] = []
    gap = 0
    for row in grid[start:]:
        if all(_empty(v) for v in row):
            gap += 1
            if rows and gap >= 2:
                break
            continue
        gap = 0
        rows.append(row)
        if len(rows) >= BLOCK_ROWS:
            break
    return rows


def _column_kinds(block: list[Sequence[Any]], column: int) -> Counter[str]:
    return Counter(
        _kind(row[column]) for row in block if column < len(row) and not _empty(row[column])
    )


def _is_header_word(value: Any) -> bool:
    squeezed = _squeezed(value)
    return any(squeezed == w or (len(w) >= 2 and squeezed.endswith(w)) for w in HEADER_WORDS)


def _year(value: Any) -> bool:
    """A number cell that reads as a year (``1999``), as headers over counts by year hold."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and float(value).is_integer()
        and 1900 <= value <= 2100
    )


def _years_below(block: list[Sequence[Any]], column: int) -> bool:
    """Whether most numbers in ``column`` below are years too (a year over years)."""
    numbers = [
        r[column]
        for r in block
        if column < len(r)
        and isinstance(r[column], int | float)
        and not isinstance(r[column], bool)
    ]
    return bool(numbers) and sum(_year(n) for n in numbers) * 2 > len(numbers)


def _recurs(value: Any, block: list[Sequence[Any]], column: int) -> bool:
    """Whether ``value`` stands again in its column below: a value, not a name."""
    key = _squeezed(value)
    return any(
        column < len(r) and not _empty(r[column]) and _squeezed(r[column]) == key for r in block
    )


def _verdict(grid: Sequence[Sequence[Any]], index: int) -> list[int] | None:
    """The columns of row ``index`` that show it is a header, or ``None`` when
    the row cannot be one (see the module's docstring)."""
    row = grid[index]
    cells = [(c, v) for c, v in enumerate(row) if not _empty(v)]
    width = max((len(r) for r in grid), default=0)
    if not cells or (len(cells) < 2 and width > 1):
        return None
    block = _block(grid, index + 1)
    if not block:
        return None
    evidenced = []
    for column, value in cells:
        year = _year(value) and not _years_below(block, column)
        if data_shape(value) is not None and not year:
            return None
        below = _column_kinds(block, column)
        kind = "year" if year else _kind(value)
        if (
            kind != "text"
            and below.get(kind, 0) * 2 >= sum(below.values())
            and not (year and not below)
        ):
            return (
                None  # a number over numbers, a code over codes (a year may head an empty column)
            )
        if _recurs(value, block, column):
            return None  # recurs in its own column: a value, not a name
        dominant, count = below.most_common(1)[0] if below else ("", 0)
        over_other = (
            count >= 2 and dominant not in ("text", kind) and count * 2 > sum(below.values())
        )
        if over_other or _is_header_word(value):
            evidenced.append(column)
    if len(evidenced) < EVIDENCE_SHARE * len(cells):
        return None
    return evidenced


_UNIT = re.compile(r"^[（(【\[]?\s*単\s*位")  # （単位：千円）: a note on the table, not a group


def _group_row(
    grid: Sequence[Sequence[Any]],
    upper: int,
    rows: list[int],
    width: int,
    merged: Sequence[Merge],
) -> bool:
    """Whether row ``upper`` holds the group cells of the header ``rows`` below it.

    Every cell in it must be a name (no data shape, not repeated in its
    column below, not a unit note) that either stands over several columns
    with names under them (a group: merged across them, or followed by
    blanks over names) or over empty cells (a name written in the upper row,
    or merged down) — or, in a row whose cells are mostly merged, over a
    name. At least one must be a group, unless most are merged. A title is not: a cell
    not merged whose blanks run over more than half the columns, or a row of
    one cell that is not merged over some of the columns only. Of three
    rows, the top one's groups must be merged.
    """
    if upper < 0 or all(_empty(v) for v in grid[upper]):
        return False
    origin = header_origins(grid, [upper, *rows], width, merged)
    block = _block(grid, rows[-1] + 1)
    spans: dict[tuple[int, int], list[int]] = {}
    for column in range(width):
        at = origin.get((upper, column))
        if at is not None and not _empty(grid[at[0]][at[1]]):
            spans.setdefault(at, []).append(column)
    named = {x for x in range(width) if any((r, x) in origin for r in [upper, *rows])}
    spread = {(r1, c1) for r1, c1, _, c2 in merged if c2 > c1}
    # a row whose cells the author merged, most of them, is a header's row: a
    # name may stand there over another name (年 over 年齢層別, written diagonally)
    built = 2 * sum((r1, c1) in spans for r1, c1, r2, c2 in merged if (r2, c2) != (r1, c1))
    stacked = built >= len(spans) >= 2
    groups = 0
    for at, columns in spans.items():
        value = grid[at[0]][at[1]]
        year = _year(value) and not _years_below(block, at[1])
        if (data_shape(value) is not None and not year) or _recurs(value, block, at[1]):
            return False
        if isinstance(value, str) and _UNIT.match(unicodedata.normalize("NFKC", value).strip()):
            return False
        named_below = [x for x in columns if any(origin.get((r, x), at) != at for r in rows)]
        if len(columns) >= 2 and named_below:
            if at not in spread and (len(columns) * 2 > len(named) or len(rows) > 1):
                return False  # blanks right of a title, or a third row's group not merged
            groups += 1
        elif named_below and not stacked:
            return False  # one column with a name under it: not a group
    if groups == 0 and not stacked:
        return False
    if len(spans) > 1:
        return True
    ((at, columns),) = spans.items()
    return at in spread and not named <= set(columns)


def _letters(columns: Sequence[int]) -> str:
    word = "column" if len(columns) == 1 else "columns"
    return f"{word} " + ", ".join(column_letter(c) for c in columns)


def _text(value: Any) -> str:
    """A header cell as a profile writes it: its text, a number as ``1999``."""
    return str(value).strip() if isinstance(value, str) else header_key(value)


def _best_row(grid: Sequence[Sequence[Any]]) -> tuple[int, list[int]] | None:
    """The believed row naming the most columns (the lower on a tie), and the
    columns whose cells show it is a header.

    A row with another believed row at most three rows below it stands above
    a header: a group row of it (which :func:`read_header` adds back), or the
    last records of a table stacked above, whose columns below are the next
    table's — never the header's last row itself."""
    believed = {}
    for candidate in range(min(HEADER_SEARCH_ROWS + 3, len(grid))):
        evidenced = _verdict(grid, candidate)
        if evidenced is not None:
            believed[candidate] = evidenced
    best: tuple[int, int] | None = None
    for candidate in believed:
        if candidate >= HEADER_SEARCH_ROWS or any(candidate + k in believed for k in (1, 2, 3)):
            continue
        filled = sum(not _empty(v) for v in grid[candidate])
        if best is None or filled >= best[1]:
            best = (candidate, filled)
    return None if best is None else (best[0], believed[best[0]])


def read_header(
    grid: Sequence[Sequence[Any]],
    row: int | Sequence[int] | None = None,
    merged: Sequence[Merge] | None = None,
) -> Header:
    """The header of ``grid``: at ``row`` (1-based; a list for a header over
    several rows) when given, else the rows among the first
    HEADER_SEARCH_ROWS that ikou can believe.

    Of the rows that pass and stand above no other that passes (see
    :func:`_best_row`), the one naming the most columns; on a tie the lower
    one. Up to two rows right above it join the header when they hold its
    group cells (:func:`_group_row`).
    Columns are named by their paths as a rehearsal names them
    (:func:`.grid.header_paths`). A last row's cell is a name only when it
    shows it is one (it stands over a column of another kind, or is a word
    ledgers use for names); with an explicit ``row`` every cell that does
    not look like data. Any other column is named by its letter, and the
    note says which.
    """
    width = max((len(r) for r in grid), default=0)
    merged = merges_of(grid) if merged is None else merged
    if row is not None:
        rows = [row - 1] if isinstance(row, int) else [r - 1 for r in row]
        rows = [r for r in rows if 0 <= r < len(grid)] or [len(grid)]
        named = {
            (r, c)
            for r in rows
            for c, v in enumerate(grid[r] if r < len(grid) else ())
            if not _empty(v) and _believed(grid, r, c)
        }
        note = "header cells of {} look like data: named by letter"
    else:
        found = _best_row(grid)
        if found is None:
            letters = tuple(column_letter(c) for c in range(width))
            return Header(None, letters, (), "header not found: give --header-row")
        index, evidenced = found
        rows = [index]
        while len(rows) < 3 and _group_row(grid, rows[0] - 1, rows, width, merged):
            rows.insert(0, rows[0] - 1)
        named = {(r, c) for r in rows[:-1] for c in range(width)}
        named |= {(index, c) for c in evidenced}
        note = (
            "header cells of {} are not confirmed as names (no column of another "
            "kind below them): named by letter; give --header-row to use them"
        )
    return _header(grid, rows, width, merged, named, note)


def _believed(grid: Sequence[Sequence[Any]], r: int, c: int) -> bool:
    """An explicit header row's cell may be a name: no data shape, or a year
    in a row where no other cell looks like data, over a column not of years."""
    value = grid[r][c]
    if data_shape(value) is None:
        return True
    others = [v for i, v in enumerate(grid[r]) if i != c and not _year(v)]
    clean = all(data_shape(v) is None for v in others)
    return _year(value) and clean and not _years_below(_block(grid, r + 1), c)


def _header(
    grid: Sequence[Sequence[Any]],
    rows: list[int],
    width: int,
    merged: Sequence[Merge],
    named: set[tuple[int, int]],
    note: str,
) -> Header:
    """The header over ``rows``: each column's path, by letter where a cell of
    its path is not in ``named``; and each row's cells as a twin writes them."""
    if rows[-1] >= len(grid):
        return Header(rows[-1], ("",) * width, (), "", tuple(rows), ())
    origin = header_origins(grid, rows, width, merged)
    paths = header_paths(grid, rows, width, merged)
    names: list[str] = []
    withheld: list[int] = []
    for column, path in enumerate(paths):
        sources = {origin[(r, column)] for r in rows if (r, column) in origin}
        if any(at not in named and not _empty(grid[at[0]][at[1]]) for at in sources):
            names.append(column_letter(column))
            withheld.append(column)
        else:
            names.append("/".join(path))
    cells = tuple(
        tuple(
            _text(grid[r][c])
            if c < len(grid[r]) and not _empty(grid[r][c]) and (r, c) in named
            else ""
            for c in range(width)
        )
        for r in rows
    )
    return Header(
        rows[-1],
        tuple(names),
        tuple(withheld),
        note.format(_letters(withheld)) if withheld else "",
        tuple(rows),
        cells,
    )
