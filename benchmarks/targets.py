"""Benchmark: loading and reading back 200,000 rows, PostgreSQL beside SQLite.

    python benchmarks/targets.py [--rows 200000] [--out bench-out] [--postgres URL] [--runs 3]

Uses ``benchmarks/rehearsal.py``'s ledger and plan (N rows × 26 columns,
``.xlsx``, built on first use and cached in ``--out``), runs extract, map and
validate once, then times, best of ``--runs``, on the same accepted rows:

* ``load`` — ``run_load`` in the run's one transaction, committed: the
  contract's DDL, then the rows (SQLite: ADBC ingest; PostgreSQL: COPY);
* ``read back`` — ``read_back_arrow``: every row in key order, canonical
  Arrow (SQLite: ADBC; PostgreSQL: a server-side cursor);

on SQLite (a fresh file each time), on PostgreSQL through COPY and the
server-side cursor, and on PostgreSQL through SQLAlchemy's row-by-row path
(``executemany``, ``fetchall``: what a ``postgresql://`` URL did before).
It checks that the three read-backs encode to the same digests.

``--postgres`` (default: ``$IKOU_TEST_POSTGRES``, which ``.ci/run`` sets) names
a server and a role that may create databases; each run gets a fresh
``ikou_bench_<random>`` database, dropped after it. Needs the ``bench`` and
``postgres`` extras.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ikou.audit.hashing import encode_arrow  # noqa: E402
from ikou.pipeline.plan import load_plan  # noqa: E402
from ikou.pipeline.stages import load as load_module  # noqa: E402
from ikou.pipeline.stages import readback as readback_module  # noqa: E402
from ikou.pipeline.stages.extract import run_extract  # noqa: E402
from ikou.pipeline.stages.load import open_target, read_back_arrow, run_load, transaction  # noqa: E402
from ikou.pipeline.stages.map import run_map  # noqa: E402
from ikou.pipeline.stages.validate import run_validate  # noqa: E402


@contextmanager
def database(server: str) -> Iterator[str]:
    """A fresh database on ``server``, dropped afterwards."""
    import psycopg
    from psycopg import sql

    admin = sa.engine.make_url(server).set(drivername="postgresql")
    name = f"ikou_bench_{secrets.token_hex(4)}"
    libpq = admin.render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as db:
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq, autocommit=True) as db:
            db.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def row_by_row() -> Iterator[None]:
    """PostgreSQL through SQLAlchemy's DB-API path: ``executemany`` and ``fetchall``."""
    with (
        mock.patch.object(load_module, "is_psycopg", lambda _c: False),
        mock.patch.object(readback_module, "is_psycopg", lambda _c: False),
    ):
        yield


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = work()
    return time.perf_counter() - started, out


def once(url: str, validated: Any, contract: Any) -> tuple[float, float, str]:
    """Load seconds, read-back seconds and the digest read back, on a fresh ``url``."""
    table = contract.tables["tenants"]
    engine = open_target(url)
    try:
        started = time.perf_counter()
        with transaction(engine) as connection:
            run_load(validated.tables, contract, connection)
        loaded = time.perf_counter() - started
        seconds, rows = timed(lambda: read_back_arrow(engine, table, "tenants"))
    finally:
        engine.dispose()
    return loaded, seconds, encode_arrow(rows, table.kinds()).digest()


def measure(
    name: str, url_for: Callable[[int], Any], validated: Any, contract: Any, runs: int
) -> tuple[str, float, float, str]:
    """Best load and read-back seconds of ``runs`` fresh targets, and the digest."""
    loads, reads, digest = [], [], ""
    for run in range(runs):
        with url_for(run) as url:
            loaded, read, digest = once(url, validated, contract)
        loads.append(loaded)
        reads.append(read)
    return name, min(loads), min(reads), digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out", help="cache folder")
    parser.add_argument("--postgres", default=os.environ.get("IKOU_TEST_POSTGRES"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.postgres:
        raise SystemExit("name a PostgreSQL server: --postgres URL or IKOU_TEST_POSTGRES")
    from benchmarks.rehearsal import build_files, write_plan

    xlsx, _ = build_files(args.rows, args.out, xls_too=False)
    folder = Path(tempfile.mkdtemp(prefix="ikou-bench-targets-"))
    plan = load_plan(write_plan(folder, xlsx, ["入居者台帳"]))
    seconds, (raws, _) = timed(lambda: run_extract(plan))
    mapped, _ = run_map(plan, raws)
    validated, _ = run_validate(plan, mapped, raws)
    accepted = len(validated.tables["tenants"].accepted)
    columns = len(plan.contract.tables["tenants"].columns)
    print(f"{accepted:,} accepted rows × {columns} columns (extract {seconds:.1f} s)\n")

    @contextmanager
    def sqlite(run: int) -> Iterator[str]:
        yield f"sqlite:///{(folder / f'target-{run}.sqlite').as_posix()}"

    @contextmanager
    def postgres_rows(run: int) -> Iterator[str]:
        with row_by_row(), database(args.postgres) as url:
            yield url

    results = [
        measure("SQLite (ADBC)", sqlite, validated, plan.contract, args.runs),
        measure(
            "PostgreSQL (COPY, server-side cursor)",
            lambda _run: database(args.postgres),
            validated,
            plan.contract,
            args.runs,
        ),
        measure("PostgreSQL (executemany, fetchall)", postgres_rows, validated, plan.contract, 1),
    ]
    base_load, base_read = results[0][1], results[0][2]
    print("| target | load s | rows/s | read back s | rows/s | ÷ SQLite (load / read) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, load, read, _ in results:
        print(
            f"| {name} | {load:.2f} | {accepted / load:,.0f} | {read:.2f} | "
            f"{accepted / read:,.0f} | {load / base_load:.1f} / {read / base_read:.1f} |"
        )
    same = len({digest for *_, digest in results}) == 1
    print(f"\nthe three read-backs encode to the same digests: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
