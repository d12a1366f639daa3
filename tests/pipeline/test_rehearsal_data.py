"""A rehearsal runs on test data only, says what its test data is, and leaves
no plaintext copy behind unless the plan keeps it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ikou.audit.hashing import file_sha256
from ikou.pipeline.examples import bundled_profile, write_demo
from ikou.pipeline.examples.applicants import make_applicants, write_applicants
from ikou.pipeline.twin import synthesize
from ikou.pipeline.twin.marker import MARKER, made_by
from tests.conftest import chain_events, keep_target
from tests.pipeline.conftest import SIGNOFF, ikou


def _last_run(plan: Path) -> Path:
    return sorted((plan.parent / "ikou-work" / "runs").iterdir())[-1]


def test_a_rehearsal_refuses_the_production_file_by_path(production_plan: Path) -> None:
    text = production_plan.read_text(encoding="utf-8")
    production_plan.write_text(
        text.replace("    rehearsal: data/ledger*.xls\n", "    rehearsal: data/live/ledger.xls\n"),
        encoding="utf-8",
    )
    done = ikou("rehearse", str(production_plan))
    assert done.returncode == 2, done.stderr
    assert "data/live/ledger.xls is the production source of 'ledger'" in done.stderr
    assert "Traceback" not in done.stderr
    events = chain_events(production_plan.parent / "ikou-work" / "audit.log")
    assert not [e for e in events if e.get("stage") == "extract"]  # nothing was read
    report = json.loads((_last_run(production_plan) / "report.json").read_text("utf-8"))
    assert report["status"] == "failed" and report["error"]["slug"] == "source.production_data"


def test_a_rehearsal_refuses_a_copy_of_the_production_file(production_plan: Path) -> None:
    folder = production_plan.parent
    shutil.copyfile(folder / "data" / "live" / "ledger.xls", folder / "data" / "ledger.xls")
    before = {p for p in folder.rglob("*") if p.is_file()}
    done = ikou("rehearse", str(production_plan))
    assert done.returncode == 2, done.stderr
    assert "data/ledger.xls has the same bytes as data/live/ledger.xls" in done.stderr
    written = {p for p in folder.rglob("*") if p.is_file()} - before
    assert all(p.suffix not in (".xls", ".sqlite") for p in written), written  # never copied


def test_the_rehearsal_target_is_listed_and_shredded(housing_plan: Path) -> None:
    done = ikou("rehearse", str(housing_plan))
    assert done.returncode == 0, done.stderr
    run = _last_run(housing_plan)
    assert not list(run.glob("target.sqlite*")), "the plaintext target outlived its run"
    report = json.loads((run / "report.json").read_text("utf-8"))
    target = report["rehearsal_target"]
    assert target["shredded"] is True and target["kept"] is None
    assert len(target["sha256"]) == 64 and target["size"] > 0
    html = (run / "report.html").read_text("utf-8")
    assert "リハーサルの移行先データベース（平文）" in html and target["sha256"] in html
    assert "この実行は中間ファイルを作成していません" not in html
    events = chain_events(housing_plan.parent / "ikou-work" / "audit.log")
    settled = [e for e in events if e.get("stage") == "rehearsal-target"]
    assert settled and settled[-1]["outcome"] == "shredded"
    assert settled[-1]["sha256"] == target["sha256"]


def test_a_plan_can_keep_the_rehearsal_target(housing_plan: Path) -> None:
    keep_target(housing_plan)
    assert ikou("rehearse", str(housing_plan)).returncode == 0
    run = _last_run(housing_plan)
    assert (run / "target.sqlite").is_file()
    report = json.loads((run / "report.json").read_text("utf-8"))
    assert report["rehearsal_target"]["kept"] == "keep_target"
    assert report["rehearsal_target"]["sha256"] == file_sha256(run / "target.sqlite")
    assert "keep_target: true" in (run / "report.html").read_text("utf-8")


def test_synthetic_twins_are_named_so_and_other_files_are_declared(tmp_path: Path) -> None:
    twin = synthesize(bundled_profile(), tmp_path / "twin", rows=20)
    assert (tmp_path / "twin" / MARKER).is_file()
    assert made_by(twin[0], file_sha256(twin[0])) == "ikou synth"
    assert made_by(twin[0], "0" * 64) is None  # changed since: no longer the twin

    plan = write_demo(tmp_path / "demo", rows=60, seed=3, twin=True)
    data = plan.parent / "data"
    write_applicants(make_applicants(seed=99), data / "applicants.ods")  # written by hand
    assert ikou("rehearse", str(plan)).returncode == 0
    report = json.loads((_last_run(plan) / "report.json").read_text("utf-8"))
    kinds = {name: facts["kind"] for name, facts in report["test_data"].items()}
    assert kinds["data/ledger.xls"] == "synthetic"
    assert report["test_data"]["data/ledger.xls"]["made_by"] == "ikou synth"
    assert report["test_data"]["data/members.docx"]["made_by"] == "ikou demo"
    assert kinds["data/applicants.ods"] == "declared"  # its bytes are no longer the demo's


def test_a_rehearsal_refuses_live_records_in_other_bytes(production_plan: Path) -> None:
    """After the production run, a re-typed copy of the live ledger (one tenant
    fewer: other bytes, the same records) is refused by the run's fingerprints."""
    from ikou.pipeline.examples.housing import make_ledger, write_xls

    folder = production_plan.parent
    assert ikou("rehearse", str(production_plan)).returncode == 0
    signoff = folder / "signoff.yaml"
    signoff.write_text(SIGNOFF, encoding="utf-8")
    assert ikou("migrate", str(production_plan), "--signoff", str(signoff)).returncode == 0
    write_xls(make_ledger(149, 11), folder / "data" / "ledger.xls")  # what the live file holds
    assert file_sha256(folder / "data" / "ledger.xls") != file_sha256(
        folder / "data" / "live" / "ledger.xls"
    )
    done = ikou("rehearse", str(production_plan))
    assert done.returncode == 2, done.stderr
    assert "records of source 'ledger' (data/ledger.xls) are records of a production run" in (
        done.stderr
    )
