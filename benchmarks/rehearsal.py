"""Benchmark: the verified rehearsal against the naive unverified script.

    python benchmarks/rehearsal.py [--rows 200000] [--out bench-out] [--skip-naive]

Builds (once, then cached in ``--out``) a synthetic housing ledger of N rows ×
26 columns as ``.xlsx`` and as ``.xls`` split over 4 sheets, then runs, each in
its own process so that peak memory is that process's alone:

* ``ikou rehearse`` — extract, map, validate, load, read back, reconcile,
  report, audit chain;
* the naive script — ``pandas.read_excel`` (openpyxl for .xlsx, xlrd for
  .xls) and ``DataFrame.to_sql`` into SQLite, with no checks at all;
* a bare fastexcel read of the same file (the floor for reading it).

Prints wall time, rows per second and peak RSS side by side, and the speed-up
of the verified rehearsal over the naive script. Needs the ``bench`` extra
(``pip install -e ".[bench]"``) for fastexcel and xlsxwriter.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ikou.pipeline.examples import example_files  # noqa: E402
from ikou.pipeline.examples.housing import HEADER, make_ledger  # noqa: E402

EXTRA = 15  # housing has 11 columns; 15 more make the 26 of a real ledger
EXTRA_NAMES = [f"項目{i:02d}" for i in range(1, EXTRA + 1)]
SHEETS = 4


def _rows(n: int) -> list[list[object]]:
    ledger = make_ledger(n, seed=2026)
    out = []
    for i, row in enumerate(ledger.rows):
        extra: list[object] = []
        for j in range(EXTRA):
            if row[1] in ("小計", "合計") or all(v is None for v in row):
                extra.append(None)
            elif j % 3 == 0:
                extra.append(float((i * 7 + j) % 1000))
            elif j % 3 == 1:
                extra.append(f"区分{(i + j) % 12}")
            else:
                extra.append(f"メモ{(i * 31 + j) % 5000}")
        out.append(list(row) + extra)
    return out


def build_files(n: int, out: Path) -> tuple[Path, Path]:
    """The .xlsx (one sheet) and .xls (4 sheets) ledgers, cached by row count."""
    xlsx, xls = out / f"ledger-{n}.xlsx", out / f"ledger-{n}.xls"
    if xlsx.exists() and xls.exists():
        return xlsx, xls
    out.mkdir(parents=True, exist_ok=True)
    rows = _rows(n)
    header = list(HEADER) + EXTRA_NAMES
    started = time.perf_counter()
    import xlsxwriter

    # shared strings, as Excel itself writes them (constant_memory would write
    # inline strings, which no office file has and calamine reads more slowly)
    book = xlsxwriter.Workbook(str(xlsx))
    sheet = book.add_worksheet("入居者台帳")
    date_format = book.add_format({"num_format": "yyyy/mm/dd"})
    sheet.write(0, 0, "市営住宅 入居者台帳（ベンチマーク）")
    sheet.write_row(3, 0, header)
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            else:
                sheet.write(r, c, value)
    book.close()
    import xlwt

    wbook = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="yyyy/mm/dd")
    per = -(-len(rows) // SHEETS)
    for s in range(SHEETS):
        ws = wbook.add_sheet(f"入居者台帳{s + 1}")
        ws.write(0, 0, "市営住宅 入居者台帳（ベンチマーク）")
        for c, name in enumerate(header):
            ws.write(3, c, name)
        for r, row in enumerate(rows[s * per : (s + 1) * per], start=4):
            for c, value in enumerate(row):
                if value is not None:
                    style = date_style if isinstance(value, dt.date) else xlwt.Style.default_style
                    ws.write(r, c, value, style)
    wbook.save(str(xls))
    print(f"built {xlsx.name} and {xls.name} in {time.perf_counter() - started:.0f} s")
    return xlsx, xls


def write_plan(folder: Path, source: Path, sheets: list[str]) -> Path:
    """The housing example plan, extended with the 15 extra columns."""
    folder.mkdir(parents=True, exist_ok=True)
    files = example_files()
    plan = yaml.safe_load(files["plan.yaml"])
    plan["sources"]["ledger"]["rehearsal"] = str(source)
    plan["sources"]["ledger"]["sheets"] = sheets
    mapping = yaml.safe_load(files["mapping.yaml"])
    contract = yaml.safe_load(files["contract.yaml"])
    # the ledger alone, as the naive script reads it: no household-members table
    del plan["sources"]["members"], mapping["tables"]["members"], contract["tables"]["members"]
    for j, name in enumerate(EXTRA_NAMES):
        column = f"extra_{j + 1:02d}"
        kind = "integer" if j % 3 == 0 else "string"
        contract["tables"]["tenants"]["columns"][column] = {"type": kind}
        transforms = ["integer"] if kind == "integer" else ["nfkc", "strip"]
        mapping["tables"]["tenants"]["columns"][column] = {"from": name, "transforms": transforms}
    for name, data in (("plan.yaml", plan), ("mapping.yaml", mapping), ("contract.yaml", contract)):
        (folder / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (folder / "estates.csv").write_text(files["estates.csv"], encoding="utf-8")
    return folder / "plan.yaml"


def measure(code: str | list[str]) -> tuple[float, int, str]:
    """Run ``code`` (Python source, or a command) in a fresh process: wall seconds,
    peak RSS bytes, its stdout."""
    command = [sys.executable, "-c", code] if isinstance(code, str) else code
    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out = proc.stdout.read().decode() if proc.stdout else ""  # to EOF: never a full pipe
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark step failed:\n{code}")
    return wall, usage.ru_maxrss * 1024, out.strip()


def rehearse_command(plan: Path) -> list[str]:
    """``ikou rehearse PLAN --json``, exactly as a user runs it (the installed CLI)."""
    return [sys.executable, "-m", "ikou", "rehearse", str(plan), "--json"]


def naive_code(path: Path, db: Path, sheets: list[str]) -> str:
    engine = "openpyxl" if path.suffix == ".xlsx" else "xlrd"
    return textwrap.dedent(f"""
        import pandas as pd, sqlalchemy as sa
        frames = pd.read_excel({str(path)!r}, sheet_name={sheets!r}, header=3, engine={engine!r})
        df = pd.concat(frames.values(), ignore_index=True)
        df.to_sql("tenants", sa.create_engine("sqlite:///{db}"), if_exists="replace", index=False)
        print(len(df))
    """)


def fastexcel_code(path: Path, sheets: list[str]) -> str:
    return textwrap.dedent(f"""
        import fastexcel
        reader = fastexcel.read_excel({str(path)!r})
        n = sum(reader.load_sheet(s, header_row=3).to_arrow().num_rows for s in {sheets!r})
        print(n)
    """)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="tenants in the ledger")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out", help="cache folder")
    parser.add_argument("--skip-naive", action="store_true", help="skip the slow naive script")
    args = parser.parse_args()
    xlsx, xls = build_files(args.rows, args.out)
    cases = [
        ("xlsx", xlsx, ["入居者台帳"]),
        ("xls", xls, [f"入居者台帳{s + 1}" for s in range(SHEETS)]),
    ]
    print(
        f"\n{args.rows:,} tenants × {len(HEADER) + EXTRA} columns; one run each, "
        f"{os.cpu_count()} cores\n"
    )
    print(f"{'file':<6}{'what':<30}{'wall s':>9}{'rows/s':>12}{'peak MiB':>10}")
    for label, path, sheets in cases:
        folder = args.out / f"plan-{label}-{args.rows}"
        plan = write_plan(folder, path, sheets)
        wall, rss, out = measure(rehearse_command(plan))
        source_rows = json.loads(out)["tables"]["tenants"]["source_rows"]
        results = {"ikou rehearse (verified)": (wall, rss)}
        if not args.skip_naive:
            db = args.out / f"naive-{label}.sqlite"
            db.unlink(missing_ok=True)
            results["naive read_excel + to_sql"] = measure(naive_code(path, db, sheets))[:2]
        results["bare fastexcel read"] = measure(fastexcel_code(path, sheets))[:2]
        for what, (seconds, peak) in results.items():
            print(
                f"{label:<6}{what:<30}{seconds:>9.1f}{source_rows / seconds:>12,.0f}"
                f"{peak / 2**20:>10,.0f}"
            )
        if "naive read_excel + to_sql" in results:
            ratio = results["naive read_excel + to_sql"][0] / results["ikou rehearse (verified)"][0]
            print(f"{label:<6}{'→ verified is faster by':<30}{ratio:>8.1f}×")
        print()


if __name__ == "__main__":
    main()
