"""Benchmark: the verified rehearsal against the naive unverified script.

    python benchmarks/rehearsal.py [--rows 200000] [--out bench-out] [--skip-naive] [--scale]

Builds (once, then cached in ``--out``) a synthetic housing ledger of N rows ×
26 columns as ``.xlsx`` and as ``.xls`` split over 4 sheets, then runs, each in
its own process so that peak memory is that process's alone:

* ``ikou rehearse`` — extract, map, validate, load, read back, reconcile,
  report, audit chain;
* the naive script — ``pandas.read_excel`` (openpyxl for .xlsx, xlrd for
  .xls) and ``DataFrame.to_sql`` into SQLite, with no checks at all;
* the same naive script with ``engine="calamine"``;
* a bare fastexcel read of the same file (the floor for reading it).

Prints wall time, rows per second and peak RSS side by side, then the
targets of issue 16 with this run's figures: the verified rehearsal against
the bare read and the naive scripts, its peak memory against the bare
read's, the date transform (``benchmarks/dates.py``), start-up (``ikou
rehearse --help`` and a tiny plan) and, with ``--scale``, 1,000,000 rows
against 200,000. Each step's peak RSS is its own: a small launcher process
starts it and reads its ``wait4`` usage (a process started straight from this
one would inherit this one's peak). Needs the ``bench`` extra (``pip install
-e ".[bench]"``) for fastexcel and xlsxwriter.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
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


def build_files(n: int, out: Path, *, xls_too: bool = True) -> tuple[Path, Path]:
    """The .xlsx (one sheet) and .xls (4 sheets) ledgers, cached by row count
    (``xls_too=False``: the .xlsx alone — BIFF8 holds 65,536 rows a sheet)."""
    xlsx, xls = out / f"ledger-{n}.xlsx", out / f"ledger-{n}.xls"
    if xlsx.exists() and (xls.exists() or not xls_too):
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
    if not xls_too:
        return xlsx, xls
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


def write_plan(folder: Path, source: Path, sheets: list[str], cells: int | None = None) -> Path:
    """The housing example plan, extended with the 15 extra columns, with a new
    workspace of its own (ikou refuses a workspace whose audit log was removed,
    so a benchmark never reuses one)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = example_files()
    plan = yaml.safe_load(files["plan.yaml"])
    plan["workspace"] = f"work-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    if cells is not None:  # a sheet past the default limit of 25,000,000 cells
        plan["sources"]["ledger"]["limits"] = {"cells": cells}
    plan["sources"]["ledger"]["rehearsal"] = str(source)
    plan["sources"]["ledger"]["sheets"] = sheets
    mapping = yaml.safe_load(files["mapping.yaml"])
    contract = yaml.safe_load(files["contract.yaml"])
    # the ledger alone, as the naive script reads it: no members or applicants table
    for other in ("members", "applicants"):
        del plan["sources"][other], mapping["tables"][other], contract["tables"][other]
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


_LAUNCH = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(child.pid, 0)
sys.stderr.write(f"\\n@@ {os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}\\n")
"""


def measure(code: str | list[str]) -> tuple[float, int, str]:
    """Run ``code`` (Python source, or a command) in a fresh process: wall seconds,
    its own peak RSS in bytes, its stdout."""
    command = [sys.executable, "-c", code] if isinstance(code, str) else code
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCH, *command],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    wall = time.perf_counter() - started
    tail = done.stderr.decode(errors="replace").rsplit("@@ ", 1)
    code_, rss = tail[-1].split()
    if int(code_) != 0:
        raise SystemExit(f"benchmark step failed:\n{code}\n{tail[0][-2000:]}")
    return wall, int(rss) * 1024, done.stdout.decode().strip()


def stage_seconds(plan: Path) -> dict[str, float]:
    """Each stage's duration as the run's audit chain recorded it."""
    workspace = plan.parent / yaml.safe_load(plan.read_text(encoding="utf-8"))["workspace"]
    seconds: dict[str, float] = {}
    for line in (workspace / "audit.log").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if "duration_ms" in event:
            seconds[event["stage"]] = event["duration_ms"] / 1000
    return seconds


def rehearse_command(plan: Path) -> list[str]:
    """``ikou rehearse PLAN --json``, exactly as a user runs it (the installed CLI)."""
    return [sys.executable, "-m", "ikou", "rehearse", str(plan), "--json"]


def naive_code(path: Path, db: Path, sheets: list[str], engine: str | None = None) -> str:
    engine = engine or ("openpyxl" if path.suffix == ".xlsx" else "xlrd")
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


def build_one_sheet(n: int, out: Path) -> Path:
    """A one-sheet .xlsx of ``n`` tenants (for the scaling step), cached."""
    path = out / f"ledger-{n}-one.xlsx"
    if not path.exists():
        code = (
            f"import sys; from pathlib import Path; sys.path.insert(0, {str(ROOT)!r});"
            "from benchmarks.rehearsal import build_files;"
            f"build_files({n}, Path({str(out)!r}), xls_too=False)"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
        (out / f"ledger-{n}.xlsx").rename(path)
    return path


def _dates_per_second() -> float:
    _, _, out = measure([sys.executable, str(ROOT / "benchmarks" / "dates.py")])
    line = next(x for x in out.splitlines() if x.startswith("date transform:"))
    return float(line.rsplit("→", 1)[1].split()[0].replace(",", ""))


def _startup(out: Path) -> tuple[float, float]:
    help_wall = min(
        measure([sys.executable, "-m", "ikou", "rehearse", "--help"])[0] for _ in range(3)
    )
    from ikou.pipeline.examples import write_demo

    folder = out / f"tiny-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    write_demo(folder, rows=10, seed=1)
    tiny = min(measure(rehearse_command(folder / "plan.yaml"))[0] for _ in range(2))
    shutil.rmtree(folder, ignore_errors=True)
    return help_wall, tiny


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="tenants in the ledger")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out", help="cache folder")
    parser.add_argument("--skip-naive", action="store_true", help="skip the slow naive scripts")
    parser.add_argument("--scale", action="store_true", help="also 1,000,000 rows (.xlsx)")
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
    print(f"{'file':<6}{'what':<34}{'wall s':>9}{'rows/s':>12}{'peak MiB':>10}")
    seen: dict[str, dict[str, tuple[float, int]]] = {}
    stages: dict[str, dict[str, float]] = {}
    for label, path, sheets in cases:
        folder = args.out / f"plan-{label}-{args.rows}"
        plan = write_plan(folder, path, sheets)
        wall, rss, out = measure(rehearse_command(plan))
        source_rows = json.loads(out)["tables"]["tenants"]["source_rows"]
        results = {"ikou rehearse (verified)": (wall, rss)}
        stages[label] = stage_seconds(plan)
        if not args.skip_naive:
            for engine, what in (
                (None, "naive read_excel + to_sql"),
                ("calamine", "naive calamine + to_sql"),
            ):
                db = args.out / f"naive-{label}.sqlite"
                db.unlink(missing_ok=True)
                results[what] = measure(naive_code(path, db, sheets, engine))[:2]
        results["bare fastexcel read"] = measure(fastexcel_code(path, sheets))[:2]
        seen[label] = results
        for what, (seconds, peak) in results.items():
            print(
                f"{label:<6}{what:<34}{seconds:>9.1f}{source_rows / seconds:>12,.0f}"
                f"{peak / 2**20:>10,.0f}"
            )
        print()
    verified = seen["xlsx"]["ikou rehearse (verified)"]
    bare = seen["xlsx"]["bare fastexcel read"]
    rows = [
        (".xlsx verified ÷ bare fastexcel read", f"{verified[0] / bare[0]:.1f}", "≤ 3.0"),
        ("peak RSS verified ÷ bare read (.xlsx)", f"{verified[1] / bare[1]:.1f}", "≤ 3.0"),
    ]
    for label in ("xlsx", "xls"):
        mine = seen[label]["ikou rehearse (verified)"][0]
        for what in ("naive read_excel + to_sql", "naive calamine + to_sql"):
            if what in seen[label]:
                other = seen[label][what][0]
                rows.append((f".{label} {what} ÷ verified", f"{other / mine:.2f}", "> 1 (faster)"))
    rows.append(("date transform (values/s)", f"{_dates_per_second():,.0f}", "≥ 1,000,000"))
    help_wall, tiny = _startup(args.out)
    rows.append(("ikou rehearse --help (wall s)", f"{help_wall:.2f}", "≤ 0.5"))
    rows.append(("start-up of a tiny plan (wall s)", f"{tiny:.2f}", "≤ 1.5"))
    if args.scale:
        big = build_one_sheet(1_000_000, args.out)
        plan = write_plan(args.out / "plan-xlsx-1000000", big, ["入居者台帳"], cells=30_000_000)
        big_wall = measure(rehearse_command(plan))[0]
        rows.append(
            ("1,000,000 rows ÷ 200,000 rows (.xlsx)", f"{big_wall / verified[0]:.2f}", "≤ 5.5")
        )
    print(f"{'measure':<42}{'this run':>12}  target")
    for what, value, target in rows:
        print(f"{what:<42}{value:>12}  {target}")
    print("\nstages of the verified rehearsal (s, from its audit chain):")
    for label, seconds in stages.items():
        print(f"  {label:<5} " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))


if __name__ == "__main__":
    main()
