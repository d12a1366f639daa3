"""``ikou brief``: the migration explained to the privacy council, from the plan alone.

Run as a user runs it (a separate process): every section in brief.html and
brief.json, no source file opened (they are deleted, garbled or replaced by
FIFOs that would hang any reader), warnings for what the plan leaves unsaid,
A4 pages in a real browser carrying the plan's hash and "n / N" with the
signature block last, English on request, and never a URL's credentials.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ikou.pipeline.brief.labels import LABELS
from ikou.pipeline.brief.model import SECTIONS
from ikou.pipeline.examples import bundled_profile
from tests.pipeline.conftest import ikou
from tests.pipeline.test_report_print import chromium, print_pdf  # noqa: F401 - a fixture

HEADINGS_JA = [
    "1. 件名と目的",
    "2. 取り扱う個人情報",
    "3. 作業の流れと作業場所",
    "4. データの受け渡し",
    "5. テストデータ",
    "6. 立会いと承認",
    "7. 複製の管理と消去",
    "8. 委託業者の認証",
    "9. 記録",
]


def brief(plan: Path, *args: str, env: dict[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    """``ikou brief PLAN ARGS``, which must succeed: the HTML and the JSON it wrote
    (found by the paths it printed)."""
    done = ikou("brief", str(plan), *args, env=env)
    assert done.returncode == 0, done.stderr
    html = re.search(r"^brief:\s+(.+)$", done.stdout, re.M)
    data = re.search(r"^json:\s+(.+)$", done.stdout, re.M)
    assert html and data, done.stdout
    return (
        Path(html[1]).read_text(encoding="utf-8"),
        json.loads(Path(data[1]).read_text(encoding="utf-8")),
    )


def _codes(data: dict[str, Any]) -> list[str]:
    return [w["code"] for w in data["warnings"]]


def test_the_labels_speak_both_languages_alike() -> None:
    assert set(LABELS["ja"]) == set(LABELS["en"])
    assert not [key for key in LABELS["ja"] if key in dir(dict)]  # L.items would be a method


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_every_copy_has_words_for_where_protection_and_end(lang: str) -> None:
    from ikou.pipeline.brief.copies import COPY_KINDS, VARIANTS
    from ikou.pipeline.brief.render import _View

    flow = {"target": {"kind": "postgresql", "where": "db/housing"}}
    view = _View({"flow": flow}, lang)
    for kind in COPY_KINDS:
        assert view.L[f"copy_{kind}"]
        for variant in VARIANTS.get(kind, ("default",)):
            for part in ("where", "protect", "end"):
                words = view.copy({"kind": kind, "variant": variant}, part)
                assert words != "—", (kind, variant, part)


def test_every_section_is_in_the_html_and_the_json(production_plan: Path) -> None:
    done = ikou("brief", str(production_plan), "--production-date", "2027-01-15")
    assert done.returncode == 0, done.stderr
    folder = Path(re.search(r"^brief:\s+(.+)$", done.stdout, re.M)[1]).parent
    assert folder.parent == production_plan.parent / "ikou-work" / "briefs"
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{8}", folder.name)
    html = (folder / "brief.html").read_text(encoding="utf-8")
    data = json.loads((folder / "brief.json").read_text(encoding="utf-8"))
    assert list(data)[-len(SECTIONS) :] == list(SECTIONS)
    at = [html.index(heading) for heading in HEADINGS_JA]
    assert at == sorted(at), "the sections are printed in order"
    assert html.index("確認欄") > at[-1]  # the signature block comes last
    assert data["plan"]["short"] in done.stdout
    # 1: the plan, the section, the contractor
    assert (
        data["subject"]["section"] == "住宅課" and data["subject"]["company"] == "株式会社サンプル"
    )
    # 2: every column, its label, where it comes from, personal or not
    tenants = next(t for t in data["personal_data"]["tables"] if t["name"] == "tenants")
    columns = {c["name"]: c for c in tenants["columns"]}
    assert columns["name"]["label"] == "氏名" and columns["name"]["from"] == ["氏名"]
    assert columns["name"]["personal"] and columns["name"]["basis"] == "read"
    assert not columns["estate"]["personal"] and columns["estate"]["basis"] == "declared"
    applicants = next(t for t in data["personal_data"]["tables"] if t["name"] == "applicants")
    assert applicants["destination"] == "import_file"
    assert "シート名" in html and "セル A1（表題）" in html  # =sheet and =A1 in words
    # 3: the place and PC, the stages in order, the target's kind
    assert data["flow"]["site"]["pc"] == "資産番号 H-2010-031"
    assert data["flow"]["stages"] == ["extract", "map", "validate", "load", "reconcile", "report"]
    assert data["flow"]["target"]["kind"] == "sqlite"
    # 6: approvers with their substitutes, the operator, the witnesses
    approvals = {a["role"]: a for a in data["approval"]["approvals"]}
    assert approvals["係長"] == {"role": "係長", "usual": "承認 一郎", "substitutes": ["代理 三郎"]}
    assert "代理 三郎" in html and "作業 太郎" in html and "立会 次郎" in html
    # 8: certifications valid on the production date
    assert [c["status"] for c in data["certifications"]["items"]] == ["valid", "valid"]
    assert "令和81年3月31日" in html  # 2099-03-31 in the era
    # 9: the hash the council approves
    assert data["record"]["plan_sha256"] in html and data["record"]["files"]["plan"] in html
    # the fixture declares everything but the media rule
    assert _codes(data) == ["no_media_rule"]
    again = ikou("brief", str(production_plan), "--out", str(folder))
    assert again.returncode == 2 and "already exists" in again.stderr  # never replaced
    assert json.loads((folder / "brief.json").read_text(encoding="utf-8")) == data


def test_the_brief_never_opens_a_source(production_plan: Path) -> None:
    """Test and live files deleted, garbled, or FIFOs that would block any reader
    forever: the brief is written all the same, and says the same."""
    _, before = brief(production_plan, "--production-date", "2027-01-15")
    data = production_plan.parent / "data"
    for path in data.glob("ledger*.xls"):
        path.unlink()
    (data / "members.docx").write_bytes(b"\x00garbled\xff" * 100)
    for path in (data / "live").iterdir():
        path.unlink()
        os.mkfifo(path)
    (data / "applicants.ods").unlink()
    os.mkfifo(data / "applicants.ods")
    html, after = brief(production_plan, "--production-date", "2027-01-15")
    for heading in HEADINGS_JA:
        assert heading in html
    for section in ("subject", "personal_data", "flow", "approval", "copies", "record"):
        assert after[section] == before[section]
    assert after["test_data"]["sources"][0] == {
        "source": "ledger",
        "rehearsal": "data/ledger*.xls",
        "kind": "absent",
        "files": 0,
        "made_by": [],
    }


def test_a_certification_expiring_before_production_is_a_warning(production_plan: Path) -> None:
    html, data = brief(production_plan, "--production-date", "2099-04-01")
    expiring = [w for w in data["warnings"] if w["code"] == "certification_expires"]
    assert [w["params"]["name"] for w in expiring] == ["ISMS", "Pマーク"]
    assert all(w["section"] == "certifications" for w in expiring)
    assert html.count("本番移行の予定日より前です") >= 2
    assert "本番予定日より前に期限切れ" in html
    _, soon = brief(production_plan, "--production-date", "2099-03-01")
    assert "certification_expires" not in _codes(soon)
    assert {c["status"] for c in soon["certifications"]["items"]} == {"expires_soon"}


def test_a_plan_without_people_says_so_plainly(housing_plan: Path) -> None:
    html, data = brief(housing_plan)
    assert data["approval"] == {
        "declared": False,
        "warnings": [{"code": "no_people", "params": {}}],
    }
    assert {"no_people", "no_vendor", "no_production_source"} <= set(_codes(data))
    assert LABELS["ja"]["people_missing"] in html
    assert LABELS["ja"]["warn_no_people"] in html


def test_a_profile_gives_counts_and_never_its_kept_values(housing_plan: Path) -> None:
    profile = housing_plan.parent / "ledger-profile.yaml"
    profile.write_text(yaml.safe_dump(bundled_profile(), allow_unicode=True), encoding="utf-8")
    html, data = brief(housing_plan, "--profile", str(profile))
    tenants = next(t for t in data["personal_data"]["tables"] if t["name"] == "tenants")
    assert tenants["records"] == 300
    sheets = data["personal_data"]["profile"]["sources"]["ledger"]["sheets"]
    assert sheets == [{"file": 1, "position": 1, "name": "入居者台帳", "records": 300}]
    members = next(t for t in data["personal_data"]["tables"] if t["name"] == "members")
    assert members["records"] is None
    kept = data["test_data"]["profile"]["kept"]
    assert kept == [
        {"column": "団地名", "feeds": [{"table": "tenants", "column": "estate"}], "personal": False}
    ]
    text = html + json.dumps(data, ensure_ascii=False)
    for value in ("緑町住宅", "港南ハイツ", "青葉台団地", "桜ヶ丘団地", "東山"):
        assert value not in text, "a value the profile keeps is in the brief"
    # the same profile against a contract that leaves 団地 personal: a warning
    contract = housing_plan.parent / "contract.yaml"
    contract.write_text(
        contract.read_text(encoding="utf-8").replace("personal: false", "personal: true"), "utf-8"
    )
    html, data = brief(housing_plan, "--profile", str(profile))
    assert "kept_values_personal" in _codes(data)
    assert "プロファイルは列「団地名」の値を保持しています" in html


def test_url_credentials_never_appear(housing_plan: Path) -> None:
    text = housing_plan.read_text(encoding="utf-8").replace(
        "  url: postgresql://housing@db.example.invalid/housing",
        "  url: postgresql://loader:s3cr3t-pw@db.example.invalid:5433/housing?sslpassword=q9x\n"
        "  rehearsal_url: postgresql://rehearser:r3h-pw@127.0.0.1/housing_rehearsal",
    )
    housing_plan.write_text(text, encoding="utf-8")
    done = ikou("brief", str(housing_plan))
    assert done.returncode == 0, done.stderr
    folder = Path(re.search(r"^brief:\s+(.+)$", done.stdout, re.M)[1]).parent
    written = "".join(p.read_text(encoding="utf-8") for p in folder.iterdir()) + done.stdout
    for secret in ("s3cr3t", "loader", "sslpassword", "q9x", "rehearser", "r3h-pw"):
        assert secret not in written
    assert "PostgreSQL（db.example.invalid:5433/housing）" in written


def test_the_registered_media_and_their_holders_are_listed(
    housing_plan: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ikou.pipeline.media.devices import make_folder_medium
    from ikou.pipeline.media.register import register

    bay = tmp_path / "usb"
    bay.mkdir()
    monkeypatch.setenv("IKOU_MEDIA_BAY", str(bay))
    monkeypatch.setenv("IKOU_MEDIA_DIR", str(tmp_path / "pc-media"))
    html, data = brief(housing_plan)  # no register yet: said, not failed
    assert data["handover"]["register"] == {"state": "none", "media": []}
    assert not (tmp_path / "pc-media").exists()  # a brief creates no register
    register(make_folder_medium(bay, "stick-1", label="H01"), "住宅 花子")
    html, data = brief(housing_plan)
    assert [(m["id"], m["holder"]) for m in data["handover"]["register"]["media"]] == [
        ("USB-001", "住宅 花子")
    ]
    assert "住宅 花子" in html and "使用中" in html
    log = tmp_path / "pc-media" / "media.log"
    log.write_text(log.read_text(encoding="utf-8") + "garbage\n", encoding="utf-8")
    html, data = brief(housing_plan)  # a register that does not verify: a warning
    assert data["handover"]["register"]["state"] == "unverified"
    assert "register_unverified" in _codes(data) and "住宅 花子" not in html


def test_bad_input_is_exit_2(housing_plan: Path, tmp_path: Path) -> None:
    not_a_profile = tmp_path / "p.yaml"
    not_a_profile.write_text("just: text\n", encoding="utf-8")
    done = ikou("brief", str(housing_plan), "--profile", str(not_a_profile))
    assert done.returncode == 2 and "is not an ikou profile" in done.stderr
    a_file = tmp_path / "file"
    a_file.write_text("x", encoding="utf-8")
    done = ikou("brief", str(housing_plan), "--out", str(a_file))
    assert done.returncode == 2 and "is a file" in done.stderr
    done = ikou("brief", str(housing_plan), "--production-date", "R9.1.1")
    assert done.returncode == 2
    assert not (housing_plan.parent / "ikou-work" / "briefs").exists()


def test_the_brief_in_english(production_plan: Path) -> None:
    html, data = brief(production_plan, "--lang", "en", "--production-date", "2027-01-15")
    for heading in ("1. Subject and purpose", "2. Personal data handled", "Acknowledgement"):
        assert heading in html
    assert "取り扱う個人情報" not in html and "確認欄" not in html
    assert "31 Mar 2099" in html and data["lang"] == "en"
    assert '<html lang="en">' in html


def test_a_printed_brief_carries_the_plan_on_every_page(
    production_plan: Path,
    chromium: str,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    out = tmp_path / "brief"
    _, data = brief(production_plan, "--out", str(out), "--production-date", "2027-01-15")
    pages = print_pdf(chromium, out / "brief.html", tmp_path / "brief.pdf")
    assert 4 <= len(pages) <= 9, f"{len(pages)} A4 pages"
    short = data["plan"]["short"]
    for number, page in enumerate(pages, 1):
        assert re.search(rf"\b{number} / {len(pages)}\b", page), f"page {number}: no 'n / N'"
        assert short in page, f"page {number} does not carry the plan's hash"
    block = [n for n, page in enumerate(pages) if "確認欄" in page]
    assert block == [len(pages) - 1], "the signature block is the last page, and only one"
    last = pages[-1]
    for words in ("所管課", "住宅課", "委託業者 代表者", "株式会社サンプル", "印", "令和"):
        assert words in last
    assert data["plan"]["sha256"] in last.replace(" ", "").replace("\n", "")
