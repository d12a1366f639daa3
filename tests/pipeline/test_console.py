"""What ikou prints never fails to encode, and an error after a seal says the run stands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ikou.pipeline.cli import main
from ikou.pipeline.run import rehearse
from tests.conftest import chain_events

NAME = "𠮷田 花子"  # 𠮷 (U+20BB7) is not in CP932


def _ikou_bytes(*args: str, encoding: str) -> subprocess.CompletedProcess[bytes]:
    """``ikou ARGS`` as a process writing into pipes, as on a Japanese Windows
    console redirected to a file (``PYTHONIOENCODING`` stands for its code page)."""
    env = {**os.environ, "PYTHONIOENCODING": encoding, "COLUMNS": "200"}
    env.pop("PYTHONUTF8", None)
    return subprocess.run(
        [sys.executable, "-m", "ikou", *args],
        capture_output=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


def _seals(plan: Path, mode: str) -> list[dict[str, object]]:
    events = chain_events(plan.parent / "ikou-work" / "audit.log")
    return [e for e in events if e["stage"] == "seal" and e["mode"] == mode]


def _witness_named(plan: Path, name: str) -> None:
    """The witness is called ``name`` in the plan and the sign-off file."""
    for path in (plan, plan.parent / "signoff.yaml"):
        path.write_text(path.read_text("utf-8").replace("立会 花子", name), "utf-8")


@pytest.mark.parametrize("encoding", ["cp932", "cp932:strict"])
def test_a_production_run_into_a_cp932_pipe_ends_sealed_and_exit_0(
    production_plan: Path, encoding: str
) -> None:
    _witness_named(production_plan, NAME)
    assert rehearse(production_plan).report.status == "reconciled"
    signoff = str(production_plan.parent / "signoff.yaml")
    done = _ikou_bytes(
        "migrate", str(production_plan), "--signoff", signoff, "--lang", "ja", encoding=encoding
    )
    stdout = done.stdout.decode("cp932")  # strict: every byte is CP932
    stderr = done.stderr.decode("cp932")
    assert done.returncode == 0, stdout + stderr
    assert "internal error" not in stderr
    (seal,) = _seals(production_plan, "production")
    assert seal["outcome"] == "reconciled"
    report = json.loads(
        (
            production_plan.parent / "ikou-work" / "runs" / str(seal["run_id"]) / "report.json"
        ).read_text("utf-8")
    )
    assert report["status"] == "reconciled"
    assert NAME in {p["name"] for p in report["signon"]}  # the record keeps the name whole …
    assert "?田 花子" in stdout and "事前確認" in stdout  # … the console shows what it can
    assert "結果: 照合一致" in stdout


@pytest.mark.parametrize("encoding", ["cp932", "cp932:strict"])
def test_a_rehearsal_in_japanese_into_a_cp932_pipe(housing_plan: Path, encoding: str) -> None:
    done = _ikou_bytes("rehearse", str(housing_plan), "--lang", "ja", encoding=encoding)
    stdout = done.stdout.decode("cp932")
    assert done.returncode == 0, stdout + done.stderr.decode("cp932")
    assert "件数の内訳" in stdout and "結果: 照合一致" in stdout
    assert _seals(housing_plan, "rehearsal")[-1]["outcome"] == "reconciled"


def test_an_error_after_the_seal_says_the_run_is_sealed(
    production_plan: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ikou.pipeline.cli import production

    rehearse(production_plan)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the summary could not be drawn")

    monkeypatch.setattr(production, "render_run", broken)
    signoff = str(production_plan.parent / "signoff.yaml")
    assert main(["migrate", str(production_plan), "--signoff", signoff]) == 3
    (seal,) = _seals(production_plan, "production")
    assert seal["outcome"] == "reconciled"
    said = " ".join(capsys.readouterr().err.split())
    html = production_plan.parent / "ikou-work" / "runs" / str(seal["run_id"]) / "report.html"
    assert f"the run {seal['run_id']} was sealed and its report written at {html}" in said
    assert "this error happened after that" in said and "RuntimeError" in said
    assert "could not be drawn" not in said  # the type, never the text
    assert "internal error occurred" in said


def test_output_streams_are_restored_after_main(capsys: pytest.CaptureFixture[str]) -> None:
    errors = (sys.stdout.errors, sys.stderr.errors)
    assert main(["--version"]) == 0
    assert (sys.stdout.errors, sys.stderr.errors) == errors
    assert "ikou" in capsys.readouterr().out
