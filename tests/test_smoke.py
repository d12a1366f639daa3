"""Smoke test of the installed ``ikou`` command, as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path


def _ikou() -> str:
    beside = Path(sys.executable).with_name("ikou")
    found = str(beside) if beside.exists() else shutil.which("ikou")
    assert found, "the ikou console script is not installed (pip install -e .[test])"
    return found


def test_installed_demo_runs_end_to_end_quietly(tmp_path: Path) -> None:
    done = subprocess.run(
        [_ikou(), "demo", "--dir", str(tmp_path), "--rows", "60"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "status: reconciled" in done.stdout
    assert done.stderr == ""  # not a terminal: no progress bar, no noise
    report = json.loads(next(tmp_path.glob("ikou-work/runs/*/report.json")).read_text("utf-8"))
    assert report["status"] == "reconciled" and report["mode"] == "rehearsal"
    html = next(tmp_path.glob("ikou-work/runs/*/report.html")).read_text("utf-8")
    assert "移行リハーサル報告書" in html and report["chain_head"] in html
    verify = subprocess.run(
        [
            _ikou(),
            "audit",
            "verify",
            str(tmp_path / "ikou-work" / "audit.log"),
            "--head",
            report["chain_head_short"],
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 0 and "authenticated: " in verify.stdout


def test_english_report(tmp_path: Path) -> None:
    done = subprocess.run(
        [_ikou(), "demo", "--dir", str(tmp_path), "--rows", "20", "--lang", "en"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    html = next(tmp_path.glob("ikou-work/runs/*/report.html")).read_text("utf-8")
    assert "Migration rehearsal report" in html and '<html lang="en">' in html


def test_help_imports_neither_pandas_nor_great_expectations() -> None:
    """``ikou rehearse --help`` answers at once (issue 16: within 0.5 s): every
    command's entry point stays light, the heavy imports wait for the work."""
    code = (
        "import sys\n"
        "from ikou.pipeline.cli import main\n"
        "assert main(['rehearse', '--help']) == 0\n"
        "print(sorted(m for m in ('pandas', 'great_expectations', 'pyarrow') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
