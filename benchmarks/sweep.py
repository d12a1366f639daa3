"""``ikou sweep`` over a tree of 10,000 files: files per second and MB per second.

    python benchmarks/sweep.py               # 10,000 files
    python benchmarks/sweep.py --files 2000

Rehearses the demo ledger (300 tenants) into a workspace, then builds (once;
cached in ``bench-out/``) a tree the way a shared drive looks: mostly small
text files (minutes, memos, CSVs of unrelated numbers), unrelated workbooks,
some binary files, and a handful of copies of the ledger hidden in it — an
exact copy, re-saved ``.xlsx`` files, CSV exports and text pastes. Then it
runs the sweep as ``ikou sweep`` does and prints files/s, MB/s and what it
found (which must be exactly the planted copies).
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ikou.audit.sweep import load_knowledge, sweep  # noqa: E402
from ikou.mappings.normalise import fingerprint_text  # noqa: E402
from ikou.pipeline.examples import write_demo  # noqa: E402
from ikou.pipeline.examples.housing import HEADER, make_ledger, write_xlsx  # noqa: E402
from ikou.pipeline.run import rehearse  # noqa: E402
from ikou.pipeline.session import open_chain  # noqa: E402

WORDS = "会議 議事録 予算 委員会 報告 資料 確認 連絡 住宅 管理 修繕 点検 年度 計画 集計".split()


def build_tree(root: Path, files: int, seed: int = 7) -> int:
    """The tree; returns how many planted copies it holds."""
    rng = random.Random(seed)
    ledger = make_ledger(300, 2026)
    data = [row for row in ledger.rows if row[0] is not None]
    other = make_ledger(200, 99)
    planted = 0
    for number in range(files):
        folder = root / f"dept{number % 20:02d}" / f"year{number % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        roll = rng.random()
        if number % 1000 == 0:  # the planted copies, one kind in turn
            kind = (number // 1000) % 3
            path = folder / f"copy{number}"
            if kind == 0:
                write_xlsx(ledger, path.with_suffix(".xlsx"))
            elif kind == 1:
                with path.with_suffix(".csv").open("w", encoding="utf-8", newline="") as handle:
                    csv.writer(handle).writerows([HEADER, *data[:100]])
            else:
                text = "\n".join(
                    "\t".join("" if v is None else str(v) for v in r) for r in data[:20]
                )
                path.with_suffix(".txt").write_text(text, encoding="utf-8")
            planted += 1
        elif roll < 0.75:
            lines = [" ".join(rng.choices(WORDS, k=12)) for _ in range(rng.randrange(5, 200))]
            (folder / f"memo{number}.txt").write_text("\n".join(lines), encoding="utf-8")
        elif roll < 0.9:
            rows = [[rng.randrange(10**6) for _ in range(8)] for _ in range(rng.randrange(10, 300))]
            with (folder / f"data{number}.csv").open("w", newline="") as handle:
                csv.writer(handle).writerows(rows)
        elif roll < 0.93:
            write_xlsx(other, folder / f"other{number}.xlsx")
        else:
            (folder / f"blob{number}.bin").write_bytes(rng.randbytes(rng.randrange(1, 200_000)))
    return planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out")
    args = parser.parse_args()
    tree = args.out / f"sweep-tree-{args.files}"
    marker = tree / ".planted"
    if not marker.exists():
        shutil.rmtree(tree, ignore_errors=True)
        started = time.perf_counter()
        planted = build_tree(tree, args.files)
        marker.write_text(str(planted))
        print(f"built {args.files:,} files in {time.perf_counter() - started:.0f} s")
    planted = int(marker.read_text())
    with tempfile.TemporaryDirectory() as folder:
        plan = write_demo(Path(folder) / "demo", rows=300, seed=2026)
        rehearse(plan)
        workspace = plan.parent / "ikou-work"
        events = open_chain(workspace)[0].events()
        knowledge = load_knowledge(workspace, events, fingerprint_text)
        started = time.perf_counter()
        result = sweep([tree], knowledge)
        wall = time.perf_counter() - started
    derived = sum(1 for f in result.findings if f.kind == "derived")
    print(f"{result.files:,} files, {result.bytes / 1e6:,.1f} MB in {wall:.1f} s")
    print(f"{result.files / wall:,.0f} files/s, {result.bytes / 1e6 / wall:,.1f} MB/s")
    print(
        f"found {len(result.findings)} (derived {derived}) of {planted} planted; "
        f"skipped {len(result.skipped)}"
    )


if __name__ == "__main__":
    main()
