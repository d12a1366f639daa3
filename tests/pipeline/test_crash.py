"""SIGKILL at any stage: the next command cleans up and the chain still verifies."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from audit.artifacts import JOURNAL, Journal
from audit.chain import verify
from tests.conftest import run_ikou


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
    dead = next(e["run_id"] for e in Journal(workspace / JOURNAL).entries())
    target = workspace / "runs" / dead / "target.sqlite"
    if point == "load":  # the rows were inserted, the transaction never committed
        assert Path(f"{target}-journal").exists()

    again = _ikou("rehearse", str(housing_plan))
    assert again.returncode == 0, again.stderr
    assert f"recovered interrupted run {dead}" in again.stderr
    if point == "load":
        assert "unfinished load rolled back" in again.stderr
        with sqlite3.connect(target) as connection:
            tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
        assert tables == []  # not a partial load: not even the CREATE TABLE survived
    log = workspace / "audit.log"
    assert verify(log).ok
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    aborted = [e for e in events if e["run_id"] == dead and e["outcome"] == "aborted"]
    assert len(aborted) == 1 and aborted[0]["stage"] == "run"
    ends = [e for e in Journal(workspace / JOURNAL).entries() if e["event"] == "run.end"]
    assert [e["outcome"] for e in ends] == ["aborted", "reconciled"]
    assert not list(Path("/dev/shm").glob(f"ikou-{dead}*"))
