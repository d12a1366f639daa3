"""A skip rule that would backtrack catastrophically stops ``ikou rehearse`` at
load, in one sentence, instead of hanging the run (issue 14, item 7)."""

from __future__ import annotations

import time
from pathlib import Path

from ikou.pipeline.examples import write_demo
from tests.conftest import run_ikou

_SUBTOTAL = "        matches: '^\\s*(合計|総計)\\s*$'\n"
_RUNAWAY = "      - name: runaway_row\n        column: 氏名\n        matches: '(a+)+$'\n"


def test_rehearse_refuses_a_nested_repetition_skip_rule(tmp_path: Path) -> None:
    plan = write_demo(tmp_path / "housing", rows=60, seed=7)
    mapping = plan.parent / "mapping.yaml"
    text = mapping.read_text(encoding="utf-8")
    assert text.count(_SUBTOTAL) == 1
    mapping.write_text(text.replace(_SUBTOTAL, _SUBTOTAL + _RUNAWAY), encoding="utf-8")

    started = time.monotonic()
    done = run_ikou("rehearse", str(plan), cwd=tmp_path, timeout=120)
    assert time.monotonic() - started < 20  # a hang guard, not a timing test

    assert done.returncode == 2
    err = done.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert "mapping.yaml: tables.tenants.skip[3].matches: " in err
    assert "(a+)+" in err and "backtracks catastrophically" in err
    assert not list(plan.parent.glob("ikou-work/runs/*/target.sqlite"))
