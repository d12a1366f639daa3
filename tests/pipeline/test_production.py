"""The production run: preflight, sign-on, run once, seal; reconcile later; shred."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from ikou.pipeline.examples.housing import make_ledger, write_xls
from ikou.pipeline.production import migrate, reconcile_later, shred_workspace
from ikou.pipeline.run import rehearse
from tests.conftest import chain_events, keep_target, run_ikou
from tests.pipeline.conftest import ikou, target_of


def test_rehearse_migrate_once_reconcile_and_find_an_edit(production_plan: Path) -> None:
    assert rehearse(production_plan).report.status == "reconciled"
    signoff = str(production_plan.parent / "signoff.yaml")
    done = ikou("migrate", str(production_plan), "--signoff", signoff)
    assert done.returncode == 0, done.stdout + done.stderr
    live = make_ledger(150, 11)
    with sqlite3.connect(target_of(production_plan)) as connection:
        count = connection.execute("SELECT count(*) FROM tenants").fetchone()[0]
        members = connection.execute("SELECT count(*) FROM members").fetchone()[0]
    assert count == 150 - live.planted_rejects
    run_dir = next(
        p
        for p in (production_plan.parent / "ikou-work" / "runs").iterdir()
        if json.loads((p / "report.json").read_text("utf-8"))["mode"] == "production"
    )
    report = json.loads((run_dir / "report.json").read_text("utf-8"))
    assert report["status"] == "reconciled" and report["seal"]["rows"] == count + members
    (applicants,) = report["import_files"]  # the waiting list goes to the vendor's file, kept
    assert applicants["kept"] == "production" and (run_dir / "import/applicants.csv").is_file()
    assert applicants["rows"] == report["tables"]["applicants"]["loaded"] > 0
    assert {p["role"]: (p["name"], p["method"]) for p in report["signon"]} == {
        "witness": ("立会 花子", "file"),
        "係長": ("代理 三郎", "file"),
        "課長": ("承認 四郎", "file"),
    }
    assert all(c["status"] != "fail" for c in report["preflight"])
    html = (run_dir / "report.html").read_text("utf-8")
    assert "移行完了確認書" in html and report["chain_head_short"] in html and "代理 三郎" in html
    assert "事前確認の開始時と同じ SHA-256 です" in html  # reasons in the report's language …
    assert "same SHA-256 as when the preflight began" not in html
    same = next(c for c in report["preflight"] if c["item"] == "sources unchanged")
    assert same["code"] == "sources_same" and same["reason"].startswith("same SHA-256")  # … JSON

    again = ikou("migrate", str(production_plan), "--signoff", signoff)
    assert again.returncode == 1
    assert "was migrated and sealed" in again.stderr

    clean = ikou("reconcile", str(production_plan), "--with-sources")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    with sqlite3.connect(target_of(production_plan)) as connection:
        key = connection.execute("SELECT tenant_id FROM tenants ORDER BY tenant_id").fetchone()[0]
        connection.execute("UPDATE tenants SET rent = rent + 1000 WHERE tenant_id = ?", (key,))
    changed = ikou("reconcile", str(production_plan), "--lang", "en")
    assert changed.returncode == 1
    later = sorted((production_plan.parent / "ikou-work" / "runs").iterdir())[-1]
    found = json.loads((later / "report.json").read_text("utf-8"))
    assert found["status"] == "changed"
    assert [(d["change"], d["columns"]) for d in found["differences"]] == [("changed", ["rent"])]
    assert found["differences"][0]["at"][0] == "data/live/ledger.xls"
    assert key not in json.dumps(found)  # the key is named by its keyed digest, not its value
    chain_events(production_plan.parent / "ikou-work" / "audit.log")  # verifies


def _refused(plan: Path, **kwargs: object) -> list[str]:
    result = migrate(plan, signoff_file=plan.parent / "signoff.yaml", **kwargs)  # type: ignore[arg-type]
    assert result.status == "refused"
    events = chain_events(plan.parent / "ikou-work" / "audit.log")
    production = {e["run_id"] for e in events if e["mode"] == "production"}
    stages = [e["stage"] for e in events if e["run_id"] in production]
    assert "extract" not in stages and stages[-2:] == ["report", "seal"]  # a record kept
    assert result.report_html is not None and result.report_html.exists()
    return [f"{c.item}: {c.reason}" for c in result.checks if c.status == "fail"]


def test_no_rehearsal_is_refused(production_plan: Path) -> None:
    assert _refused(production_plan) == [
        "rehearsal: no reconciled rehearsal of this exact plan, mapping and contract"
    ]
    assert not target_of(production_plan).exists()  # the preflight created no target file


def test_reconcile_names_a_dropped_table_as_removed_rows(production_plan: Path) -> None:
    rehearse(production_plan)
    migrate(production_plan, signoff_file=production_plan.parent / "signoff.yaml")
    with sqlite3.connect(target_of(production_plan)) as connection:
        members = connection.execute("select count(*) from members").fetchone()[0]
        connection.execute("drop table members")
    done = ikou("reconcile", str(production_plan))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"removed {members}" in done.stdout


def test_a_relative_sqlite_url_starts_at_the_plans_folder(
    housing_plan: Path, tmp_path: Path
) -> None:
    text = housing_plan.read_text("utf-8")
    housing_plan.write_text(
        text.replace("target:\n", "target:\n  rehearsal_url: sqlite:///targets/rehearsal.sqlite\n"),
        "utf-8",
    )
    (housing_plan.parent / "targets").mkdir()
    elsewhere = tmp_path / "somewhere-else"
    (elsewhere / "targets").mkdir(parents=True)
    done = run_ikou("rehearse", str(housing_plan), cwd=elsewhere)
    assert done.returncode == 0, done.stderr
    assert (housing_plan.parent / "targets" / "rehearsal.sqlite").exists()
    assert list((elsewhere / "targets").iterdir()) == []


def test_a_stale_rehearsal_is_refused(production_plan: Path) -> None:
    rehearse(production_plan)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    (fail,) = _refused(production_plan, now=later)
    assert fail.startswith("rehearsal:") and "31 days old (limit 30)" in fail


def test_a_changed_mapping_needs_a_new_rehearsal(production_plan: Path) -> None:
    rehearse(production_plan)
    mapping = production_plan.parent / "mapping.yaml"
    mapping.write_text(mapping.read_text("utf-8") + "# changed after the rehearsal\n", "utf-8")
    assert _refused(production_plan)[0].startswith("rehearsal: no reconciled rehearsal")


def test_an_expired_certificate_is_refused_and_a_close_one_warned(production_plan: Path) -> None:
    text = production_plan.read_text("utf-8").replace(
        "expires: 2099-03-31}", "expires: 2020-03-31}", 1
    )
    production_plan.write_text(
        text.replace(
            "expires: 2099-03-31}", f"expires: {dt.date.today() + dt.timedelta(days=30)}}}"
        ),
        "utf-8",
    )
    rehearse(production_plan)
    result = migrate(production_plan, signoff_file=production_plan.parent / "signoff.yaml")
    states = {c.item: c.status for c in result.checks}
    assert states["certification ISMS"] == "fail" and states["certification Pマーク"] == "warn"
    assert result.status == "refused"


@pytest.mark.parametrize(
    ("signoff", "failure"),
    [
        ("witness: 立会 花子\napprovals:\n  係長: 承認 一郎\n", "sign-on 課長: nobody signed on"),
        (
            "witness: 立会 花子\napprovals:\n  係長: 係長 代理\n  課長: 承認 四郎\n",
            "sign-on 係長: 係長 代理 may not sign as 係長 under this plan",
        ),
        (
            "witness: 作業 太郎\napprovals:\n  係長: 承認 一郎\n  課長: 承認 四郎\n",
            "sign-on witness: 作業 太郎 may not sign as witness under this plan",
        ),
    ],
)
def test_missing_or_ineligible_people_are_refused(
    production_plan: Path, signoff: str, failure: str
) -> None:
    rehearse(production_plan)
    (production_plan.parent / "signoff.yaml").write_text(signoff, "utf-8")
    assert _refused(production_plan) == [failure]


def test_a_non_empty_target_is_refused(production_plan: Path) -> None:
    rehearse(production_plan)
    with sqlite3.connect(target_of(production_plan)) as connection:
        connection.execute("CREATE TABLE tenants (tenant_id TEXT)")
        connection.execute("INSERT INTO tenants VALUES ('x')")
    assert _refused(production_plan) == ["target: table 'tenants' holds 1 row(s)"]


def test_a_source_changed_during_the_preflight_is_refused(production_plan: Path) -> None:
    rehearse(production_plan)
    live = production_plan.parent / "data" / "live" / "ledger.xls"

    def ask(role: str, code: str) -> tuple[str, str]:
        if role == "witness":  # someone saves the live file while people sign on
            live.write_bytes(live.read_bytes() + b"\0")
        names = {"witness": "立会 花子", "係長": "承認 一郎", "課長": "承認 四郎"}
        return names[role], code

    result = migrate(production_plan, ask=ask)
    fails = [f"{c.item}: {c.reason}" for c in result.checks if c.status == "fail"]
    assert fails == ["sources unchanged: a source file changed during the preflight"]
    assert {c.method for c in result.confirmations} == {"terminal"}


def test_a_wrong_code_at_the_terminal_is_not_a_sign_on(production_plan: Path) -> None:
    rehearse(production_plan)
    result = migrate(production_plan, ask=lambda role, code: ("立会 花子", "0000"))
    assert "sign-on witness: did not confirm with the code shown" in [
        f"{c.item}: {c.reason}" for c in result.checks
    ]


def test_shred_certificate_destroys_every_copy_and_is_chained(production_plan: Path) -> None:
    keep_target(production_plan)  # a kept rehearsal target is ikou shred's to destroy
    rehearse(production_plan)
    migrate(production_plan, signoff_file=production_plan.parent / "signoff.yaml")
    workspace = production_plan.parent / "ikou-work"
    result = shred_workspace(production_plan, witness="立会 花子")
    kinds = sorted({item["what"] for item in result.items})
    assert kinds == [
        "fingerprint and manifest key (cryptographic erase)",
        "record fingerprints (keyed digests)",
        "rehearsal target database",
        "sealed manifest (keyed digests)",
        "vendor import file",  # the production run's, and the kept rehearsal's
    ]
    assert all(item["verified"] for item in result.items)
    assert not list(workspace.glob("runs/*/target.sqlite"))
    assert not list(workspace.glob("runs/*/import/*"))
    assert not list((workspace / "fingerprints").glob("*.npz"))
    html = result.certificate.read_text("utf-8")
    assert "データ消去証明書" in html and "立会 花子" in html
    events = chain_events(workspace / "audit.log")
    assert [e["stage"] for e in events][-2:] == ["report", "seal"]
    assert events[-1]["outcome"] == "shredded"
    assert target_of(production_plan).exists()  # the new system's database is not ikou's to destroy
    shutil.rmtree(workspace)


@pytest.mark.skipif(sys.platform == "win32", reason="pexpect drives a POSIX terminal")
def test_interactive_sign_on_at_a_terminal(production_plan: Path) -> None:
    import re

    import pexpect

    rehearse(production_plan)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "ikou", "migrate", str(production_plan)],
        env={**os.environ, "COLUMNS": "200"},
        encoding="utf-8",
        timeout=120,
    )
    people = {"witness": "立会 次郎", "係長": "承認 一郎", "課長": "承認 四郎"}
    for role in ("witness", "係長", "課長"):
        ansi = r"(?:\x1b\[[0-9;]*m)*"
        child.expect(re.escape(role) + ansi + ": code " + ansi + r"(\w{4})")
        code = child.match.group(1)
        child.expect("name")
        child.sendline(people[role])
        child.expect("code shown above")
        child.sendline(code)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    runs = (production_plan.parent / "ikou-work" / "runs").iterdir()
    reports = [json.loads((r / "report.json").read_text("utf-8")) for r in runs]
    production = next(r for r in reports if r["mode"] == "production")
    assert {p["role"]: (p["name"], p["method"]) for p in production["signon"]} == {
        role: (name, "terminal") for role, name in people.items()
    }


def test_reconcile_with_sources_sees_a_source_edited_after_the_migration(
    production_plan: Path,
) -> None:
    rehearse(production_plan)
    assert migrate(
        production_plan, signoff_file=production_plan.parent / "signoff.yaml"
    ).status == ("reconciled")
    ledger = make_ledger(150, 11)
    row = next(r for r in ledger.rows if r[0] is not None and r[8] is not None)
    row[9] = 9.0  # someone corrects a household size in the old file afterwards
    write_xls(ledger, production_plan.parent / "data" / "live" / "ledger.xls")
    assert reconcile_later(production_plan).differences == []  # the target is as migrated
    found = reconcile_later(production_plan, with_sources=True).differences
    assert [(d.change, d.columns) for d in found] == [("changed", ("household_size",))]
