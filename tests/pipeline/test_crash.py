"""SIGKILL at any stage: the next command cleans up and the chain still verifies."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from ikou.audit.artifacts import JOURNAL
from tests.conftest import chain_events, run_ikou


def _ikou(*args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "IKOU_FAULT"}
    if fault is not None:
        env["IKOU_FAULT"] = fault
    return run_ikou(*args, env=env)


@pytest.mark.parametrize("point", ["extract", "load"])
def test_a_run_killed_mid_stage_is_recovered_by_the_next_run(
    housing_plan: Path, point: str
) -> None:
    killed = _ikou("rehearse", str(housing_plan), fault=point)
    assert killed.returncode == -9, killed.stderr
    workspace = housing_plan.parent / "ikou-work"
    dead = next(e["run_id"] for e in chain_events(workspace / JOURNAL))
    target = workspace / "runs" / dead / "target.sqlite"
    if point == "load":  # the rows were inserted, the transaction never committed
        assert Path(f"{target}-journal").exists()

    again = _ikou("rehearse", str(housing_plan))
    assert again.returncode == 0, again.stderr
    assert f"recovered interrupted run {dead}" in again.stderr
    if point == "load":
        assert "unfinished load rolled back" in again.stderr
        # ikou rolled the journal back, not this test's own connection (which would too)
        assert target.is_file() and not Path(f"{target}-journal").exists()
        with sqlite3.connect(f"{target.as_uri()}?mode=ro", uri=True) as connection:
            tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
        assert tables == []  # not a partial load: not even the CREATE TABLE survived
    events = chain_events(workspace / "audit.log")
    ending = [e["stage"] for e in events if e["run_id"] == dead][-2:]
    assert ending == ["result", "seal"]
    assert [e["outcome"] for e in events if e["run_id"] == dead][-1] == "interrupted"
    ends = [e for e in chain_events(workspace / JOURNAL) if e["event"] == "run.end"]
    assert [e["outcome"] for e in ends] == ["interrupted", "reconciled"]
    assert not list(Path("/dev/shm").glob(f"ikou-{dead}*"))


def test_a_dead_runs_lock_replaced_by_a_link_is_refused_and_its_target_untouched(
    housing_plan: Path, tmp_path: Path
) -> None:
    killed = _ikou("rehearse", str(housing_plan), fault="extract")
    assert killed.returncode == -9, killed.stderr
    workspace = housing_plan.parent / "ikou-work"
    dead = next(e["run_id"] for e in chain_events(workspace / JOURNAL))
    lock = workspace / "locks" / f"{dead}.lock"
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not ikou's", "utf-8")
    lock.unlink(missing_ok=True)
    lock.symlink_to(outside)
    again = _ikou("rehearse", str(housing_plan))
    assert again.returncode == 1, again.stderr
    assert f"the lock file of run {dead}" in " ".join(again.stderr.split())
    assert "Traceback" not in again.stderr
    assert outside.read_text("utf-8") == "not ikou's"
