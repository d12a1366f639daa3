"""Fixtures of the pipeline tests: a production-ready housing plan."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ikou.pipeline.examples.applicants import make_applicants, write_applicants
from ikou.pipeline.examples.housing import make_ledger, make_members, write_members_docx, write_xls
from tests.conftest import run_ikou
from tests.pipeline.postgres import postgres_url  # noqa: F401 - a fixture: a fresh database

PEOPLE = """
people:
  owner: 住宅課
  operator: 作業 太郎
  witnesses: [立会 花子, 立会 次郎]
  approvals:
    係長: [承認 一郎, 代理 三郎]
    課長: [承認 四郎]
vendor:
  company: 株式会社サンプル
  certifications:
    - {name: ISMS, number: IS 000001, expires: 2099-03-31}
    - {name: Pマーク, number: "00000001(01)", expires: 2099-03-31}
rehearsal:
  max_age_days: 30
council: {required: false, reason: "テスト: 合成データのみ"}
"""

SIGNOFF = "witness: 立会 花子\napprovals:\n  係長: 代理 三郎\n  課長: 承認 四郎\n"


def ikou(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``ikou ARGS`` as a process, with ``env`` added to this one's environment."""
    return run_ikou(*args, env={**os.environ, **(env or {})})


def target_of(plan: Path) -> Path:
    """The production plan's new-system database."""
    return plan.parent / "new-system.sqlite"


@pytest.fixture
def production_plan(housing_plan: Path) -> Path:
    """The housing example with live data (another synthetic ledger), people and a target."""
    folder = housing_plan.parent
    (folder / "data" / "live").mkdir()
    write_xls(make_ledger(150, 11), folder / "data" / "live" / "ledger.xls")
    write_members_docx(make_members(150, 11), folder / "data" / "live" / "members.docx")
    write_applicants(make_applicants(10, 11), folder / "data" / "live" / "applicants.ods")
    text = housing_plan.read_text(encoding="utf-8")
    text = (
        text.replace(
            "    rehearsal: data/ledger*.xls\n",
            "    rehearsal: data/ledger*.xls\n    production: data/live/ledger.xls\n",
        )
        .replace(
            "    rehearsal: data/members.docx\n",
            "    rehearsal: data/members.docx\n    production: data/live/members.docx\n",
        )
        .replace(
            "    rehearsal: data/applicants.ods\n",
            "    rehearsal: data/applicants.ods\n    production: data/live/applicants.ods\n",
        )
    )
    text = text.replace(
        "  url: postgresql://housing@db.example.invalid/housing",
        f"  url: sqlite:///{(folder / 'new-system.sqlite').as_posix()}",
    )
    housing_plan.write_text(text + PEOPLE, encoding="utf-8")
    (folder / "signoff.yaml").write_text(SIGNOFF, encoding="utf-8")
    return housing_plan


@pytest.fixture
def libreoffice() -> str:
    """The LibreOffice program: without it the test is skipped with the reason, and
    fails when ``CI=true`` (.ci/run installs it)."""
    from ikou.pipeline.stages.extract.word97 import soffice

    found = soffice()
    if found is None:
        reason = "LibreOffice is not installed (.ci/run installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}, and CI=true requires it")
        pytest.skip(reason)
    return found
