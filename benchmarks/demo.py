"""Benchmark: ``ikou demo`` at size — the Word members table, and the demo end to end.

    python benchmarks/demo.py                      # 500, 2,000, 20,000 tenants; demo at 20,000
    python benchmarks/demo.py --sizes 2000 --demo-rows 2000 --old-up-to 2000

Prints, for each size, the time to write ``members.docx`` the old way (the
table filled through python-docx's API, ``add_row`` and ``merge``: n²) and the
new way (the table's markup built once), their ratio, and what ikou's own
reader takes to read the document back. The old way is run only up to
``--old-up-to`` tenants (2,000 by default: it grows with the square of the
rows, 20,000 took most of an hour); above that it prints an estimate from the
largest size measured, marked as such.

Then it runs ``ikou demo --rows N --dir <new folder>`` once as a process and
prints its wall time, the part spent writing the demo's files (up to the
line that names them), and the rehearsal's stage durations from the audit log.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ikou.pipeline.examples.housing import (  # noqa: E402
    make_members,
    write_members_docx,
    write_members_docx_by_cell,
)
from ikou.pipeline.stages.extract.readers import read_docx  # noqa: E402


def _timed(work: object, *args: object) -> float:
    started = time.perf_counter()
    work(*args)  # type: ignore[operator]
    return time.perf_counter() - started


def tables(sizes: list[int], old_up_to: int, folder: Path) -> None:
    print(f"{'tenants':>8} {'members':>8} {'old (python-docx)':>18} {'new (XML once)':>15} "
          f"{'old ÷ new':>10} {'read back':>10}")  # fmt: skip
    largest: tuple[int, float] | None = None  # (members, seconds) of the largest old run
    write_members_docx(make_members(10, 1), folder / "warm.docx")  # imports, not timed
    for tenants in sizes:
        members = make_members(tenants, 2026)
        count = len(members.rows)
        new = _timed(write_members_docx, members, folder / "new.docx")
        data = (folder / "new.docx").read_bytes()
        read = _timed(read_docx, data, "members.docx", None)
        if tenants <= old_up_to:
            old = _timed(write_members_docx_by_cell, members, folder / "old.docx")
            largest = (count, old)
            shown = f"{old:17.2f}s"
        elif largest is not None:
            old = largest[1] * (count / largest[0]) ** 2
            shown = f"{f'~{old:,.0f}s*':>18}"
        else:
            old, shown = float("nan"), f"{'not run':>18}"
        print(f"{tenants:>8,} {count:>8,} {shown} {new:14.2f}s {old / new:>9.0f}× {read:9.2f}s")
    if any(t > old_up_to for t in sizes):
        print(f"* not run (over --old-up-to {old_up_to:,}): n² from the largest size measured")


def demo(rows: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ikou-bench-demo-")) / "demo"
    command = [sys.executable, "-m", "ikou", "demo", "--rows", str(rows), "--dir", str(folder)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    written = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if written is None and line.startswith("synthetic ledger, members and plan"):
                written = time.perf_counter() - started
    wall = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"ikou demo exited {process.returncode}")
    stages = []
    for line in (folder / "ikou-work" / "audit.log").read_text("utf-8").splitlines():
        event = json.loads(line)
        if event.get("duration_ms") is not None:
            stages.append(f"{event['stage']} {event['duration_ms'] / 1000:.1f}")
    print(f"\nikou demo --rows {rows:,}: {wall:.1f} s wall (target: under 60 s)")
    print(f"  writing the demo's files (start-up included): {written or 0:.1f} s")
    print(f"  rehearsal stages (s, audit log): {', '.join(stages)}")
    print(f"  (kept in {folder})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2_000, 20_000])
    parser.add_argument("--old-up-to", type=int, default=2_000, help="largest old-way size")
    parser.add_argument("--demo-rows", type=int, default=20_000, help="0 to skip the demo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tables(args.sizes, args.old_up_to, Path(folder))
    if args.demo_rows:
        demo(args.demo_rows)


if __name__ == "__main__":
    main()
