"""Synthetic twins: a structure-only profile, and test data made from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ikou.pipeline.examples.housing import make_ledger, write_xls, write_xlsx
from ikou.pipeline.run import rehearse
from ikou.pipeline.twin import profile_files, synthesize

STRUCTURE = ("name", "hidden", "header_row", "above", "merged", "rows", "data_rows", "specials")
TOLERANCE = 0.1  # absolute, on shares over 300 rows


def _sheet(profile: dict) -> dict:
    return profile["files"][0]["sheets"][0]


@pytest.mark.parametrize("writer", [write_xls, write_xlsx], ids=["xls", "xlsx"])
def test_profile_of_the_twin_matches_the_original(tmp_path: Path, writer: object) -> None:
    original = tmp_path / ("ledger.xls" if writer is write_xls else "ledger.xlsx")
    writer(make_ledger(300, 2026), original)  # type: ignore[operator]
    first = profile_files([original], keep_values=("団地名",))
    twin = synthesize(first, tmp_path / "twin", seed=5)
    assert [p.name for p in twin] == [original.name]
    second = profile_files(twin, keep_values=("団地名",))
    a, b = _sheet(first), _sheet(second)
    for key in STRUCTURE:
        assert a[key] == b[key], key
    for left, right in zip(a["columns"], b["columns"], strict=True):
        assert (left["name"], left["semantic"]) == (right["name"], right["semantic"])
        for form in set(left["forms"]) | set(right["forms"]):
            gap = abs(left["forms"].get(form, 0) - right["forms"].get(form, 0))
            assert gap <= TOLERANCE, (left["name"], form, left["forms"], right["forms"])
        assert abs(left["null_share"] - right["null_share"]) <= TOLERANCE, left["name"]
        assert abs(left["fullwidth_share"] - right["fullwidth_share"]) <= TOLERANCE, left["name"]


def test_the_same_plan_rehearses_on_the_original_and_on_its_twin(housing_plan: Path) -> None:
    data = housing_plan.parent / "data"
    assert rehearse(housing_plan).report.status == "reconciled"
    profile = profile_files([data / "ledger.xls"], keep_values=("団地名",))
    text = housing_plan.read_text(encoding="utf-8")  # a fresh workspace for the twin
    housing_plan.write_text(text.replace("workspace: ikou-work", "workspace: twin-work"), "utf-8")
    (data / "ledger.xls").unlink()
    synthesize(profile, data, seed=11)
    result = rehearse(housing_plan)
    table = result.report.data["tables"]["tenants"]
    assert result.report.status == "reconciled"
    assert table["source_rows"] == _sheet(profile)["rows"]
    skipped = table["skipped_by_rule"]
    assert skipped["blank_row"] == sum(s["kind"] == "blank" for s in _sheet(profile)["specials"])
    assert skipped["subtotal_row"] + skipped["total_row"] == sum(
        s["kind"] == "total" for s in _sheet(profile)["specials"]
    )
    assert {t["status"] for t in table["totals"]} <= {"holds", "explained"}  # twin sums add up
    assert table["loaded"] > 0.9 * _sheet(profile)["data_rows"]


def test_rows_and_seed(tmp_path: Path) -> None:
    original = tmp_path / "ledger.xls"
    write_xls(make_ledger(100, 1), original)
    profile = profile_files([original])
    one = synthesize(profile, tmp_path / "a", rows=40, seed=9)[0].read_bytes()
    two = synthesize(profile, tmp_path / "b", rows=40, seed=9)[0].read_bytes()
    assert one == two  # deterministic for a seed
    assert _sheet(profile_files([tmp_path / "a" / "ledger.xls"]))["data_rows"] == 40


def test_a_profile_holds_no_value_and_the_cli_writes_it(tmp_path: Path) -> None:
    ledger = make_ledger(60, 3)
    original = tmp_path / "ledger.xls"
    write_xls(ledger, original)
    out = tmp_path / "profile.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "ikou", "profile", str(original), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert yaml.safe_load(text)["ikou_profile"] == 1
    values = {
        str(v)
        for row in ledger.rows
        for v in row
        if v is not None and len(str(v)) >= 4 and str(v) not in ("小計", "合計")
    }
    values |= {ledger.title}
    leaked = [v for v in values if v in text]
    assert leaked == []
    done = subprocess.run(
        [sys.executable, "-m", "ikou", "synth", str(out), "-o", str(tmp_path / "twin")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "twin" / "ledger.xls").exists()


def test_the_bundled_profile_is_made_by_code(tmp_path: Path) -> None:
    from ikou.pipeline.examples import bundled_profile

    write_xls(make_ledger(300, 2026), tmp_path / "ledger.xls")
    assert bundled_profile() == profile_files([tmp_path / "ledger.xls"], keep_values=("団地名",))
