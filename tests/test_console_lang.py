"""The console speaks the office's language (issue 22): the rule that chooses it,
errors said from the finding catalog, summaries and prompts in Japanese, and
every one of them CP932-safe and value-free."""

from __future__ import annotations

import os
import re
import string
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from ikou import errors
from ikou.audit.chain import VerifyResult
from ikou.audit.sweep import KINDS
from ikou.errors import CheckFailed, IkouError, UnreadableFileError
from ikou.findings import CATALOG
from ikou.pipeline.cli import lang, main
from ikou.pipeline.cli.lang import CONSOLE, console_lang, error_lines, say, speaking
from ikou.pipeline.recovered import Recovered
from tests.conftest import REPO, run_ikou

LOCALE = ("IKOU_LANG", "LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")


def _env(**values: str) -> dict[str, str]:
    """This process's environment without any language of its own, plus ``values``."""
    return {**{k: v for k, v in os.environ.items() if k not in LOCALE}, **values}


def _ikou(*args: str, **values: str) -> subprocess.CompletedProcess[str]:
    return run_ikou(*args, env=_env(**values), console=None, timeout=120)


def _wide(text: str) -> bool:
    return any(unicodedata.east_asian_width(c) in ("W", "F") for c in text)


@pytest.fixture
def ja(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's own process speaks Japanese."""
    for name in LOCALE:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IKOU_LANG", "ja")


# ------------------------------------------------------------ the rule


@pytest.mark.parametrize(
    ("environ", "windows", "expected"),
    [
        ({"LANG": "ja_JP.UTF-8"}, False, "ja"),
        ({"LANG": "ja_JP.eucJP"}, False, "ja"),
        ({"LANG": "C.UTF-8"}, True, "en"),  # a locale set says it, not Windows
        ({"LC_MESSAGES": "ja_JP.UTF-8", "LANG": "C"}, False, "ja"),
        ({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, False, "en"),  # POSIX: LC_ALL first
        ({"LC_ALL": "ja_JP.UTF-8", "LANG": "C"}, False, "ja"),
        ({"IKOU_LANG": "en", "LANG": "ja_JP.UTF-8"}, False, "en"),
        ({"IKOU_LANG": "ja", "LC_ALL": "C"}, False, "ja"),
        ({"IKOU_LANG": "fr", "LANG": "ja_JP.UTF-8"}, False, "ja"),  # not ours: ignored
        ({}, True, "ja"),  # Windows in Japanese, no locale variables
        ({}, False, "en"),
    ],
)
def test_the_console_language_rule(
    environ: dict[str, str], windows: bool, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lang, "windows_ui_is_japanese", lambda: windows)
    assert console_lang(environ) == expected


def test_lang_on_the_command_line_outranks_everything_and_only_for_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with speaking():
        lang.choose("en")
        assert console_lang({"IKOU_LANG": "ja", "LANG": "ja_JP.UTF-8"}) == "en"
    assert console_lang({"IKOU_LANG": "ja"}) == "ja"  # forgotten after the command
    monkeypatch.setenv("IKOU_LANG", "ja")
    assert main(["rehearse", "missing.yaml", "--lang", "en"]) == 2
    assert console_lang() == "ja"


@pytest.mark.parametrize(("langid", "japanese"), [(0x0411, True), (0x0409, False), (0x0C04, False)])
def test_the_windows_display_language(
    langid: int, japanese: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ctypes
    import types

    kernel32 = types.SimpleNamespace(GetUserDefaultUILanguage=lambda: langid)
    monkeypatch.setattr(ctypes, "windll", types.SimpleNamespace(kernel32=kernel32), raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    assert lang.windows_ui_is_japanese() is japanese


def test_off_windows_the_display_language_is_not_asked() -> None:
    if sys.platform == "win32":
        pytest.skip("this is Windows")
    assert lang.windows_ui_is_japanese() is False


# ------------------------------------------------------------ the words


@pytest.mark.parametrize("key", sorted(CONSOLE))
def test_every_console_line_has_both_languages_with_the_same_fields(key: str) -> None:
    en, ja = CONSOLE[key]

    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    assert en and ja and fields(en) == fields(ja), key
    words = re.sub(r"\{[^}]*\}|\[/?[a-z ]*\]", "", en)  # not the fields, not the markup
    if re.search(r"[A-Za-z]", words) and key not in ("json", "sweep.a"):  # JSON is JSON
        assert _wide(ja), (key, ja)


def test_every_japanese_line_and_catalog_title_is_cp932() -> None:
    """A Japanese Windows console holds every character of ikou's Japanese (English
    keeps its ✔ or —, which degrade to '?')."""
    for key, (_, ja) in CONSOLE.items():
        assert ja.encode("cp932"), key  # raises on a character CP932 lacks
    for slug, finding in CATALOG.items():
        assert finding.ja.encode("cp932"), slug


def test_the_english_lines_are_the_libraries_own_words() -> None:
    """Where a library words a sentence (a dead run ended, a chain verified, a
    sweep's kinds), the console's English is the same sentence."""
    with speaking():
        lang.choose("en")
        from ikou.pipeline.cli.audit import _verified
        from ikou.pipeline.cli.common import _recovered

        for outcome in ("interrupted", "sealed", "reconciled", "rolled_back", "pending", "odd"):
            for rolled in (False, True):
                recovered = Recovered("20260101T000000Z-abcdef", 3, outcome, rolled)
                assert _recovered(recovered) == recovered.sentence()
        for result in (
            VerifyResult(ok=True, events=5, head="ab" * 32, authenticated=True),
            VerifyResult(ok=True, events=5, head="ab", head_found_at=5),
            VerifyResult(ok=True, events=7, head="ab", head_found_at=5, unchecked=("x", "y")),
        ):
            assert _verified(result) == result.sentence()
        for kind, label in KINDS.items():
            assert say(f"sweep.{kind}") == label


# ------------------------------------------------------------ errors


def _error_kinds() -> list[type[IkouError]]:
    """Every error class ikou raises (the base, never raised itself, aside)."""
    return [
        kind
        for name in errors.__all__
        if isinstance(kind := getattr(errors, name), type)
        and issubclass(kind, IkouError)
        and kind is not IkouError
    ]


def _raised_slugs() -> set[str]:
    """The slugs given at raise sites (``slug="…"``) and a run's failed statuses."""
    found = {"run.unbalanced", "run.expectations_failed"}  # slug=f"run.{status}"
    for path in (REPO / "pipeline").rglob("*.py"):
        found |= set(re.findall(r'slug="([a-z_.]+)"', path.read_text(encoding="utf-8")))
    return found


@pytest.mark.usefixtures("ja")
@pytest.mark.parametrize("kind", _error_kinds(), ids=lambda k: k.__name__)
def test_every_error_class_is_said_from_the_catalog(kind: type[IkouError]) -> None:
    assert kind.slug in CATALOG, f"{kind.__name__}: {kind.slug} is not in ikou/findings.py"
    first, detail = error_lines(kind("the sentence in English."))
    assert first == f"{CATALOG[kind.slug].ja}[{kind.slug}]"
    assert detail == "  詳細: the sentence in English."


@pytest.mark.usefixtures("ja")
@pytest.mark.parametrize("slug", sorted(_raised_slugs()))
def test_every_slug_raised_is_said_from_the_catalog(slug: str) -> None:
    assert slug in CATALOG, f"{slug} is raised but not in ikou/findings.py"
    first, _ = error_lines(CheckFailed("a sentence.", slug=slug))
    assert first == f"{CATALOG[slug].ja}[{slug}]"


@pytest.mark.usefixtures("ja")
def test_an_error_names_where_in_japanese_and_keeps_the_english_as_detail() -> None:
    error = UnreadableFileError(
        "data/ledger.xls is damaged.", file="data/ledger.xls", sheet="入居者台帳", row=12
    )
    assert error_lines(error) == [
        f"{CATALOG['source.unreadable'].ja}（data/ledger.xls シート 入居者台帳 行 12）"
        "[source.unreadable]",
        "  詳細: data/ledger.xls is damaged.",
    ]


def test_in_english_an_error_is_its_sentence_unchanged() -> None:
    with speaking():
        lang.choose("en")
        error = UnreadableFileError("data/ledger.xls is damaged.", file="data/ledger.xls")
        assert error_lines(error) == ["data/ledger.xls is damaged."]


@pytest.mark.usefixtures("ja")
def test_a_preflight_check_and_a_stage_are_said_in_japanese() -> None:
    from ikou.pipeline.cli.common import _stage_said
    from ikou.pipeline.cli.production import _check_said
    from ikou.pipeline.production.preflight import Check

    item, reason = _check_said(Check("rehearsal", "fail", "no_rehearsal"))
    assert item == "リハーサル" and _wide(reason) and "rehearsal" not in reason
    item, reason = _check_said(Check("certification ISMS", "ok", "cert_ok", {"date": "2099-03-31"}))
    assert item == "認証 ISMS" and "2099-03-31" in reason and _wide(reason)
    assert _stage_said("extract data/ledger.xls") == "読み込み data/ledger.xls"
    assert _stage_said("done") == "完了"


# ------------------------------------------------------------ as a process


def test_a_japanese_locale_says_a_missing_plan_in_japanese(tmp_path: Path) -> None:
    done = _ikou("rehearse", str(tmp_path / "missing.yaml"), LANG="ja_JP.UTF-8")
    assert done.returncode == 2, done.stderr
    first, detail = done.stderr.splitlines()[:2]
    assert first == (
        f"ikou: {CATALOG['config.invalid'].ja}（{tmp_path / 'missing.yaml'}）[config.invalid]"
    )
    assert detail.startswith("  詳細: plan file ") and "does not exist" in detail


def test_a_japanese_locale_says_a_bad_plan_key_in_japanese(housing_plan: Path) -> None:
    bad = housing_plan.with_name("bad.yaml")
    bad.write_text(housing_plan.read_text("utf-8") + "bogus_key: 1\n", encoding="utf-8")
    done = _ikou("rehearse", str(bad), LC_ALL="ja_JP.UTF-8")
    assert done.returncode == 2, done.stderr
    assert f"（{bad} キー (top level)）[config.invalid]" in done.stderr
    assert "詳細: " in done.stderr and "unknown key 'bogus_key'" in done.stderr


def test_a_usage_error_in_japanese() -> None:
    done = _ikou("rehearse", LANG="ja_JP.UTF-8")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"ikou: {CATALOG['usage.invalid'].ja}[usage.invalid]",
        "  詳細: Missing argument 'PLAN'.",
        "  使い方: ikou rehearse -h",
    ]


def test_the_demo_in_japanese_into_a_cp932_pipe(tmp_path: Path) -> None:
    """A Japanese Windows console redirected to a file: CP932 bytes, Japanese words."""
    done = subprocess.run(
        [sys.executable, "-m", "ikou", "demo", "--rows", "10", "--dir", str(tmp_path / "demo")],
        capture_output=True,
        env={**_env(LANG="ja_JP.UTF-8", PYTHONIOENCODING="cp932"), "COLUMNS": "200"},
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    stdout = done.stdout.decode("cp932")  # strict: every byte is CP932
    stderr = done.stderr.decode("cp932")
    assert done.returncode == 0, stdout + stderr
    lines = stdout.splitlines()
    assert lines[0] == f"合成した台帳・世帯員と計画: {tmp_path / 'demo'}"
    assert "件数の内訳" in stdout and "不採用" in stdout
    assert "結果: 照合一致（reconciled）" in lines
    assert any(line.startswith("報告書: ") and line.endswith("report.html") for line in lines)
    assert any(line.startswith("JSON:   ") for line in lines)
    assert any(line.startswith("監査ログ: ") and "先頭 " in line for line in lines)
    assert "status:" not in stdout and "Row counts" not in stdout
    report = (tmp_path / "demo" / "ikou-work" / "runs").glob("*/report.html")
    assert "移行リハーサル報告書" in next(report).read_text("utf-8")  # the report: ja


def test_a_missing_plan_in_japanese_into_a_cp932_pipe(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ikou", "rehearse", str(tmp_path / "無い.yaml")],
        capture_output=True,
        env=_env(LANG="ja_JP.UTF-8", PYTHONIOENCODING="cp932"),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert done.returncode == 2
    stderr = done.stderr.decode("cp932")
    assert f"{CATALOG['config.invalid'].ja}（{tmp_path / '無い.yaml'}）[config.invalid]" in stderr


@pytest.mark.parametrize(
    ("values", "args"),
    [
        ({"LANG": "C"}, ()),
        ({"LANG": "C.UTF-8"}, ()),
        ({}, ()),
        ({"IKOU_LANG": "en", "LANG": "ja_JP.UTF-8"}, ()),
        ({"IKOU_LANG": "ja", "LANG": "ja_JP.UTF-8"}, ("--lang", "en")),
    ],
)
def test_english_otherwise(tmp_path: Path, values: dict[str, str], args: tuple[str, ...]) -> None:
    missing = tmp_path / "missing.yaml"
    done = _ikou("rehearse", str(missing), *args, **values)
    assert done.returncode == 2
    assert done.stderr == f"ikou: plan file {missing} does not exist.\n"


def test_lang_ja_on_the_command_speaks_japanese_in_an_english_locale(tmp_path: Path) -> None:
    done = _ikou("rehearse", str(tmp_path / "missing.yaml"), "--lang", "ja", LANG="C")
    assert done.returncode == 2 and "[config.invalid]" in done.stderr and "詳細: " in done.stderr


def test_the_demo_in_english_with_lang_en_over_a_japanese_locale(tmp_path: Path) -> None:
    done = _ikou(
        "demo", "--rows", "10", "--dir", str(tmp_path / "demo"), "--lang", "en",
        IKOU_LANG="ja", LANG="ja_JP.UTF-8",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"synthetic ledger, members and plan: {tmp_path / 'demo'}"
    assert "Row counts" in done.stdout and "status: reconciled" in lines
    assert not _wide(done.stdout + done.stderr)
