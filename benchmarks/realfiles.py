"""What ikou sees in the public offices' files of ../shared/realfiles.

For each of the 19 files: its sheets, on how many a header was found and over
how many rows, how many tables stand on a sheet (the most on one), the rows
labelled as totals (the built-in ``totals`` rule) and the footnote rows under
the tables, and the time ``ikou profile`` takes on the file, beside the time
merely opening it takes (the same run, so the ratio holds on a noisy
machine). Prints the Markdown table docs/formats.md carries.

    python benchmarks/realfiles.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from ikou.mappings.summary import row_label, total_label
from ikou.pipeline.plan import SourceSpec
from ikou.pipeline.stages.extract import open_source
from ikou.pipeline.stages.extract.header import read_header
from ikou.pipeline.stages.extract.tables import tables_in
from ikou.pipeline.twin import profile_files


def measure(path: Path) -> dict[str, Any]:
    """The row of the table for one file."""
    started = time.perf_counter()
    spec = SourceSpec(rehearsal=path.name, format="csv" if path.suffix == ".csv" else "auto")
    grids = [g for _, g in open_source(path, path.name, spec, every_sheet=True).grids if g]
    opened = time.perf_counter() - started
    started = time.perf_counter()
    profile_files([path])
    profiled = time.perf_counter() - started
    found, depths, most, totals, notes = 0, set(), 0, 0, 0
    for grid in grids:
        header = read_header(grid)
        if header.row is None:
            continue
        found += 1
        tables = tables_in(grid, header)
        depths.update(len(t.header_rows) for t in tables)
        most = max(most, len(tables))
        notes += sum(t.footnotes for t in tables)
        for table in tables:
            if table.records:
                rows = grid[table.first - 1 : table.last]
                totals += sum(total_label(row_label(row)) for row in rows)
    return {
        "file": path.name,
        "sheets": len(grids),
        "found": found,
        "depths": "–".join(str(d) for d in sorted(depths)) if depths else "—",
        "tables": most,
        "totals": totals,
        "footnotes": notes,
        "open": opened,
        "profile": profiled,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).parents[2] / "shared")
    folder = parser.parse_args().shared / "realfiles"
    if not folder.is_dir():
        raise SystemExit(f"{folder} is not there: these are the public offices' files")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".xls", ".xlsx", ".csv"))
    print(
        "| file | sheets | header found on | header rows | most tables on a sheet "
        "| total rows | footnote rows | open s | profile s |"
    )
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for path in files:
        row = measure(path)
        print(
            f"| {row['file']} | {row['sheets']} | {row['found']} | {row['depths']} "
            f"| {row['tables']} | {row['totals']} | {row['footnotes']} "
            f"| {row['open']:.2f} | {row['profile']:.2f} |"
        )


if __name__ == "__main__":
    main()
