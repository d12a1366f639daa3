"""Benchmark: what the reader defences cost on a well-formed ledger.

    python benchmarks/readers.py [--rows 200000] [--out bench-out]

Uses the cached ``.xlsx`` ledger of ``benchmarks/rehearsal.py`` (N rows × 26
columns; built on first use) and prints, best of three:

* ``package scan`` — the streamed pass over the zip (unpacked-size limit,
  sheet extents, error-cell marks) that runs before every ``.xlsx``;
* ``read inline`` — ``read_xlsx`` on the fast path (scan + calamine in this
  process), what a rehearsal does for a well-formed ``.xlsx``;
* ``read guarded`` — the same read forced through the forked guard (memory
  and time limits, result pickled back), what ``.ods``/``.xlsb`` and
  oversized sheets get;

which is the measurement behind reading well-formed ``.xlsx`` in process and
guarding only the files the scan cannot vouch for.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ikou.audit.platform import GUARD_AVAILABLE, guarded  # noqa: E402
from ikou.pipeline.stages.extract.package import Limits, scan_package  # noqa: E402
from ikou.pipeline.stages.extract.readers import _calamine_read, read_xlsx  # noqa: E402


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out", help="cache folder")
    args = parser.parse_args()
    from benchmarks.rehearsal import build_files

    xlsx, _ = build_files(args.rows, args.out)
    data = xlsx.read_bytes()
    limits = Limits()
    scan = scan_package(data, xlsx.name, "xlsx", limits)
    cells = sum(r * c for r, c in scan.extents.values())
    print(
        f"{xlsx.name}: {len(data) / 1e6:.1f} MB, {scan.unpacked / 1e6:.0f} MB unpacked, "
        f"{cells:,} cells spanned"
    )
    results = {
        "package scan": best_of(3, lambda: scan_package(data, xlsx.name, "xlsx", limits)),
        "read inline": best_of(3, lambda: read_xlsx(data, xlsx.name, None, limits)),
    }
    if GUARD_AVAILABLE:
        results["read guarded"] = best_of(
            3,
            lambda: guarded(
                lambda: _calamine_read(data, xlsx.name, None, limits, scan),
                seconds=600,
                memory_bytes=8 << 30,
            ),
        )
    else:
        print("the guard is not available on this OS")
    for name, seconds in results.items():
        print(f"{name:>14}: {seconds:6.2f} s")


if __name__ == "__main__":
    main()
