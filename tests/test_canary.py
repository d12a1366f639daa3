"""Canary: unique values planted in every column never leave the target database.

A synthetic ledger is filled with recognisable values — in loaded rows and in
rejected rows, in the title above the header — and a rehearsal runs as a
separate process with its own HOME and TMPDIR. Then every byte ikou wrote
outside the target database (reports, audit log, run folder, temp and home
folders, stdout and stderr) is scanned for them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import zipfile
from pathlib import Path

import xlwt

from ikou.pipeline.examples import example_files
from ikou.pipeline.examples.applicants import make_applicants, write_applicants
from ikou.pipeline.examples.housing import (
    ESTATES,
    HEADER,
    Members,
    make_ledger,
    make_members,
    write_members_docx,
    write_xls,
)
from tests.conftest import run_ikou, write_files

# (pattern, what it is); numeric canaries must not touch other hex/decimal digits
CANARIES = [
    (r"カナリア", "any planted text"),
    (r"雀野", "name"),
    (r"(?<![0-9a-fA-F])91827\d(?![0-9a-fA-F])", "tenant number"),
    (r"S6\.7\.13|1931-07-13|1931/07/13", "birth date"),
    (r"(?<![0-9a-fA-F])0?9?0?-?8765-?4321(?![0-9a-fA-F])", "phone"),
    (r"K-997\d", "room"),
    (r"H7\.11\.29|1995-11-29|1995/11/29", "move-in date"),
    (r"(?<![0-9a-fA-F])271,?81[3-6](?![0-9a-fA-F])", "rent"),
    (r"ﾂﾊﾞﾒ|ツバメ", "kana"),
]


def _canary_ledger(path: Path) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("入居者台帳")
    sheet.write(0, 0, "カナリア表題 雀野")
    for col, name in enumerate(HEADER):
        sheet.write(3, col, name)
    rows = []
    for i in range(4):  # loaded rows, every column planted
        rows.append(
            [
                f"91827{i}",
                f"雀野 カナリア{i}",
                "ﾂﾊﾞﾒ ｶﾅﾘｱ",
                "S6.7.13",
                "090-8765-4321",
                ESTATES[i % len(ESTATES)],
                f"K-997{i}",
                "H7.11.29",
                f"{271813 + i:,}",
                float(i + 1),
                f"カナリア備考{i}",
            ]
        )
    rows.append(
        [
            "918279",
            "雀野 カナリア9",
            "ツバメ",
            "カナリア日付",
            "090-8765-4321",
            "カナリア団地",
            "K-9979",
            dt.date(1995, 11, 29),
            "カナリア家賃",
            2.0,
            "カナリア",
        ]
    )
    rows.append([None, "合計", None, None, None, None, None, None, "カナリア合計", None, None])
    date_style = xlwt.easyxf(num_format_str="yyyy/mm/dd")
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(
                    r,
                    c,
                    value,
                    date_style if isinstance(value, dt.date) else xlwt.Style.default_style,
                )
    book.save(str(path))


def _canary_members(path: Path) -> None:
    """Household members of the canary tenants: loaded, orphaned and refused rows."""
    rows = [[f"91827{i}", "1", "妻", f"雀野 カナリア妻{i}", "S6.7.13"] for i in range(4)]
    rows.append(["918279", "1", "子", "雀野 カナリア子", "H7.11.29"])  # its tenant is rejected
    rows.append(["918270", "2", "カナリア続柄", "雀野 カナリア", "S6.7.13"])  # unknown relation
    write_members_docx(Members(rows, 2), path)


def _canary_applicants(path: Path) -> None:
    """The waiting list with canaries: a title, an unspaced name, a phone no one can
    dial (loaded empty), a postal code of another city, and a row rejected for its date."""
    from ikou.pipeline.examples.applicants import APPLICANT_HEADER, Applicants, write_applicants

    rows = [
        ["W91827", "雀野カナリア", "カナリア電話", "100-0001", "カナリア町1-2-3", "R6.7.13", 2.0],
        ["W91828", "雀野 ツバメ", "090-8765-4321", "999-9999", "東京都千代田区千代田1-1",
         "H7.11.29", 3.0],
        [None] * 6 + [5.0],
    ]  # fmt: skip
    assert len(rows[0]) == len(APPLICANT_HEADER)
    write_applicants(Applicants({ESTATES[0]: rows}, 0, 1, 1, 1), path, title="カナリア名簿 雀野")


def _scan(root: Path, skip: set[Path], extra: dict[str, str]) -> list[str]:
    """Hits of any canary in the files under ``root`` (zip packages unpacked too:
    a leaked .docx/.xlsx copy hides its text from a byte scan) and in ``extra``."""
    hits = []
    blobs = dict(extra)
    for path in root.rglob("*"):
        if path.is_file() and path not in skip:
            blobs[str(path)] = path.read_bytes().decode("utf-8", errors="replace")
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    for member in archive.namelist():
                        text = archive.read(member).decode("utf-8", errors="replace")
                        blobs[f"{path}!{member}"] = text
    for name, text in blobs.items():
        for pattern, what in CANARIES:
            if re.search(pattern, text):
                hits.append(f"{what} in {name}")
    return hits


def test_no_planted_value_escapes(tmp_path: Path) -> None:
    work = tmp_path / "office"
    write_files(work, example_files())
    mapping = work / "mapping.yaml"  # the planted 合計 cannot be read: report it, don't fail
    text = mapping.read_text(encoding="utf-8").replace(
        "columns: [rent]", "columns: [rent]\n        informative: true"
    )
    mapping.write_text(text, encoding="utf-8")
    (work / "data").mkdir()
    ledger = work / "data" / "ledger.xls"
    _canary_ledger(ledger)
    members = work / "data" / "members.docx"
    _canary_members(members)
    _canary_applicants(work / "data" / "applicants.ods")
    home, temp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temp.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "TMPDIR": str(temp),
        "TEMP": str(temp),
        "TMP": str(temp),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    outputs = {}
    for lang in ("ja", "en"):
        done = run_ikou("rehearse", str(work / "plan.yaml"), "--lang", lang, env=env, cwd=work)
        assert done.returncode == 0, done.stderr
        outputs[f"stdout {lang}"] = done.stdout
        outputs[f"stderr {lang}"] = done.stderr
    # a run killed mid-load (rows inserted, never committed) …
    killed = run_ikou(
        "rehearse", str(work / "plan.yaml"), env={**env, "IKOU_FAULT": "load"}, cwd=work
    )
    assert killed.returncode == -9
    outputs["stdout killed"], outputs["stderr killed"] = killed.stdout, killed.stderr
    # … and a run that fails after reading everything (its target is not empty)
    full = tmp_path / "full.sqlite"
    with sqlite3.connect(full) as connection:
        connection.execute("CREATE TABLE tenants (tenant_id TEXT)")
        connection.execute("INSERT INTO tenants VALUES ('x')")
    failing = work / "failing.yaml"
    failing.write_text(
        (work / "plan.yaml").read_text(encoding="utf-8")
        + f"  rehearsal_url: sqlite:///{full.as_posix()}\n",
        encoding="utf-8",
    )
    failed = run_ikou("rehearse", str(failing), env=env, cwd=work)
    assert failed.returncode == 2, failed.stderr
    assert "recovered interrupted run" in failed.stderr  # the killed run, cleaned up
    outputs["stdout failed"], outputs["stderr failed"] = failed.stdout, failed.stderr
    # the production run of the canary files (moved to data/live: a rehearsal refuses a
    # production file, so it rehearses on a fresh synthetic ledger), its sign-off sheet,
    # and a later reconcile
    (work / "data" / "live").mkdir()
    for name in ("ledger.xls", "members.docx", "applicants.ods"):
        (work / "data" / name).rename(work / "data" / "live" / name)
    write_xls(make_ledger(120, 99), work / "data" / "ledger.xls")
    write_members_docx(make_members(120, 99), work / "data" / "members.docx")
    write_applicants(make_applicants(seed=99), work / "data" / "applicants.ods")
    live = tmp_path / "new-system.sqlite"
    production = work / "production.yaml"
    production.write_text(
        (work / "plan.yaml")
        .read_text(encoding="utf-8")
        .replace(
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
        .replace("postgresql://housing@db.example.invalid/housing", f"sqlite:///{live.as_posix()}")
        + "people:\n  owner: 住宅課\n  operator: 作業 太郎\n  witnesses: [立会 花子]\n"
        "  approvals:\n    課長: [承認 四郎]\n",
        encoding="utf-8",
    )
    (work / "signoff.yaml").write_text(
        "witness: 立会 花子\napprovals:\n  課長: 承認 四郎\n", encoding="utf-8"
    )
    approval = "--body 審議会 --item 諮問第1号 --date 2010-10-07 --decision approved".split()
    for name, args in (
        ("rehearse production", ["rehearse", str(production)]),
        ("council", ["council", "record", str(production), *approval]),
        ("migrate", ["migrate", str(production), "--signoff", str(work / "signoff.yaml")]),
        ("reconcile", ["reconcile", str(production)]),
        ("shred", ["shred", str(production), "--certificate", "--witness", "立会 花子"]),
    ):
        done = run_ikou(*args, env=env, cwd=work)
        assert done.returncode == 0, (name, done.stdout, done.stderr)
        outputs[f"stdout {name}"], outputs[f"stderr {name}"] = done.stdout, done.stderr
    assert "雀野".encode() in live.read_bytes()  # the canaries reached the new system
    sheets = [
        p
        for p in work.glob("ikou-work/runs/*/report.html")
        if "移行完了確認書" in p.read_text("utf-8")
    ]
    assert len(sheets) == 1  # the sign-off sheet is among the files scanned below
    log = work / "ikou-work" / "audit.log"
    done = run_ikou("audit", "verify", str(log), env=env, timeout=60)
    outputs["verify"] = done.stdout + done.stderr
    # the council's brief of the production plan, with a profile of the live ledger that
    # keeps the planted names (a profile a careless office made): counts, never a value
    profile = tmp_path / "ledger-profile.yaml"
    done = run_ikou(
        "profile", str(work / "data" / "live" / "ledger.xls"), "-o", str(profile),
        "--keep-values", "氏名,団地名", env=env, cwd=work,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "雀野".encode() in profile.read_bytes()  # kept: the brief must still not show it
    briefs = work / "ikou-work" / "briefs"
    for lang in ("ja", "en"):
        args = ["--profile", str(profile), "--lang", lang, "--out", str(briefs / lang)]
        done = run_ikou("brief", str(production), *args, env=env, cwd=work)
        assert done.returncode == 0, done.stderr
        outputs[f"stdout brief {lang}"], outputs[f"stderr brief {lang}"] = done.stdout, done.stderr
        assert "kept_values_personal" in (briefs / lang / "brief.json").read_text("utf-8")

    # ikou shred destroyed every rehearsal target; what stays is the new system's database
    assert not list(work.glob("ikou-work/runs/*/target.sqlite*"))
    targets = {full, live}
    runs = sorted(work.glob("ikou-work/runs/*/report.json"))  # the first: the canary rehearsal
    reports = [p.read_text(encoding="utf-8") for p in runs]
    assert sum('"status": "failed"' in r for r in reports) == 1
    report = next(r for r in reports if '"status": "reconciled"' in r)
    assert '"rejected": 1' in report and '"loaded": 4' in report
    assert '"rejected": 2' in report  # the members: an orphan and an unknown relation

    names = (
        "plan.yaml",
        "failing.yaml",
        "production.yaml",
        "signoff.yaml",
        "mapping.yaml",
        "contract.yaml",
        "estates.csv",
    )
    planted = [work / "data" / "live" / n for n in ("ledger.xls", "members.docx", "applicants.ods")]
    inputs = {*planted, *(work / n for n in names), profile}
    hits = _scan(tmp_path, targets | inputs, outputs)
    scratch = Path("/dev/shm")
    if scratch.is_dir():  # RAM-backed scratch: every run's folder is gone
        runs = [p.name for p in work.glob("ikou-work/runs/*")]
        assert not [p for p in scratch.glob("ikou-*") if p.name.removeprefix("ikou-") in runs]
    assert hits == []


def test_a_profile_of_a_canary_file_holds_none_of_them(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.xls"
    _canary_ledger(ledger)
    out = tmp_path / "profile.yaml"
    done = run_ikou("profile", str(ledger), "-o", str(out), timeout=120)
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert "氏名" in text and "header_row: 4" in text  # structure is there …
    hits = [what for pattern, what in CANARIES if re.search(pattern, text + done.stdout)]
    assert hits == []  # … values are not


def _canary_records(count: int) -> list[list[str]]:
    """Records whose every cell is a canary; as text, as a CSV holds them."""
    return [
        [
            f"91827{i}",
            f"雀野 カナリア{i}",
            "ﾂﾊﾞﾒ ｶﾅﾘｱ",
            "S6.7.13",
            "090-8765-4321",
            f"K-997{i}",
            f"{271813 + i:,}",
            f"カナリア備考{i}",
        ]
        for i in range(count)
    ]


def _profile_hits(path: Path, tmp_path: Path) -> tuple[str, list[str]]:
    out = tmp_path / f"{path.name}.profile.yaml"
    done = run_ikou("profile", str(path), "-o", str(out), timeout=120)
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8") + done.stdout + done.stderr
    return text, [what for pattern, what in CANARIES if re.search(pattern, text)]


def test_a_csv_whose_first_record_has_the_most_text_cells_leaves_no_value(
    tmp_path: Path,
) -> None:
    """A two-row header over a CSV: every cell is text, so the first record has
    the most text cells; taking it for the header would write it as names."""
    path = tmp_path / "list.csv"
    rows = [
        ["入居者番号", "入居者", "", "", "連絡先", "", "家賃", ""],
        ["", "氏名", "フリガナ", "生年月日", "電話番号", "部屋番号", "", "備考"],
        *_canary_records(6),
    ]
    path.write_bytes("\r\n".join(",".join(f'"{c}"' for c in r) for r in rows).encode("cp932"))
    text, hits = _profile_hits(path, tmp_path)
    assert hits == []
    assert "電話番号" in text  # a header is still found: the real one


def test_a_sheet_of_records_without_a_header_is_named_by_letter(tmp_path: Path) -> None:
    """Records from the first row, no header at all: nothing can be believed."""
    path = tmp_path / "records.xls"
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("台帳")
    for r, row in enumerate(_canary_records(8)):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(path))
    text, hits = _profile_hits(path, tmp_path)
    assert hits == []
    assert "header not found: give --header-row" in text
    assert "header_row: null" in text
