"""The production gate cannot be bent, and every run ends in a known state.

Each test performs an attack (a forged rehearsal, a broken chain, a log from
another installation, a target made to overflow) or a fault (SIGKILL at every
point of a production run, before and after its commit) and asserts the safe
outcome.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from ikou.audit.chain import SEAL
from ikou.pipeline.plan import load_plan
from tests.conftest import chain_events, keep_target, run_ikou
from tests.pipeline.conftest import ikou, target_of


def _migrate(plan: Path, **env: str) -> tuple[int, str]:
    done = ikou("migrate", str(plan), "--signoff", str(plan.parent / "signoff.yaml"), env=env)
    return done.returncode, done.stdout + done.stderr


def _forge(log: Path, entry: dict[str, object]) -> None:
    """Append what an insider without the key store can write: every link and
    hash right, the tag made up."""
    last = json.loads(log.read_bytes().splitlines()[-1])
    body = {**entry, "seq": last["seq"] + 1, "prev": last["hash"], "kid": last["kid"]}
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    digest = hashlib.sha256(data).hexdigest()
    with log.open("ab") as handle:
        handle.write(data[:-1] + f',"hash":"{digest}","tag":"{"0" * 64}"}}\n'.encode())


def test_a_forged_rehearsal_does_not_open_the_production_gate(production_plan: Path) -> None:
    plan = load_plan(production_plan)
    # a genuine but failed rehearsal gives the log a head; then the forgery
    data = production_plan.parent / "data" / "ledger.xls"
    data.rename(data.with_suffix(".bak"))
    assert run_ikou("rehearse", str(production_plan)).returncode == 2
    data.with_suffix(".bak").rename(data)
    log = plan.workspace / "audit.log"
    for stage, outcome in (("run", "started"), (SEAL, "reconciled")):
        _forge(
            log,
            {
                "time": "2026-01-01T00:00:00Z", "run_id": "20260101T000000Z-f0f0f0",
                "mode": "rehearsal", "stage": stage, "actor": "x", "outcome": outcome,
                "plan_sha256": plan.sha256, "ikou_version": "0.1.0", "run_events": 2,
            },
        )  # fmt: skip
    code, said = _migrate(production_plan)
    assert code == 1 and "authentication tag does not match" in said and "Traceback" not in said
    assert not target_of(production_plan).exists()


def test_a_broken_chain_stops_every_gate(production_plan: Path) -> None:
    assert run_ikou("rehearse", str(production_plan)).returncode == 0
    log = production_plan.parent / "ikou-work" / "audit.log"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b'"mode":"rehearsal"', b'"mode":"rehearsaX"')
    log.write_bytes(b"".join(lines))
    code, said = _migrate(production_plan)
    assert code == 1 and "line 4: edited" in said
    for command in (["reconcile"], ["shred", "--certificate"], ["rehearse"]):
        done = run_ikou(command[0], str(production_plan), *command[1:])
        assert done.returncode == 1 and "line 4: edited" in done.stderr, done.stderr
    assert not target_of(production_plan).exists()


def test_a_log_from_another_installation_is_refused(production_plan: Path, tmp_path: Path) -> None:
    """Genuine ikou, another key store, the same plan files on other data: its
    rehearsal must not open this installation's production gate."""
    other_keys = tmp_path / "other-keys"
    done = ikou("rehearse", str(production_plan), env={"IKOU_KEY_DIR": str(other_keys)})
    assert done.returncode == 0, done.stderr
    code, said = _migrate(production_plan)  # this installation: its key store has no key yet
    assert code == 1 and "audit key is not in the key store" in said
    mine = production_plan.parent / "mine.yaml"  # this installation now has a key of its own
    mine.write_text(
        production_plan.read_text("utf-8").replace("workspace: ikou-work", "workspace: w2"),
        "utf-8",
    )
    assert run_ikou("rehearse", str(mine)).returncode == 0
    code, said = _migrate(production_plan)
    assert code == 1 and "another installation" in said
    assert not target_of(production_plan).exists()


def test_a_journal_from_another_installation_is_refused(
    production_plan: Path, tmp_path: Path
) -> None:
    assert run_ikou("rehearse", str(production_plan)).returncode == 0
    other = tmp_path / "other"
    shutil.copytree(production_plan.parent, other, ignore=shutil.ignore_patterns("ikou-work"))
    done = ikou("rehearse", str(other / "plan.yaml"), env={"IKOU_KEY_DIR": str(tmp_path / "k")})
    assert done.returncode == 0
    journal = production_plan.parent / "ikou-work" / "custody.journal"
    shutil.copy(other / "ikou-work" / "custody.journal", journal)
    code, said = _migrate(production_plan)
    assert code == 1 and "custody.journal does not verify" in said


# ---------------------------------------------------------------- a known end


def _production_runs(plan: Path) -> list[dict[str, object]]:
    events = chain_events(plan.parent / "ikou-work" / "audit.log")
    return [e for e in events if e["stage"] == SEAL and e["mode"] == "production"]


def _no_plaintext_left(plan: Path) -> None:
    runs = [p.name for p in (plan.parent / "ikou-work" / "runs").iterdir()]
    assert not [p for p in Path("/dev/shm").glob("ikou-*") if p.name[5:] in runs]
    assert not list((plan.parent / "ikou-work").glob("scratch/*"))


