"""The report as an office prints it: 和暦 and Japan time, Japanese labels,
pictures without JavaScript, rejects grouped by reason, and — in a real
browser — A4 pages that each carry the run's identity and "n / N", with the
sign-off sheet on one page of its own."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ikou.pipeline.report.dates import local_date, local_time
from ikou.pipeline.report.html import css_string, row_ranges
from tests.conftest import run_ikou
from tests.pipeline.conftest import SIGNOFF, ikou


def _need(program: str, package: str) -> str:
    found = shutil.which(program)
    if found is None:
        reason = f"{program} is not installed (.ci/run installs Debian's {package})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}, and CI=true requires it")
        pytest.skip(reason)
    return found


@pytest.fixture
def chromium() -> str:
    """Headless Chromium and poppler's pdftotext: skipped without them, failed
    under ``CI=true``."""
    _need("pdftotext", "poppler-utils")
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return str(shutil.which(name))
    return _need("chromium", "chromium")


def print_pdf(chromium: str, html: Path, pdf: Path) -> list[str]:
    """Print ``html`` to ``pdf`` as a user's browser would (A4 from the page's
    own @page rules, no browser header or footer); the text of each page."""
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def _footers_hold(pages: list[str], plan: str, run_id: str, short: str) -> None:
    for number, page in enumerate(pages, 1):
        assert re.search(rf"\b{number} / {len(pages)}\b", page), f"page {number}: no 'n / N'"
        assert run_id in page, f"page {number} does not carry the run id"
        assert plan in page, f"page {number} does not carry the plan's name"
        assert short in page, f"page {number} does not carry the chain head"


# -- times and words --------------------------------------------------------


def test_times_are_japan_time_in_the_era_with_the_weekday() -> None:
    assert local_time("2026-12-02T05:03:11Z") == "令和8年12月2日（水） 14:03 JST"
    assert local_time("2026-12-02T05:03:11Z", "en") == "2 Dec 2026 (Wed) 14:03 JST"
    # 15:30 UTC on the last day of Heisei is already the first day of Reiwa in Japan
    assert local_date("2019-04-30T15:30:00Z") == "令和元年5月1日（水）"
    assert local_date("2019-04-30T14:30:00Z") == "平成31年4月30日（火）"
    assert local_time(None) == "—"


def test_row_ranges_are_short_and_say_what_is_left_out() -> None:
    assert row_ranges([7, 3, 4, 5, 12, 40, 41]) == ("3–5, 7, 12, 40–41", 0)
    text, left = row_ranges(range(2, 200, 2), limit=3)
    assert text == "2, 4, 6" and left == 96


def test_the_running_footer_cannot_break_out_of_its_css_string() -> None:
    assert css_string('a"b\\c</style>') == '"a\\22 b\\5c c\\3c /style\\3e "'


def test_the_report_speaks_the_office_language(housing_plan: Path) -> None:
    done = ikou("rehearse", str(housing_plan))
    assert done.returncode == 0, done.stderr
    run = sorted((housing_plan.parent / "ikou-work" / "runs").iterdir())[-1]
    html = (run / "report.html").read_text(encoding="utf-8")
    data = json.loads((run / "report.json").read_text(encoding="utf-8"))
    assert data["generated"].endswith("Z")  # report.json keeps ISO UTC
    assert re.search(r"令和\d+年\d+月\d+日（[月火水木金土日]） \d+:\d\d JST", html)
    assert '入居者 <span class="code">tenants</span>' in html  # the contract's label:
    assert "家賃の合計" in html  # control totals in words, not sum(rent)
    assert "抽出（ファイルの読取り）" in html  # stages in words
    assert "<script" not in html
    charts = re.findall(r"<svg [^>]*role=\"img\"[^>]*aria-label=\"([^\"]+)\"", html)
    assert len(charts) >= len(data["tables"]) + 1  # a funnel per table, a bar chart of reasons
    assert any("不採用の理由別" in label for label in charts)
    # rejects grouped by reason with row ranges; no line per rejected row
    assert "不採用の行（位置）" not in html
    tenants = data["tables"]["tenants"]
    for slug, count in tenants["rejects_by_reason"].items():
        assert f'<span class="code">{slug}</span></td><td class="num">{count:,}</td>' in html
    english = ikou("rehearse", str(housing_plan), "--lang", "en")
    assert english.returncode == 0
    run = sorted((housing_plan.parent / "ikou-work" / "runs").iterdir())[-1]
    assert "Rejected, by reason" in (run / "report.html").read_text(encoding="utf-8")


# -- a real browser ----------------------------------------------------------


def test_a_printed_production_report_keeps_its_sign_off_on_one_page(
    production_plan: Path, chromium: str, tmp_path: Path
) -> None:
    assert ikou("rehearse", str(production_plan)).returncode == 0
    signoff = production_plan.parent / "signoff.yaml"
    signoff.write_text(SIGNOFF, encoding="utf-8")
    done = ikou("migrate", str(production_plan), "--signoff", str(signoff))
    assert done.returncode == 0, done.stderr
    run = sorted((production_plan.parent / "ikou-work" / "runs").iterdir())[-1]
    data = json.loads((run / "report.json").read_text(encoding="utf-8"))
    assert data["mode"] == "production" and data["status"] == "reconciled"
    pages = print_pdf(chromium, run / "report.html", tmp_path / "report.pdf")
    _footers_hold(pages, data["plan"]["name"], data["run_id"], data["chain_head_short"])
    sheet = [n for n, page in enumerate(pages) if "移行完了確認書" in page]
    assert sheet == [len(pages) - 1], "the sign-off sheet is the last page, and only one"
    last = pages[-1]
    for row in ("承認者（係長）", "承認者（課長）", "立会人", "作業者"):
        assert row in last, f"signature row {row} is not on the sign-off page"
    for name in ("代理 三郎", "承認 四郎", "立会 花子", "作業 太郎"):
        assert name in last
    assert "承認 一郎 の代理" in last  # a substitute says for whom
    assert data["run_id"] in last and data["chain_head_short"] in last
    if os.environ.get("IKOU_SCREENSHOTS"):  # docs/img: IKOU_SCREENSHOTS=docs/img pytest -k sign_off
        _screenshots(tmp_path / "report.pdf", len(pages), Path(os.environ["IKOU_SCREENSHOTS"]))


def _screenshots(pdf: Path, pages: int, folder: Path) -> None:
    """The first page and the sign-off page as PNG, for README and docs/report.md."""
    for page, name in ((1, "report-first-page"), (pages, "report-signoff")):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "70", "-singlefile", "-f", str(page), "-l", str(page),
             str(pdf), str(folder / name)],
            check=True,
        )  # fmt: skip


def test_the_20000_row_demo_prints_on_eight_pages_or_fewer(chromium: str, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    done = run_ikou("demo", "--rows", "20000", "--dir", str(folder), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run = sorted((folder / "ikou-work" / "runs").iterdir())[-1]
    data = json.loads((run / "report.json").read_text(encoding="utf-8"))
    assert data["tables"]["tenants"]["source_rows"] > 20000
    pages = print_pdf(chromium, run / "report.html", tmp_path / "report.pdf")
    assert len(pages) <= 8, f"{len(pages)} A4 pages"
    _footers_hold(pages, data["plan"]["name"], data["run_id"], data["chain_head_short"])
