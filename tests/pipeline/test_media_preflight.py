"""The production preflight's view of the plan's media rule, before anyone signs on:
a watcher that holds the lock and answers, no medium mounted under ``media: none``,
and a warning whenever removable media are only simulated."""

from __future__ import annotations

from pathlib import Path

import pytest

from ikou.pipeline.media.devices import make_folder_medium
from ikou.pipeline.plan import load_plan
from ikou.pipeline.production.preflight import _media_checks


def _with_rule(plan: Path, rule: str) -> Path:
    plan.write_text(plan.read_text("utf-8") + f"media: {rule}\n", "utf-8")
    return plan


def _codes(plan: Path) -> list[tuple[str, str, str]]:
    return [(c.item, c.status, c.code) for c in _media_checks(load_plan(plan))]


def test_media_none_with_a_stick_in_the_pc_fails_before_sign_on(
    production_plan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bay = tmp_path / "usb"
    monkeypatch.setenv("IKOU_MEDIA_BAY", str(bay))
    monkeypatch.setenv("IKOU_MEDIA_DIR", str(tmp_path / "pc-media"))
    make_folder_medium(bay, "forgotten")
    plan = _with_rule(production_plan, "none")
    assert _codes(plan) == [
        ("media-simulated", "warn", "media_simulated"),
        ("media-simulated", "warn", "media_simulated"),
        ("media", "fail", "media_not_watched"),
        ("media-mounted", "fail", "media_mounted"),
    ]
    (mounted,) = [c for c in _media_checks(load_plan(plan)) if c.code == "media_mounted"]
    assert mounted.params["count"] == 1 and "1 removable medium" in mounted.reason
    (bay / "forgotten" / ".ikou-device").unlink()  # taken out
    assert ("media-mounted", "fail", "media_mounted") not in _codes(plan)


def test_no_rule_no_media_checks_and_watch_optional_needs_no_watcher(
    production_plan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IKOU_MEDIA_BAY", raising=False)
    monkeypatch.setenv("IKOU_MEDIA_DIR", str(tmp_path / "pc-media"))
    assert _codes(production_plan) == []
    plan = _with_rule(production_plan, "{watch: optional}")
    assert _codes(plan) == [("media-simulated", "warn", "media_simulated")]  # the moved log