@pytest.mark.parametrize(
    ("point", "committed"),
    [
        ("extract", False),
        ("load", False),
        ("manifest", False),
        ("committed", True),
        ("result", True),
        ("report", True),
        ("sealed", True),
    ],
)
def test_a_production_run_killed_anywhere_ends_sealed_or_rolled_back(
    production_plan: Path, point: str, committed: bool
) -> None:
    assert run_ikou("rehearse", str(production_plan)).returncode == 0
    code, said = _migrate(production_plan, IKOU_FAULT=point)
    assert code == -9, said
    code, said = _migrate(production_plan)  # the next command
    assert "recovered interrupted run" in said or point == "sealed", said
    seals = _production_runs(production_plan)
    if committed:  # finished from its manifest: sealed once, and never migrated again
        assert code == 1 and "was migrated and sealed" in said, said
        assert [s["outcome"] for s in seals] == ["reconciled", "refused"]
        first = seals[0]["run_id"]
        report = production_plan.parent / "ikou-work" / "runs" / str(first) / "report.json"
        assert json.loads(report.read_text("utf-8"))["status"] == "reconciled"
    else:  # nothing committed: the next migrate runs, and seals
        assert code == 0, said
        assert [s["outcome"] for s in seals] == ["interrupted", "reconciled"]
    with sqlite3.connect(target_of(production_plan)) as db:
        assert db.execute("select count(*) from tenants").fetchone()[0] > 0
    _no_plaintext_left(production_plan)


def test_a_committed_load_that_no_longer_matches_its_manifest_is_rolled_back(
    production_plan: Path,
) -> None:
    assert run_ikou("rehearse", str(production_plan)).returncode == 0
    assert _migrate(production_plan, IKOU_FAULT="committed")[0] == -9
    with sqlite3.connect(target_of(production_plan)) as db:
        db.execute("update tenants set rent = rent + 1 where rowid = 1")
    code, said = _migrate(production_plan)
    assert "its committed load rolled back" in said
    assert code == 0, said  # rolled back: the same plan migrated again, cleanly
    assert [s["outcome"] for s in _production_runs(production_plan)] == [
        "rolled_back",
        "reconciled",
    ]


def test_a_rehearsal_killed_before_its_report_is_no_evidence(production_plan: Path) -> None:
    assert ikou("rehearse", str(production_plan), env={"IKOU_FAULT": "result"}).returncode == -9
    code, said = _migrate(production_plan)
    assert code == 1 and "no reconciled rehearsal" in said
    events = chain_events(production_plan.parent / "ikou-work" / "audit.log")
    killed = next(e for e in events if e["stage"] == SEAL and e["mode"] == "rehearsal")
    assert killed["outcome"] == "interrupted"


def test_an_overflowing_control_total_is_a_finding_and_nothing_is_committed(
    housing_plan: Path,
) -> None:
    """Rents near 2⁶² sum past what SQLite's SUM holds: the run is unbalanced
    with reconcile.control_overflow, and the target keeps no row."""
    keep_target(housing_plan)  # the test looks into the target
    import xlwt

    from ikou.pipeline.examples.housing import HEADER

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("入居者台帳")
    for col, name in enumerate(HEADER):
        sheet.write(3, col, name)
    for i in range(3):
        row = [
            f"{100 + i:06d}",
            "試験 太郎",
            "シケン タロウ",
            "S50.1.1",
            "090-1234-5678",
            "青葉台団地",
            f"A-{i}",
            "H10.4.1",
            str(4_611_686_018_427_387_904 + i),
            1.0,
            "",
        ]
        for col, value in enumerate(row):
            sheet.write(4 + i, col, value)  # fmt: skip
    book.save(str(housing_plan.parent / "data" / "ledger.xls"))
    contract = housing_plan.parent / "contract.yaml"
    contract.write_text(contract.read_text("utf-8").replace("max: 300000", ""), "utf-8")
    done = run_ikou("rehearse", str(housing_plan), "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["tables"]["tenants"]["findings"].get("reconcile.control_overflow") == 1
    target = next((housing_plan.parent / "ikou-work" / "runs").glob("*/target.sqlite"))
    with sqlite3.connect(target) as db:
        assert db.execute("select count(*) from sqlite_master").fetchone()[0] == 0


def test_shred_destroys_a_rehearsal_target_outside_the_workspace_and_reports_a_missing_key(
    housing_plan: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "vendor-test-db" / "rehearsal.sqlite"
    elsewhere.parent.mkdir()
    text = housing_plan.read_text("utf-8").replace(
        "target:\n", f"target:\n  rehearsal_url: sqlite:///{elsewhere.as_posix()}\n"
    )
    housing_plan.write_text(text, "utf-8")
    assert run_ikou("rehearse", str(housing_plan)).returncode == 0
    assert elsewhere.exists()
    key_id = (housing_plan.parent / "ikou-work" / "fingerprints" / "KEY_ID").read_text().strip()
    moved = tmp_path / "key-elsewhere"
    shutil.move(Path(os.environ["IKOU_KEY_DIR"]) / f"{key_id}.key", moved)
    done = run_ikou("shred", str(housing_plan), "--certificate")
    assert done.returncode == 1, done.stderr
    assert not elsewhere.exists()  # the rehearsal target, wherever the plan put it
    certificate = next(
        p for p in (housing_plan.parent / "ikou-work" / "runs").glob("*/report.json")
        if json.loads(p.read_text("utf-8"))["mode"] == "shred"
    )  # fmt: skip
    items = json.loads(certificate.read_text("utf-8"))["items"]
    key = next(i for i in items if i["kind"] == "key")
    assert not key["verified"] and "not in the key store" in key["problem"]
    target = next(i for i in items if i["kind"] == "rehearsal_target")
    assert target["verified"] and target["file"] == str(elsewhere)
