"""The date transform on a million ledger cells of mixed notation.

    python benchmarks/dates.py                 # 1,000,000 cells
    python benchmarks/dates.py --cells 200000

Builds (seeded) a column as a twenty-year-old ledger holds it: birth dates
from 1930 to 2010 written mostly one way by the clerk of the day (H22.10.7),
often another (平成22年10月7日), sometimes as real date cells, and now and then
in any of the other notations — full-width digits, one-kanji eras, Gregorian
with slashes, compact 20101007, 元年 — plus a sprinkling of values that must
be rejected (相談中, H31.5.1, 2月30日). Then it runs the ``date`` transform
over the column exactly as the map stage does (``apply_transform``: one
type-exact factorize, one parse per distinct value, results spread back) and
prints cells per second, with the distinct count and the time per distinct
parse so the two costs can be told apart. Best of three runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

import pandas as pd

from ikou.mappings.dates import ERAS
from ikou.mappings.transforms import apply_transform, check_args

FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def render(day: dt.date, rng: random.Random) -> object:
    """``day`` as one ledger cell, in a notation drawn with realistic weights."""
    era = [e for e in ERAS if e.start <= day][-1]
    y = day.year - era.offset
    year = "元" if y == 1 else str(y)
    m, d = day.month, day.day
    roll = rng.random()
    if roll < 0.55:
        return f"{era.letter}{y}.{m}.{d}"
    if roll < 0.75:
        return f"{era.kanji}{year}年{m}月{d}日"
    if roll < 0.85:
        return day  # a real date cell
    choice = rng.randrange(8)
    return (
        f"{era.letter}{y}/{m}/{d}",
        f"{era.letter}{y:02d}-{m:02d}-{d:02d}",
        f"{era.kanji[0]}{y}.{m}.{d}",
        f"{era.letter}{y}.{m}.{d}".translate(FULL),
        f"{day.year}/{m}/{d}",
        f"{day.year}{m:02d}{d:02d}",
        f"{day.year}年{m}月{d}日",
        f"{era.letter.lower()}.{y}.{m}.{d}",
    )[choice]


def build(cells: int, seed: int = 2026) -> pd.Series:
    rng = random.Random(seed)
    first, span = dt.date(1930, 1, 1), (dt.date(2010, 12, 31) - dt.date(1930, 1, 1)).days
    values: list[object] = []
    for _ in range(cells):
        if rng.random() < 0.002:
            values.append(rng.choice(("相談中", "H31.5.1", "平成22年2月30日", "S64.1.8", "不明")))
        else:
            values.append(render(first + dt.timedelta(days=rng.randrange(span)), rng))
    return pd.Series(values, dtype=object)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=1_000_000)
    args = parser.parse_args()
    column = build(args.cells)
    distinct = column.map(lambda v: (type(v), v)).nunique()
    checked = check_args("date", {})
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        result = apply_transform("date", column, checked)
        best = min(best, time.perf_counter() - started)
    rejected = int(result.reasons.notna().sum())
    print(f"{args.cells:,} cells, {distinct:,} distinct, {rejected:,} rejected")
    print(f"date transform: {best:.2f} s  →  {args.cells / best:,.0f} cells/s")
    only_distinct = column.drop_duplicates()
    started = time.perf_counter()
    apply_transform("date", only_distinct, checked)
    per = (time.perf_counter() - started) / len(only_distinct)
    print(f"one parse per distinct value: {per * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
