"""``ikou synth`` and ``ikou profile`` never overwrite what exists unless ``--force``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ikou.pipeline.examples.housing import make_ledger, write_xls
from tests.conftest import run_ikou


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def profiled(tmp_path: Path) -> Path:
    """A profile of a small synthetic ledger, written by ``ikou profile``."""
    write_xls(make_ledger(40, 3), tmp_path / "ledger.xls")
    profile = tmp_path / "profile.yaml"
    done = run_ikou("profile", str(tmp_path / "ledger.xls"), "-o", str(profile))
    assert done.returncode == 0, done.stderr
    return profile


def test_synth_refuses_a_folder_holding_the_ledger_it_would_write(
    profiled: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "live"
    folder.mkdir()
    ledger = folder / "ledger.xls"
    write_xls(make_ledger(60, 11), ledger)  # the office's own file, say
    before = _digest(ledger)
    done = run_ikou("synth", str(profiled), "-o", str(folder))
    assert done.returncode == 2, done.stdout + done.stderr
    assert str(ledger) in done.stderr and "--force" in done.stderr
    assert "Traceback" not in done.stderr
    assert _digest(ledger) == before
    assert sorted(p.name for p in folder.iterdir()) == ["ledger.xls"]

    forced = run_ikou("synth", str(profiled), "-o", str(folder), "--force", "--seed", "4")
    assert forced.returncode == 0, forced.stderr
    assert _digest(ledger) != before and f"wrote {ledger}" in forced.stdout


def test_synth_writes_into_an_existing_empty_or_unrelated_folder(
    profiled: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "twin"
    folder.mkdir()
    (folder / "notes.txt").write_text("kept", "utf-8")
    done = run_ikou("synth", str(profiled), "-o", str(folder))
    assert done.returncode == 0, done.stderr
    assert (folder / "ledger.xls").is_file()
    assert (folder / "notes.txt").read_text("utf-8") == "kept"


def test_synth_with_force_replaces_a_link_and_leaves_what_it_pointed_at(
    profiled: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.xls"
    elsewhere.write_bytes(b"not ikou's")
    folder = tmp_path / "twin"
    folder.mkdir()
    try:
        (folder / "ledger.xls").symlink_to(elsewhere)
    except OSError:
        pytest.skip("cannot make a symbolic link here")
    assert run_ikou("synth", str(profiled), "-o", str(folder)).returncode == 2
    assert run_ikou("synth", str(profiled), "-o", str(folder), "--force").returncode == 0
    assert elsewhere.read_bytes() == b"not ikou's"
    assert not (folder / "ledger.xls").is_symlink()


def test_profile_refuses_an_existing_output(tmp_path: Path) -> None:
    write_xls(make_ledger(40, 3), tmp_path / "ledger.xls")
    output = tmp_path / "profile.yaml"
    output.write_text("# someone's reviewed profile\n", "utf-8")
    before = _digest(output)
    done = run_ikou("profile", str(tmp_path / "ledger.xls"), "-o", str(output))
    assert done.returncode == 2, done.stdout + done.stderr
    assert str(output) in done.stderr and "--force" in done.stderr
    assert _digest(output) == before

    forced = run_ikou("profile", str(tmp_path / "ledger.xls"), "-o", str(output), "--force")
    assert forced.returncode == 0, forced.stderr
    assert output.read_text("utf-8").startswith("# ikou profile")


def test_profile_never_writes_over_a_file_it_profiles(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.xls"
    write_xls(make_ledger(40, 3), ledger)
    before = _digest(ledger)
    done = run_ikou("profile", str(ledger), "-o", str(ledger), "--force")
    assert done.returncode == 2 and "one of the files to profile" in done.stderr
    assert _digest(ledger) == before
