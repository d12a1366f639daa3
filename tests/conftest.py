"""Shared fixtures: synthetic data only, made by code from seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ikou.pipeline.examples import write_demo

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
REALFILES = SHARED / "realfiles"


def shared_folder(folder: Path) -> Path:
    """``folder`` under ../shared, for a test that needs it: without it the test
    is skipped with the reason, and fails when ``CI=true`` (CI has the folder)."""
    if not folder.is_dir():
        reason = f"../shared/{folder.name} is not beside the checkout"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}, and CI=true requires it")
        pytest.skip(reason)
    return folder


@pytest.fixture(autouse=True)
def _keys_apart(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fingerprint keys go to a folder of the test's own, never the user's."""
    monkeypatch.setenv("IKOU_KEY_DIR", str(tmp_path_factory.mktemp("keys")))


@pytest.fixture(autouse=True)
def _english_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process commands speak English whatever the developer's locale (a test
    of the language rule sets or removes ``IKOU_LANG`` itself)."""
    monkeypatch.setenv("IKOU_LANG", "en")


@pytest.fixture(autouse=True)
def _every_slug_is_catalogued() -> Any:
    """A slug met while a test runs that the finding catalog lacks fails the test."""
    from ikou import findings

    findings.UNKNOWN.clear()
    yield
    assert not findings.UNKNOWN, f"slugs not in ikou/findings.py: {sorted(findings.UNKNOWN)}"


@pytest.fixture
def housing_plan(tmp_path: Path) -> Path:
    """The bundled housing example with a 120-tenant synthetic ledger."""
    return write_demo(tmp_path / "housing", rows=120, seed=7)


def keep_target(plan: Path) -> Path:
    """Make ``plan`` keep its rehearsals' SQLite targets (``rehearsal: keep_target:
    true``), for a test that looks into what was loaded; returns ``plan``."""
    text = plan.read_text(encoding="utf-8")
    if "\nrehearsal:\n" in text:
        text = text.replace("\nrehearsal:\n", "\nrehearsal:\n  keep_target: true\n", 1)
    else:
        text += "rehearsal:\n  keep_target: true\n"
    plan.write_text(text, encoding="utf-8")
    return plan


def add_members_table(plan: Path, source_file: str, *, cross: str = "") -> None:
    """Point the housing example's household-members table at ``source_file``
    (columns 入居者番号, 続柄番号, 続柄, optionally 氏名), with a mapping and
    contract for just those columns; ``cross`` is mapping YAML merged in at the top."""
    import yaml

    folder = plan.parent

    def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")

    edit(plan, lambda d: d["sources"].__setitem__("members", {"rehearsal": source_file}))
    members = {
        "source": "members",
        "columns": {
            "tenant_id": {
                "from": "入居者番号",
                "transforms": ["text", "width", {"zero_pad": {"width": 6}}],
            },
            "member_no": {"from": "続柄番号", "transforms": ["integer"]},
            "relation": {"from": "続柄"},
        },
    }
    extra = yaml.safe_load(cross) if cross else {}
    edit(
        folder / "mapping.yaml",
        lambda d: (d["tables"].__setitem__("members", members), d.update(extra)),
    )
    edit(
        folder / "contract.yaml",
        lambda d: d["tables"].__setitem__(
            "members",
            {
                "primary_key": ["tenant_id", "member_no"],
                "columns": {
                    "tenant_id": {"type": "string", "references": "tenants.tenant_id"},
                    "member_no": {"type": "integer"},
                    "relation": {"type": "string"},
                },
            },
        ),
    )


def run_ikou(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: int = 300,
    console: str | None = "en",
) -> subprocess.CompletedProcess[str]:
    """``ikou ARGS`` as a separate process, as a user runs it (no terminal on stdin);
    ``env`` replaces the environment when given. The console speaks ``console``
    (``IKOU_LANG``), English unless asked, so that a test's English words hold
    whatever the machine's locale; ``console=None`` leaves the language to ``env``."""
    if console is not None:
        env = {**(os.environ if env is None else env), "IKOU_LANG": console}
    return subprocess.run(
        [sys.executable, "-m", "ikou", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


def corpus_file(relative: str) -> Path:
    """A file of ../shared/corpus (the test is skipped without it, fails under CI)."""
    return shared_folder(CORPUS) / relative


def chain_events(log: Path) -> list[dict[str, Any]]:
    """The events of an audit log (or custody journal, media log, a medium's usage
    log), verified under the test's key store: a test never reads a line the
    chain would not vouch for."""
    from ikou.audit.artifacts import JOURNAL
    from ikou.audit.chain import audit_key, key_folder, verify

    result = verify(
        log,
        key=audit_key(),
        key_dir=key_folder(),
        keep=True,
        seals=log.name not in (JOURNAL, "media.log", "usage.log"),  # runs and seals: a workspace's
    )
    assert result.ok, result.sentence()
    return list(result.entries)


def write_files(folder: Path, files: dict[str, str]) -> None:
    """Write small text files (plans, mappings, contracts) for a test."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="session", autouse=True)
def _expectations_imported_once() -> None:
    """A run imports great-expectations in the forked child that checks the
    expectations; imported here once, every test's child inherits it instead of
    paying the import again (a CLI run pays it once, in its own child)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations  # noqa: F401


try:  # CI machines are shared and slow at times: judge properties, not speed
    from hypothesis import settings

    settings.register_profile("ikou", deadline=None, max_examples=60)
    settings.load_profile("ikou")
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass
