"""PostgreSQL as a target: the same rows, digests and controls as SQLite, the
contract's constraints in the database, the vendor's schema checked, appends
reconciled over their own rows, and the driver's install line when it is missing.

Every test that needs a server takes the ``postgres_url`` fixture (a fresh
database, ``tests/pipeline/postgres.py``): skipped without a server, failed
under ``CI=true``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from ikou.audit.hashing import encode_arrow, table_digest
from ikou.errors import TargetKeyExistsError, TargetNotEmptyError, TargetSchemaError
from ikou.pipeline.plan import load_plan
from ikou.pipeline.stages.ddl import schema_differences
from ikou.pipeline.stages.extract import run_extract
from ikou.pipeline.stages.load import (
    open_target,
    read_back_arrow,
    run_load,
    target_metadata,
    transaction,
)
from ikou.pipeline.stages.map import run_map
from ikou.pipeline.stages.reconcile import run_reconcile
from ikou.pipeline.stages.validate import run_validate
from ikou.validation.contract import Contract
from ikou.validation.schema import ValidatedTable
from tests.conftest import chain_events, run_ikou
from tests.pipeline.conftest import ikou
from tests.pipeline.postgres import connect, with_database

TABLES = ("tenants", "members", "applicants")


def _target(plan: Path, url: str | None, *, append: bool = False) -> Path:
    """Point ``plan``'s rehearsals at ``url`` (the default SQLite file when ``None``),
    every table to the database (no ``target.files``: these tests are about it)."""
    data = yaml.safe_load(plan.read_text(encoding="utf-8"))
    target = data.setdefault("target", {})
    for key in ("files", "rehearsal_url", "if_exists"):
        target.pop(key, None)
    if url is not None:
        target["rehearsal_url"] = url
    if append:
        target["if_exists"] = "append"
    plan.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return plan


def _report(result: Any) -> dict[str, Any]:
    path = re.search(r"json:\s+(\S+)", result.stdout)
    assert path, result.stdout + result.stderr
    return json.loads(Path(path.group(1)).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _funnel(report: dict[str, Any]) -> dict[str, Any]:
    keys = ("source_rows", "skipped", "rejected", "loaded", "balanced", "controls")
    return {t: {k: report["tables"][t][k] for k in keys} for t in TABLES}


def _reconcile_hash(plan: Path, run_id: str) -> str:
    events = chain_events(plan.parent / "ikou-work" / "audit.log")
    [event] = [e for e in events if e.get("run_id") == run_id and e.get("stage") == "reconcile"]
    return str(event["output_sha256"])


def _count(url: str, table: str) -> int:
    with connect(url) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_the_housing_example_reconciles_on_postgres_as_on_sqlite(
    housing_plan: Path, postgres_url: str
) -> None:
    on_sqlite = ikou("rehearse", str(_target(housing_plan, None)))
    assert on_sqlite.returncode == 0, on_sqlite.stdout + on_sqlite.stderr
    on_postgres = ikou("rehearse", str(_target(housing_plan, postgres_url)))
    assert on_postgres.returncode == 0, on_postgres.stdout + on_postgres.stderr
    lite, pg = _report(on_sqlite), _report(on_postgres)
    assert pg["status"] == lite["status"] == "reconciled"
    assert _funnel(pg) == _funnel(lite)  # counts and every control total
    password = sa.engine.make_url(postgres_url).password
    assert f":{password}@" not in json.dumps(pg, ensure_ascii=False)  # redacted
    # the same rows read back encode to the same digests, in the same order
    assert _reconcile_hash(housing_plan, pg["run_id"]) == _reconcile_hash(
        housing_plan, lite["run_id"]
    )
    for table in TABLES:
        assert _count(postgres_url, table) == pg["tables"][table]["loaded"]


def test_the_contract_s_constraints_are_in_the_database_and_hold_outside_ikou(
    housing_plan: Path, postgres_url: str
) -> None:
    import psycopg

    result = ikou("rehearse", str(_target(housing_plan, postgres_url)))
    assert result.returncode == 0, result.stdout + result.stderr
    with connect(postgres_url) as db:
        kinds = dict(
            db.execute(
                "SELECT constraint_name, constraint_type FROM information_schema.table_constraints"
                " WHERE table_schema = 'public' AND constraint_name NOT LIKE '%not_null'"
            ).fetchall()
        )
        checks = dict(
            db.execute(
                "SELECT constraint_name, check_clause FROM information_schema.check_constraints"
                " WHERE constraint_name LIKE 'ck_%'"
            ).fetchall()
        )
        referential = db.execute(
            "SELECT r.constraint_name, k.table_name, k.column_name"
            " FROM information_schema.referential_constraints r"
            " JOIN information_schema.key_column_usage k USING (constraint_name)"
        ).fetchall()
        comment = db.execute(
            "SELECT obj_description('tenants'::regclass), col_description('tenants'::regclass, 1),"
            " col_description('tenants'::regclass, 9)"
        ).fetchone()
        required = db.execute(
            "SELECT is_nullable FROM information_schema.columns"
            " WHERE table_name = 'tenants' AND column_name = 'birth_date'"
        ).fetchone()
    assert kinds["pk_tenants"] == "PRIMARY KEY" and kinds["pk_members"] == "PRIMARY KEY"
    assert kinds["fk_members_tenant_id"] == "FOREIGN KEY"
    assert referential == [("fk_members_tenant_id", "members", "tenant_id")]
    assert {
        "ck_tenants_rent_range",
        "ck_tenants_estate_allowed",
        "ck_tenants_birth_date_range",
        "ck_members_relation_allowed",
        "ck_members_member_no_range",
        "ck_applicants_received_range",
    } <= set(checks)
    assert "300000" in checks["ck_tenants_rent_range"]
    assert "E05" in checks["ck_tenants_estate_allowed"]
    assert comment == (
        "入居者（世帯主）",
        "入居者番号（6桁、先頭ゼロ埋め）",
        "家賃 — 月額家賃（円）",
    )
    assert required == ("NO",)

    tenant = (
        "INSERT INTO tenants (tenant_id, name, birth_date, estate, move_in_date, rent)"
        " VALUES (%s, 'x', '1980-01-01', %s, '2000-01-01', %s)"
    )
    with connect(postgres_url) as db:
        with pytest.raises(psycopg.errors.CheckViolation):
            db.execute(tenant, ("999990", "E01", -1))  # rent below min
        with pytest.raises(psycopg.errors.CheckViolation):
            db.execute(tenant, ("999991", "E99", 1000))  # estate not allowed
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            db.execute(
                "INSERT INTO members (tenant_id, member_no, relation, name)"
                " VALUES ('999992', 1, '子', 'x')"
            )
        with pytest.raises(psycopg.errors.NotNullViolation):
            db.execute(tenant.replace("'1980-01-01'", "NULL"), ("999993", "E01", 1000))
        with pytest.raises(psycopg.errors.StringDataRightTruncation):
            db.execute(
                "UPDATE tenants SET room = repeat('9', 11) WHERE tenant_id = "
                "(SELECT min(tenant_id) FROM tenants)"
            )


VENDOR_SCHEMA = """
CREATE TABLE tenants (
    tenant_id text PRIMARY KEY, name varchar(60) NOT NULL, name_kana varchar(80),
    birth_date date, phone varchar(13), estate text NOT NULL, room varchar(10),
    move_in_date timestamp NOT NULL, rent integer NOT NULL, household_size integer,
    office_code text NOT NULL
);
CREATE TABLE members (
    tenant_id text NOT NULL, member_no bigint NOT NULL, relation text NOT NULL,
    name varchar(60) NOT NULL, birth_date date
);
"""


def test_a_vendor_schema_that_differs_is_refused_naming_every_difference(
    housing_plan: Path, postgres_url: str
) -> None:
    with connect(postgres_url) as db:
        db.execute(VENDOR_SCHEMA)
    result = ikou("rehearse", str(_target(housing_plan, postgres_url)))
    assert result.returncode == 2, result.stdout + result.stderr
    said = " ".join(result.stderr.split())
    for difference in (
        "column tenants.birth_date allows NULL; the contract requires a value.",
        "column tenants.phone holds at most 13 characters; the contract sets no limit.",
        "column tenants.move_in_date is TIMESTAMP",
        "table tenants has no column note.",
        "column tenants.office_code is NOT NULL without a default",
        "table members has primary key (none); the contract's is (tenant_id, member_no).",
        "column members.tenant_id has no foreign key to tenants.tenant_id",
        "table applicants is missing.",
    ):
        assert difference in said, difference
    assert "rent" not in said  # integer holds 0 … 300000: not a difference
    assert "differ from the contract in 8 way(s)" in said
    assert _count(postgres_url, "tenants") == 0 and _count(postgres_url, "members") == 0
    with connect(postgres_url) as db:
        assert db.execute("SELECT to_regclass('applicants')").fetchone() == (None,)
    [report] = sorted((housing_plan.parent / "ikou-work" / "runs").glob("*/report.json"))
    assert json.loads(report.read_text(encoding="utf-8"))["status"] == "failed"


def test_a_table_that_holds_rows_is_refused(housing_plan: Path, postgres_url: str) -> None:
    first = ikou("rehearse", str(_target(housing_plan, postgres_url)))
    assert first.returncode == 0, first.stdout + first.stderr
    again = ikou("rehearse", str(housing_plan))
    assert again.returncode == 2, again.stdout + again.stderr
    assert "already holds 116 row(s)" in again.stderr and "if_exists: append" in again.stderr
    assert _count(postgres_url, "tenants") == 116


def _stages(plan_path: Path) -> Any:
    plan = load_plan(plan_path)
    raws, _ = run_extract(plan)
    mapped, _ = run_map(plan, raws)
    validated, _ = run_validate(plan, mapped, raws)
    return plan, validated


EARLIER = [  # another batch already in the target: keys this run does not have
    "INSERT INTO tenants (tenant_id, name, birth_date, estate, move_in_date, rent) VALUES"
    " ('900001', 'x', '1980-01-01', 'E01', '2000-01-01', 123456),"
    " ('900002', 'y', '1981-01-01', 'E02', '2001-01-01', 654321 / 3)",
    "INSERT INTO members (tenant_id, member_no, relation, name) VALUES ('900001', 1, '子', 'z')",
    "INSERT INTO applicants (application_no, family_name, estate, received) VALUES"
    " ('W90001', 'w', 'E03', '2025-01-01')",
]


def test_append_reconciles_exactly_this_run_s_rows(housing_plan: Path, postgres_url: str) -> None:
    plan_path = _target(housing_plan, postgres_url, append=True)
    plan, validated = _stages(plan_path)
    engine = open_target(postgres_url)
    try:
        target_metadata(plan.contract, list(validated.tables)).create_all(engine)
        with transaction(engine) as connection:  # the reference: this run alone
            run_load(validated.tables, plan.contract, connection)
            alone, _ = run_reconcile(plan, validated, connection)
            expected = {n: (r.loaded, r.controls) for n, r in alone.items()}
            connection.rollback()
        with connect(postgres_url) as db:
            for statement in EARLIER:
                db.execute(statement)
        with pytest.raises(TargetNotEmptyError), transaction(engine) as connection:
            run_load(validated.tables, plan.contract, connection)
        with transaction(engine) as connection:
            run_load(validated.tables, plan.contract, connection, if_exists="append")
            results, _ = run_reconcile(plan, validated, connection)
        assert all(r.balanced for r in results.values())
        assert {n: (r.loaded, r.controls) for n, r in results.items()} == expected
        assert _count(postgres_url, "tenants") == expected["tenants"][0] + 2
        assert _count(postgres_url, "members") == expected["members"][0] + 1
        with pytest.raises(TargetKeyExistsError, match=r"'tenants' \(116\)"):
            with transaction(engine) as connection:  # the same keys again: refused
                run_load(validated.tables, plan.contract, connection, if_exists="append")
    finally:
        engine.dispose()
    assert _count(postgres_url, "tenants") == expected["tenants"][0] + 2


def test_append_through_the_cli(housing_plan: Path, postgres_url: str) -> None:
    first = ikou("rehearse", str(_target(housing_plan, postgres_url)))
    assert first.returncode == 0, first.stdout + first.stderr
    with connect(postgres_url) as db:
        db.execute("DELETE FROM members; DELETE FROM applicants; DELETE FROM tenants")
        for statement in EARLIER:
            db.execute(statement)
    appended = ikou("rehearse", str(_target(housing_plan, postgres_url, append=True)))
    assert appended.returncode == 0, appended.stdout + appended.stderr
    assert _funnel(_report(appended)) == _funnel(_report(first))
    assert _count(postgres_url, "tenants") == 116 + 2
    again = ikou("rehearse", str(housing_plan))
    assert again.returncode == 2 and "target.key_exists" in json.dumps(_report_of(housing_plan))


def _report_of(plan: Path) -> dict[str, Any]:
    last = sorted((plan.parent / "ikou-work" / "runs").glob("*/report.json"))[-1]
    return json.loads(last.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


KINDS = Contract.model_validate(
    {
        "contract": "kinds",
        "tables": {
            "things": {
                "primary_key": ["id"],
                "columns": {
                    "id": {"type": "string"},
                    "n": {"type": "integer"},
                    "amount": {"type": "decimal", "precision": 12, "scale": 2},
                    "free": {"type": "decimal"},
                    "day": {"type": "date"},
                    "flag": {"type": "boolean"},
                    "text": {"type": "string", "max_length": 20},
                },
            }
        },
    }
)
ROWS = pd.DataFrame(
    {
        "id": ["Ａ01", "a02", "b03", "ｶﾅ04", "𠮷05", "z06"],
        "n": [0, -5, 2**62, None, 7, 1],
        "amount": [
            Decimal("12.50"),
            Decimal("0.1"),
            Decimal("-3"),
            None,
            Decimal("99.99"),
            Decimal(0),
        ],
        "free": [
            Decimal("0.000001"),
            Decimal("123456789012345678901234567890.5"),
            None,
            Decimal("1E+3"),
            Decimal("-0"),
            Decimal("7"),
        ],
        "day": [
            dt.date(1989, 1, 8),
            dt.date(2019, 5, 1),
            None,
            dt.date(1, 1, 1),
            dt.date(9999, 12, 31),
            dt.date(2024, 2, 29),
        ],
        "flag": [True, False, None, True, False, True],
        "text": [
            "全角　スペース",
            "",
            None,
            'quote "x", comma',
            "line\nbreak\r\ntab\t",
            "\\N NULL",
        ],
    },
    dtype=object,
)


def _url(database: str, sqlite: Path, request: pytest.FixtureRequest) -> str:
    """A target of each kind: a SQLite file, or a fresh PostgreSQL database."""
    if database == "sqlite":
        return f"sqlite:///{sqlite}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_every_kind_reads_back_to_the_digest_it_was_loaded_with(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _url(database, tmp_path / "kinds.sqlite", request)
    frame = ROWS.copy()
    frame["n"] = pd.array([None if v is None else int(v) for v in ROWS["n"]], dtype=object)
    empty = pd.DataFrame({"row": [], "column": [], "slug": []})
    table = ValidatedTable(
        "things", "s", frame, empty, pd.Series(dtype=object), len(frame), empty, empty
    )
    kinds = KINDS.tables["things"].kinds()
    engine = open_target(url)
    try:
        with transaction(engine) as connection:
            run_load({"things": table}, KINDS, connection)
        rows = read_back_arrow(engine, KINDS.tables["things"], "things")
    finally:
        engine.dispose()
    assert encode_arrow(rows, kinds).digest() == table_digest(frame.sort_values("id"), kinds)


def test_a_missing_driver_is_exit_2_with_the_install_line(
    housing_plan: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "no-psycopg"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        'import sys\nsys.modules["psycopg"] = None  # import psycopg: ImportError\n',
        encoding="utf-8",
    )
    plan = _target(housing_plan, "postgresql://someone@127.0.0.1:9/nowhere")
    result = ikou("rehearse", str(plan), env={"PYTHONPATH": str(blocker)})
    assert result.returncode == 2, result.stdout + result.stderr
    said = " ".join(result.stderr.split())
    assert 'pip install "ikou[postgres]"' in said, said
    assert "PostgreSQL driver (psycopg) is not installed" in said
    assert _report_of(plan)["status"] == "failed"


def test_the_least_privileges_suffice(housing_plan: Path, postgres_url: str) -> None:
    """docs/targets.md: a role with CONNECT and USAGE, CREATE on the schema creates
    and loads; a role with only SELECT, INSERT on the vendor's tables loads into them."""
    from psycopg import sql

    database = postgres_url.rsplit("/", 1)[1]
    creator, writer = f"{database}_creator", f"{database}_writer"
    with connect(postgres_url) as db:
        for role in (creator, writer):
            db.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'pw'").format(sql.Identifier(role)))
            db.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                    sql.Identifier(database), sql.Identifier(role)
                )
            )
            db.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(role)))
        db.execute(sql.SQL("GRANT CREATE ON SCHEMA public TO {}").format(sql.Identifier(creator)))
    try:
        as_creator = with_database(postgres_url, database, creator, "pw")
        made = ikou("rehearse", str(_target(housing_plan, as_creator)))
        assert made.returncode == 0, made.stdout + made.stderr
        with connect(postgres_url) as db:  # the vendor's tables, emptied, for the writer
            db.execute("DELETE FROM members; DELETE FROM applicants; DELETE FROM tenants")
            db.execute(
                sql.SQL("GRANT SELECT, INSERT ON tenants, members, applicants TO {}").format(
                    sql.Identifier(writer)
                )
            )
        as_writer = with_database(postgres_url, database, writer, "pw")
        loaded = ikou("rehearse", str(_target(housing_plan, as_writer)))
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        assert _count(postgres_url, "tenants") == 116
    finally:
        with connect(postgres_url) as db:
            for role in (creator, writer):
                db.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
                db.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_ikou_s_own_tables_pass_its_schema_check(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = _url(database, tmp_path / "own.sqlite", request)
    contract = load_plan(Path(request.getfixturevalue("housing_plan"))).contract
    metadata = target_metadata(contract, list(contract.tables))
    engine = open_target(url)
    try:
        with transaction(engine) as connection:
            metadata.create_all(connection)
        with engine.connect() as connection:
            assert schema_differences(connection, metadata, contract) == []
    finally:
        engine.dispose()


def test_a_sqlite_schema_that_differs_is_refused_too(housing_plan: Path, tmp_path: Path) -> None:
    db = tmp_path / "vendor.sqlite"
    with sqlite3.connect(db) as con:
        con.executescript(VENDOR_SCHEMA)
    plan, validated = _stages(_target(housing_plan, None))
    engine = open_target(f"sqlite:///{db}")
    try:
        with pytest.raises(TargetSchemaError) as raised, transaction(engine) as connection:
            run_load(validated.tables, plan.contract, connection)
    finally:
        engine.dispose()
    assert "table applicants is missing." in raised.value.differences
    assert "column tenants.birth_date allows NULL; the contract requires a value." in (
        raised.value.differences
    )
    assert not any("rent" in d for d in raised.value.differences)  # SQLite integers: 64-bit
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM tenants").fetchone() == (0,)


def test_ikou_demo_rehearses_into_postgres(tmp_path: Path, postgres_url: str) -> None:
    """``ikou demo --target URL``: the demo's plan says the database, and the
    rehearsal reconciles there, the rows left for the office to look at."""
    folder = tmp_path / "demo"
    done = run_ikou("demo", "--rows", "60", "--dir", str(folder), "--target", postgres_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rehearsal_url:" in (folder / "plan.yaml").read_text(encoding="utf-8")
    report = json.loads(
        sorted((folder / "ikou-work" / "runs").glob("*/report.json"))[-1].read_text("utf-8")
    )
    assert report["status"] == "reconciled"
    for table in ("tenants", "members"):
        assert _count(postgres_url, table) == report["tables"][table]["loaded"] > 0
