"""Shared fixtures: synthetic data only, made by code from seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.examples import write_demo

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(autouse=True)
def _keys_apart(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fingerprint keys go to a folder of the test's own, never the user's."""
    monkeypatch.setenv("IKOU_KEY_DIR", str(tmp_path_factory.mktemp("keys")))


@pytest.fixture
def housing_plan(tmp_path: Path) -> Path:
    """The bundled housing example with a 120-tenant synthetic ledger."""
    return write_demo(tmp_path / "housing", rows=120, seed=7)


def add_members_table(plan: Path, source_file: str, *, cross: str = "") -> None:
    """Extend the housing example with a household-members table read from
    ``source_file`` (columns 入居者番号, 続柄番号, 続柄, optionally 氏名),
    whose tenant_id references tenants; ``cross`` adds mapping text at the end."""
    folder = plan.parent
    text = plan.read_text(encoding="utf-8").replace(
        "target:", f"  members:\n    rehearsal: {source_file}\ntarget:", 1
    )
    plan.write_text(text, encoding="utf-8")
    mapping = folder / "mapping.yaml"
    mapping.write_text(
        mapping.read_text(encoding="utf-8") + "  members:\n    source: members\n    columns:\n"
        "      tenant_id: {from: 入居者番号, transforms: [text, width, {zero_pad: {width: 6}}]}\n"
        "      member_no: {from: 続柄番号, transforms: [integer]}\n"
        "      relation: {from: 続柄}\n" + cross,
        encoding="utf-8",
    )
    contract = folder / "contract.yaml"
    contract.write_text(
        contract.read_text(encoding="utf-8")
        + "  members:\n    primary_key: [tenant_id, member_no]\n    columns:\n"
        "      tenant_id: {type: string, references: tenants.tenant_id}\n"
        "      member_no: {type: integer}\n"
        "      relation: {type: string}\n",
        encoding="utf-8",
    )


def write_files(folder: Path, files: dict[str, str]) -> None:
    """Write small text files (plans, mappings, contracts) for a test."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


try:  # CI machines are shared and slow at times: judge properties, not speed
    from hypothesis import settings

    settings.register_profile("ikou", deadline=None, max_examples=60)
    settings.load_profile("ikou")
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass
