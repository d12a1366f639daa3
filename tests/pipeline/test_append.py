"""A production run that appends to a target holding an earlier batch: the
preflight lets it, the seal covers its own rows, ``ikou reconcile`` compares
only those and counts the others, and a run that died after its commit is
judged and rolled back by its own keys — the earlier batch never touched."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import sqlalchemy as sa
import yaml

from ikou.audit.chain import SEAL
from ikou.pipeline.plan import load_plan
from ikou.pipeline.stages.load import target_metadata
from tests.conftest import chain_events, run_ikou
from tests.pipeline.conftest import ikou, target_of
from tests.pipeline.postgres import connect

EARLIER = [  # the batch loaded before (another ward): keys this run does not have
    "INSERT INTO tenants (tenant_id, name, birth_date, estate, move_in_date, rent) VALUES"
    " ('900001', 'x', '1980-01-01', 'E01', '2000-01-01', 123456),"
    " ('900002', 'y', '1981-01-01', 'E02', '2001-01-01', 65432)",
    "INSERT INTO members (tenant_id, member_no, relation, name) VALUES ('900001', 1, '子', 'z')",
]


def _appending(plan: Path, url: str | None = None) -> Path:
    """``plan`` appending to a target (its SQLite file, or ``url``) that already
    holds the earlier batch."""
    data = yaml.safe_load(plan.read_text(encoding="utf-8"))
    data["target"]["if_exists"] = "append"
    if url is not None:
        data["target"]["url"] = url
    plan.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    loaded = load_plan(plan)
    tables = [t for t in loaded.mapping.tables if t not in loaded.plan.target.files]
    engine = sa.create_engine(url or f"sqlite:///{target_of(plan).as_posix()}")
    target_metadata(loaded.contract, tables).create_all(engine)
    with engine.begin() as connection:
        for statement in EARLIER:
            connection.exec_driver_sql(statement)
    engine.dispose()
    assert run_ikou("rehearse", str(plan)).returncode == 0
    return plan


def _migrate(plan: Path, **env: str) -> tuple[int, str]:
    done = ikou("migrate", str(plan), "--signoff", str(plan.parent / "signoff.yaml"), env=env)
    return done.returncode, done.stdout + done.stderr


def _counts(plan: Path) -> dict[str, int]:
    with sqlite3.connect(target_of(plan)) as db:
        return {
            t: db.execute(f"select count(*) from {t}").fetchone()[0] for t in ("tenants", "members")
        }


def _earlier_intact(plan: Path) -> None:
    with sqlite3.connect(target_of(plan)) as db:
        tenants = db.execute("select tenant_id, rent from tenants where tenant_id like '9000%'")
        assert sorted(tenants.fetchall()) == [("900001", 123456), ("900002", 65432)]
        assert db.execute("select count(*) from members where tenant_id = '900001'").fetchone() == (
            1,
        )


def _seals(plan: Path) -> list[str]:
    events = chain_events(plan.parent / "ikou-work" / "audit.log")
    return [str(e["outcome"]) for e in events if e["stage"] == SEAL and e["mode"] == "production"]


def _reconcile(plan: Path) -> tuple[int, dict[str, object]]:
    done = ikou("reconcile", str(plan))
    found = re.search(r"report:\s+(\S+)", done.stdout)
    assert found, done.stdout + done.stderr
    report = Path(found.group(1)).with_name("report.json")
    return done.returncode, json.loads(report.read_text(encoding="utf-8"))


def test_a_production_run_appends_and_reconciles_its_own_rows(production_plan: Path) -> None:
    plan = _appending(production_plan)
    code, said = _migrate(plan)
    assert code == 0, said
    runs = sorted((plan.parent / "ikou-work" / "runs").glob("*/report.json"))
    report = json.loads(runs[-1].read_text(encoding="utf-8"))
    (target,) = [c for c in report["preflight"] if c["item"] == "target"]
    assert target["status"] == "ok" and target["code"] == "target_append"
    loaded = {t: report["tables"][t]["loaded"] for t in ("tenants", "members")}
    assert _counts(plan) == {"tenants": loaded["tenants"] + 2, "members": loaded["members"] + 1}
    assert report["seal"]["rows"] == loaded["tenants"] + loaded["members"]  # its own rows
    code, later = _reconcile(plan)
    assert code == 0 and later["status"] == "unchanged"
    assert later["rows"] == report["seal"]["rows"] and later["other_rows"] == 3
    with sqlite3.connect(target_of(plan)) as db:  # the earlier batch is not this run's to judge
        db.execute("update tenants set rent = 1 where tenant_id = '900002'")
    assert _reconcile(plan)[1]["status"] == "unchanged"
    with sqlite3.connect(target_of(plan)) as db:
        db.execute("update tenants set rent = rent + 1 where tenant_id = '000001'")
    code, later = _reconcile(plan)
    assert later["status"] == "changed" and [d["change"] for d in later["differences"]] == [
        "changed"
    ]


def test_a_production_run_appends_to_postgres(production_plan: Path, postgres_url: str) -> None:
    plan = _appending(production_plan, postgres_url)
    code, said = _migrate(plan)
    assert code == 0, said
    code, later = _reconcile(plan)
    assert code == 0 and later["status"] == "unchanged", later
    assert later["other_rows"] == 3 and later["rows"] > 0
    with connect(postgres_url) as db:
        db.execute("UPDATE tenants SET rent = 1 WHERE tenant_id = '900002'")
    assert _reconcile(plan)[1]["status"] == "unchanged"
    with connect(postgres_url) as db:
        db.execute("DELETE FROM members WHERE tenant_id = '000001'")
        db.execute("DELETE FROM tenants WHERE tenant_id = '000001'")
    changes = {d["change"] for d in _reconcile(plan)[1]["differences"]}
    assert changes == {"removed"}


def test_an_appending_run_that_died_after_its_commit_is_finished_or_rolled_back_by_its_keys(
    production_plan: Path,
) -> None:
    plan = _appending(production_plan)
    before = _counts(plan)
    assert _migrate(plan, IKOU_FAULT="committed")[0] == -9
    after = _counts(plan)
    assert after["tenants"] > before["tenants"]  # committed before it died
    with sqlite3.connect(target_of(plan)) as db:
        db.execute("update tenants set rent = rent + 1 where tenant_id = '000001'")
    code, said = _migrate(plan)
    assert "its committed load rolled back" in said
    assert code == 0, said  # its rows deleted, the same plan migrated again, cleanly
    assert _seals(plan) == ["rolled_back", "reconciled"]
    assert _counts(plan) == after
    _earlier_intact(plan)


def test_an_appending_run_that_died_before_its_commit_leaves_the_earlier_batch(
    production_plan: Path,
) -> None:
    plan = _appending(production_plan)
    before = _counts(plan)
    assert _migrate(plan, IKOU_FAULT="manifest")[0] == -9
    assert _counts(plan) == before
    code, said = _migrate(plan)
    assert code == 0, said
    assert _seals(plan) == ["interrupted", "reconciled"]
    _earlier_intact(plan)
