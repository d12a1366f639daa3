"""The command line: exact exit codes, one-sentence errors, no tracebacks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from ikou.pipeline.cli import cli, main

REPO = Path(__file__).resolve().parents[1]


def test_rehearse_ok_prints_summary_and_paths(
    housing_plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rehearse", str(housing_plan)]) == 0
    out = capsys.readouterr().out
    assert "status: reconciled" in out and "report.html" in out


def test_json_output_is_the_report_file(
    housing_plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rehearse", str(housing_plan), "--json", "--lang", "en"]) == 0
    printed = json.loads(capsys.readouterr().out)
    written = json.loads(
        next(housing_plan.parent.glob("ikou-work/runs/*/report.json")).read_text("utf-8")
    )
    assert printed == written


def test_missing_plan_is_exit_2_in_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rehearse", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert "nope.yaml does not exist" in err and "Traceback" not in err
    assert len(err.splitlines()) == 1, err


def test_bad_key_is_exit_2_and_debug_shows_traceback(
    housing_plan: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = housing_plan.read_text(encoding="utf-8").replace("header_row:", "headerrow:")
    housing_plan.write_text(text, encoding="utf-8")
    assert main(["rehearse", str(housing_plan)]) == 2
    assert "unknown key 'headerrow'" in capsys.readouterr().err
    assert main(["--debug", "rehearse", str(housing_plan)]) == 2  # the same exit code …
    err = capsys.readouterr().err
    assert "Traceback" in err and "ConfigError" in err  # … with the traceback


@pytest.mark.parametrize("damage", ["truncate", "empty", "not_excel"])
def test_bad_source_is_exit_2_and_nothing_is_loaded(
    housing_plan: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = housing_plan.parent / "data" / "ledger.xls"
    data = ledger.read_bytes()
    ledger.write_bytes(
        {
            "truncate": data[:3000],
            "empty": b"",
            "not_excel": b"<html><table><tr><td>x</td></tr></table></html>",
        }[damage]
    )
    assert main(["rehearse", str(housing_plan)]) == 2
    err = capsys.readouterr().err
    assert "data/ledger.xls" in err and "Traceback" not in err
    targets = list(housing_plan.parent.glob("ikou-work/runs/*/target.sqlite"))
    assert targets == []  # the run stopped before a target was even opened
    report = json.loads(
        next(housing_plan.parent.glob("ikou-work/runs/*/report.json")).read_text("utf-8")
    )
    assert report["status"] == "failed" and report["error"]["slug"] == "source.unreadable"
    assert [s["stage"] for s in report["stages"]] == ["extract"]
    html = next(housing_plan.parent.glob("ikou-work/runs/*/report.html")).read_text("utf-8")
    assert "source.unreadable" in html and "失敗" in html


def test_unbalanced_run_is_exit_1(
    housing_plan: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import ikou.pipeline.stages.reconcile as reconcile

    real = reconcile.read_back_arrow
    monkeypatch.setattr(reconcile, "read_back_arrow", lambda *a, **k: real(*a, **k).slice(1))
    assert main(["rehearse", str(housing_plan)]) == 1
    captured = capsys.readouterr()
    assert "status: unbalanced" in captured.out and "did not reconcile" in captured.err


def test_audit_verify_exit_codes(housing_plan: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rehearse", str(housing_plan)]) == 0
    log = housing_plan.parent / "ikou-work" / "audit.log"
    report = json.loads(
        next(housing_plan.parent.glob("ikou-work/runs/*/report.json")).read_text("utf-8")
    )
    capsys.readouterr()
    assert main(["audit", "verify", str(log), "--head", report["chain_head_short"]]) == 0
    assert "authenticated: " in capsys.readouterr().out
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = re.sub(r'"duration_ms":\d+', '"duration_ms":1', lines[2])
    log.write_text("".join(lines), encoding="utf-8")
    assert main(["audit", "verify", str(log)]) == 1
    assert "line 3: edited" in capsys.readouterr().err
    assert main(["audit", "verify", str(log.parent / "missing.log")]) == 2


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        found.append((full, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, full + " "))
    return found


def test_every_command_has_help_and_docs() -> None:
    docs = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    for name, command in _commands(cli):
        assert command.help, f"ikou {name} has no help text"
        assert f"ikou {name}" in docs, f"docs/commands.md does not document ikou {name}"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"ikou {name} {param.opts[0]} has no help text"
                assert param.opts[-1] in docs or param.opts[0] in docs, (
                    f"docs/commands.md does not mention ikou {name} {param.opts[0]}"
                )
