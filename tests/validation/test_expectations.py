"""Dataset expectations (great-expectations, ephemeral) and foreign keys across tables."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from ikou.pipeline.examples.housing import make_ledger
from ikou.pipeline.run import rehearse
from tests.conftest import add_members_table, run_ikou


def _ikou(*args: str) -> subprocess.CompletedProcess[str]:
    return run_ikou(*args)


def test_a_failing_expectation_stops_the_run_at_its_gate(housing_plan: Path) -> None:
    contract = housing_plan.parent / "contract.yaml"
    text = contract.read_text(encoding="utf-8")
    text = text.replace(
        "    primary_key: tenant_id\n",
        "    primary_key: tenant_id\n    rows: {min: 1000}\n"
        "    expectations:\n"
        "      - expect_column_mean_to_be_between: {column: rent, min_value: 1, max_value: 10}\n",
    )
    contract.write_text(text, encoding="utf-8")
    done = _ikou("rehearse", str(housing_plan))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    run = next((housing_plan.parent / "ikou-work" / "runs").iterdir())
    report = json.loads((run / "report.json").read_text("utf-8"))
    assert report["status"] == "expectations_failed"
    assert report["findings"] == [
        "tenants.expect.expect_column_mean_to_be_between",
        "tenants.expect.expect_table_row_count_to_be_between",
    ]
    results = {e["expectation"]: e for e in report["expectations"]["tenants"]}
    assert (
        results["expect_column_values_to_be_unique"]["success"] is True
    )  # duplicates were rejected
    accepted = 120 - make_ledger(120, 7).planted_rejects
    assert results["expect_table_row_count_to_be_between"]["counts"] == {"rows": accepted}
    assert set(results["expect_column_values_to_be_in_set"]["counts"]) == {
        "element_count",
        "unexpected_count",
        "missing_count",
    }
    assert (
        not (run / "target.sqlite").exists()
        or not sqlite3.connect(run / "target.sqlite")
        .execute("SELECT name FROM sqlite_master")
        .fetchall()
    )
    assert "データセット全体の期待値" in (run / "report.html").read_text("utf-8")


def test_expectations_pass_on_the_example_and_are_reported(housing_plan: Path) -> None:
    result = rehearse(housing_plan)
    assert result.report.status == "reconciled"
    items = result.report.data["expectations"]["tenants"]
    assert {e["expectation"] for e in items} >= {
        "expect_column_values_to_be_unique",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_set",
    }
    assert all(
        e["success"] for e in items if e["expectation"] != "expect_column_values_to_be_unique"
    )


_GE_ALONE = textwrap.dedent(
    """
    import datetime as dt
    import pandas as pd
    from ikou.validation.contract import TableContract
    from ikou.validation.expectations import run_expectations

    contract = TableContract.model_validate({
        "primary_key": "k",
        "rows": {"min": 1, "max": 10},
        "columns": {"k": {"type": "string"}, "d": {"type": "date", "non_null": 0.5},
                    "c": {"type": "string", "allowed": ["a", "b"]}},
        "expectations": [{"expect_column_min_to_be_between": {"column": "d", "min_value": "1900-01-01"}}],
    })
    frame = pd.DataFrame({"k": ["1", "2"], "d": [dt.date(2000, 1, 1), None], "c": ["a", "z"]})
    results = run_expectations({"t": (frame, contract)})
    print(sorted((r.expectation, r.success) for r in results))
    """
)


def test_great_expectations_writes_no_file(tmp_path: Path) -> None:
    home, work, temp = tmp_path / "home", tmp_path / "work", tmp_path / "tmp"
    for folder in (home, work, temp):
        folder.mkdir()
    repo = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "HOME": str(home),
        "TMPDIR": str(temp),
        "PYTHONPATH": str(repo),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    env.pop("GX_ANALYTICS_ENABLED", None)
    done = subprocess.run(
        [sys.executable, "-c", _GE_ALONE],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "('expect_column_values_to_be_in_set', False)" in done.stdout
    appeared = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert appeared == ["home", "tmp", "work"]
    assert "Calculating Metrics" not in done.stderr  # no progress bars either


def _with_members(housing_plan: Path, member_numbers: list[int], cross: str = "") -> None:
    rows = ["入居者番号,続柄番号,続柄"]
    rows += [f"{i:06d},{n},妻" for i, n in enumerate(member_numbers, start=1)]
    rows.append("999999,1,子")  # no such tenant
    data = housing_plan.parent / "data" / "members.csv"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    add_members_table(housing_plan, "data/members.csv", cross=cross)


def test_an_orphan_member_is_rejected_with_its_position(housing_plan: Path) -> None:
    _with_members(housing_plan, [1, 1, 1, 1, 1])
    result = rehearse(housing_plan)
    members = result.report.data["tables"]["members"]
    assert result.report.status == "reconciled"
    assert members["rejects"] == [
        {"file": "data/members.csv", "sheet": "", "row": 7, "reasons": ["tenant_id.fk_missing"]}
    ]
    assert members["loaded"] == 5 and members["rejected"] == 1


CROSS = (
    "cross_controls:\n"
    "  - {name: one_number_per_member, left: members.count, right: members.sum(member_no)}\n"
)


def test_a_control_total_across_tables(housing_plan: Path) -> None:
    _with_members(housing_plan, [1, 1, 1, 1, 1], CROSS)
    result = rehearse(housing_plan)
    assert result.report.status == "reconciled"
    (control,) = result.report.data["cross_controls"]
    assert control["source"] == [5, 5] and control["target"] == [5, 5] and control["ok"]


def test_a_control_total_across_tables_that_differs_is_unbalanced(housing_plan: Path) -> None:
    _with_members(housing_plan, [1, 2, 1, 1, 1], CROSS)
    done = _ikou("rehearse", str(housing_plan), "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["status"] == "unbalanced"
    assert report["cross_controls"][0]["source"] == [5, 6]


def test_a_cross_control_on_an_unmapped_table_is_exit_2(housing_plan: Path) -> None:
    mapping = housing_plan.parent / "mapping.yaml"
    mapping.write_text(
        mapping.read_text(encoding="utf-8")
        + "cross_controls:\n  - {name: x, left: tenants.count, right: visits.count}\n",
        encoding="utf-8",
    )
    done = _ikou("rehearse", str(housing_plan))
    assert done.returncode == 2
    assert "cross_controls[0]: visits.count names a table the mapping does not fill" in done.stderr


def test_great_expectations_is_imported_only_when_the_stage_runs() -> None:
    code = (
        "import sys, ikou.pipeline.cli, ikou.pipeline.run, ikou.pipeline.production, "
        "ikou.validation.expectations; "
        "print('great_expectations' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr


def test_the_mapping_sets_this_offices_row_count(housing_plan: Path) -> None:
    mapping = housing_plan.parent / "mapping.yaml"
    text = mapping.read_text(encoding="utf-8").replace(
        "    source: ledger\n", "    source: ledger\n    rows: {min: 500}\n", 1
    )
    mapping.write_text(text, encoding="utf-8")
    result = rehearse(housing_plan)
    assert result.report.status == "expectations_failed"
    assert result.report.data["findings"] == ["tenants.expect.expect_table_row_count_to_be_between"]


def test_regex_expectations_are_matched_by_re2_with_their_counts() -> None:
    """A value that makes Python's re backtrack for minutes is answered at once,
    and the counts are great-expectations' own (nulls left out, ``mostly`` kept)."""
    import time

    import pandas as pd

    from ikou.validation.contract import TableContract
    from ikou.validation.expectations import run_expectations

    contract = TableContract.model_validate(
        {
            "primary_key": "k",
            "columns": {"k": {"type": "string"}, "code": {"type": "string"}},
            "expectations": [
                {"expect_column_values_to_match_regex": {"column": "code", "regex": "(a|aa)*c"}},
                {
                    "expect_column_values_to_not_match_regex_list": {
                        "column": "code",
                        "regex_list": ["x", "y"],
                        "mostly": 0.5,
                    }
                },
            ],
        }
    )
    frame = pd.DataFrame({"k": ["1", "2", "3", "4"], "code": ["a" * 40 + "b", "aac", None, "x-ac"]})
    started = time.monotonic()
    results = {r.expectation: r for r in run_expectations({"t": (frame, contract)})}
    assert time.monotonic() - started < 60  # a hang guard, not a timing test
    matched = results["expect_column_values_to_match_regex"]
    assert not matched.success and matched.column == "code"
    assert matched.counts == {"element_count": 4, "unexpected_count": 1, "missing_count": 1}
    unmatched = results["expect_column_values_to_not_match_regex_list"]
    assert unmatched.success and unmatched.counts["unexpected_count"] == 1
