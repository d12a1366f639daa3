"""The vendor's import file (issue 19): CP932 CSV or fixed-length records, written
aside, read back and reconciled, placed with the commit, listed and shredded."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ikou.audit.hashing import row_digests
from ikou.errors import ConfigError
from ikou.pipeline.importspec import ImportColumn, ImportFile
from ikou.pipeline.plan import load_plan
from ikou.pipeline.run import rehearse
from ikou.pipeline.stages.extract import run_extract
from ikou.pipeline.stages.importfile import Column, Layout, _cell, parse, render
from ikou.pipeline.stages.map import run_map
from ikou.pipeline.stages.validate import full_frame, run_validate
from tests.conftest import chain_events, keep_target, run_ikou, write_files
from tests.pipeline.conftest import SIGNOFF, ikou

CONTRACT = """\
contract: people
version: 1
tables:
  people:
    primary_key: person_id
    columns:
      person_id: {type: string, required: true}
      name: {type: string}
      note: {type: string}
      amount: {type: integer}
      born: {type: date}
"""

MAPPING = """\
mapping: people
tables:
  people:
    source: people
    columns:
      person_id: {from: id}
      name: {from: name}
      note: {from: note}
      amount: {from: amount, transforms: [integer]}
      born: {from: born, transforms: [date]}
    controls:
      - count
      - sum: amount
"""

ROWS = [
    ["P001", "髙橋 一郎", "=SUM(A1)", "-5", "1970-03-12"],
    ["P002", "渡邊 花子", "+81-3-1234-5678", "1200", "1985-11-02"],
    ["P003", "佐藤 次郎", "@x", "0", "2001-01-31"],
    ["P004", "鈴木 三郎", "-", "-42", "1999-12-31"],
    ["P005", "田中 四郎", "", "", ""],
]


def small_plan(folder: Path, files: str, rows: list[list[str]] | None = None) -> Path:
    """A one-table plan (people, from a UTF-8 CSV) whose table goes to ``files``
    (YAML under ``target.files.people``)."""
    body = io.StringIO(newline="")
    writer = csv.writer(body)
    writer.writerow(["id", "name", "note", "amount", "born"])
    writer.writerows(ROWS if rows is None else rows)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "people.csv").write_text(body.getvalue(), encoding="utf-8", newline="")
    indented = "".join(f"      {line}\n" for line in files.strip().splitlines())
    plan = (
        "plan: import-file-test\nmapping: mapping.yaml\ncontract: contract.yaml\n"
        "sources:\n  people:\n    rehearsal: data/people.csv\n    encoding: utf-8\n"
        f"target:\n  files:\n    people:\n{indented}"
    )
    write_files(folder, {"plan.yaml": plan, "mapping.yaml": MAPPING, "contract.yaml": CONTRACT})
    return folder / "plan.yaml"


def _file(result: Any, table: str, suffix: str = ".csv") -> Path:
    return result.run_dir / "import" / f"{table}{suffix}"


def test_the_demo_import_file_reads_back_to_the_same_row_digests(housing_plan: Path) -> None:
    keep_target(housing_plan)  # the test reads the file
    result = rehearse(housing_plan)
    assert result.report.status == "reconciled"
    (facts,) = result.report.data["import_files"]
    assert facts["table"] == "applicants" and facts["kept"] == "keep_target"
    path = _file(result, "applicants")
    data = path.read_bytes()
    assert facts["sha256"] == hashlib.sha256(data).hexdigest()
    assert facts["size"] == len(data)
    text = data.decode("cp932")  # the bytes are CP932 …
    assert data.endswith(b"\r\n") and data.count(b"\n") == data.count(b"\r\n")  # … lines CRLF
    records = list(csv.reader(io.StringIO(text, newline="")))
    assert records[0] == ["受付番号", "氏", "名", "電話番号", "郵便番号", "住所", "希望団地",
                          "受付日", "世帯人数", "名簿名"]  # fmt: skip
    assert len(records) - 1 == facts["rows"] == result.report.data["tables"]["applicants"]["loaded"]

    # the accepted rows, made again from the same files, against the file parsed on its own
    plan = load_plan(housing_plan)
    raws, _ = run_extract(plan)
    mapped, _ = run_map(plan, raws)
    validated, _ = run_validate(plan, mapped, raws)
    contract = plan.contract.tables["applicants"]
    order = ["application_no", "family_name", "given_name", "phone", "postal_code", "address",
             "estate", "received", "household_size", "list_name"]  # fmt: skip
    kinds = {c: contract.kinds()[c] for c in order}
    accepted = full_frame(validated.tables["applicants"], contract.kinds())[order].copy()
    accepted["family_name"] = accepted["family_name"].str.replace("𠮷", "吉")  # the 外字表
    parsed = [[v or None for v in record] for record in records[1:]]  # an empty field is a null
    for row in parsed:
        row[7] = dt.datetime.strptime(row[7], "%Y/%m/%d").date()
        row[8] = None if row[8] is None else int(row[8])
    back = pd.DataFrame(parsed, columns=order)
    assert sorted(row_digests(back, kinds)) == sorted(row_digests(accepted, kinds))
    assert facts["substitutions"] == [
        {"column": "family_name", "char": "𠮷", "to": "吉", "count": 1}
    ]
    html = result.report_html.read_text("utf-8")
    assert "移行先ファイル（ベンダーの取込ファイル）" in html and facts["sha256"] in html
    assert "U+20BB7" in html and "外字の置換" in html
    events = chain_events(housing_plan.parent / "ikou-work" / "audit.log")
    placed = [e for e in events if e.get("stage") == "import-file" and e["outcome"] == "placed"]
    assert placed and placed[-1]["sha256"] == facts["sha256"]
    journal = chain_events(housing_plan.parent / "ikou-work" / "custody.journal")
    assert any(e.get("event") == "import.placed" for e in journal)


def test_the_demo_import_file_is_shredded_with_its_rehearsal(housing_plan: Path) -> None:
    result = rehearse(housing_plan)
    assert result.report.status == "reconciled"
    (facts,) = result.report.data["import_files"]
    assert facts["shredded"] and facts["verified"] and facts["kept"] is None
    assert not any((result.run_dir / "import").iterdir())


def test_formula_cells_are_escaped_and_numbers_are_not(tmp_path: Path) -> None:
    plan = small_plan(tmp_path, "format: csv\nencoding: cp932")
    keep_target(plan)
    result = rehearse(plan)
    assert result.report.status == "reconciled", result.report.data["tables"]
    text = _file(result, "people").read_bytes().decode("cp932")
    assert "'=SUM(A1)" in text and "'+81-3-1234-5678" in text and "'@x" in text
    assert "\r\n" in text and ",-5," in text and ",-42," in text  # numbers: never escaped
    assert ",'-," in text  # a text that is only a minus is a text
    table = result.report.data["tables"]["people"]
    assert table["loaded"] == 5 and table["rejected"] == 0  # read back unescaped: balanced


def test_a_text_already_starting_with_the_escape_is_a_reject(tmp_path: Path) -> None:
    rows = [*ROWS, ["P006", "高木 五郎", "'=1+1", "1", "2000-01-01"]]
    result = rehearse(small_plan(tmp_path, "format: csv", rows))
    table = result.report.data["tables"]["people"]
    assert result.report.status == "reconciled" and table["loaded"] == 5
    assert table["rejects"] == [
        {
            "file": "data/people.csv",
            "sheet": "",
            "row": 7,
            "reasons": ["note.import.unrepresentable"],
        }
    ]


def test_no_escape_when_the_plan_says_none(tmp_path: Path) -> None:
    plan = small_plan(tmp_path, "format: csv\nformula_escape: none\nquoting: all")
    keep_target(plan)
    result = rehearse(plan)
    assert result.report.status == "reconciled"
    text = _file(result, "people").read_text("cp932")
    assert '"=SUM(A1)"' in text and '"-5"' in text


def test_an_unencodable_character_is_a_reject_naming_row_and_column(tmp_path: Path) -> None:
    rows = [*ROWS, ["P006", "𠮷田 五郎", "", "1", "2000-01-01"], ["P007", "塚本 〜", "", "", ""]]
    done = run_ikou("rehearse", str(small_plan(tmp_path, "format: csv", rows)), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    table = report["tables"]["people"]
    assert table["rejects_by_reason"] == {"name.import.unencodable": 2}  # 𠮷; 〜 (CP932: ～)
    assert [(r["row"], r["reasons"]) for r in table["rejects"]] == [
        (7, ["name.import.unencodable"]), (8, ["name.import.unencodable"])
    ]  # fmt: skip
    assert table["source_rows"] == table["skipped"] + table["rejected"] + table["loaded"]
    html = Path(report["audit_log"]).parent.joinpath("runs", report["run_id"], "report.html")
    assert "移行先ファイルの文字コードで表せない文字があります" in html.read_text("utf-8")
    assert "𠮷" not in done.stdout + done.stderr  # never a value, not even in a message


def test_fa10_is_cp932_but_not_shift_jis(tmp_path: Path) -> None:
    rows = [["P001", "\ufa10本 一郎", "", "", ""]]
    cp932 = rehearse(small_plan(tmp_path / "a", "format: csv", rows))
    assert cp932.report.data["tables"]["people"]["loaded"] == 1
    strict = rehearse(small_plan(tmp_path / "b", "format: csv\nencoding: shift_jis", rows))
    assert strict.report.data["tables"]["people"]["rejects_by_reason"] == {
        "name.import.unencodable": 1
    }


def test_shift_jis_never_writes_a_backslash_or_tilde_the_vendor_reads_as_yen(
    tmp_path: Path,
) -> None:
    """In Shift_JIS (JIS X 0201) 0x5C is ¥ and 0x7E is ‾: a cell holding \\ or ~
    would reach the vendor as another character, so it is a reject naming the cell."""
    rows = [
        *ROWS,
        ["P006", "山田 太郎", "C:\\data", "1", "2000-01-01"],
        ["P007", "a~b", "", "", ""],
    ]
    done = run_ikou(
        "rehearse", str(small_plan(tmp_path, "format: csv\nencoding: shift_jis", rows)), "--json"
    )
    assert done.returncode == 0, done.stderr
    table = json.loads(done.stdout)["tables"]["people"]
    assert table["rejects_by_reason"] == {
        "name.import.unencodable": 2,
        "note.import.unencodable": 1,
    }  # fmt: skip  (names: a~b, and 髙, which Shift_JIS lacks; notes: C:\\data)


def test_a_gaiji_table_substitutes_and_the_report_lists_it(tmp_path: Path) -> None:
    rows = [*ROWS, ["P006", "𠮷田 𠮷", "〜", "1", "2000-01-01"]]
    (tmp_path / "gaiji.csv").write_text("from,to\n𠮷,吉\n〜,～\n", encoding="utf-8")
    plan = small_plan(tmp_path, "format: csv\ngaiji: gaiji.csv", rows)
    keep_target(plan)
    result = rehearse(plan)
    assert result.report.status == "reconciled"  # read back with the substitutions undone
    assert result.report.data["tables"]["people"]["loaded"] == 6
    (facts,) = result.report.data["import_files"]
    assert facts["substitutions"] == [
        {"column": "name", "char": "𠮷", "to": "吉", "count": 2},
        {"column": "note", "char": "〜", "to": "～", "count": 1},
    ]
    assert "吉田 吉" in _file(result, "people").read_text("cp932")
    assert "gaiji:people" in load_plan(plan).file_sha256  # the table is part of the plan


FIXED = """\
format: fixed
newline: crlf
columns:
  - {column: person_id, width: 4}
  - {column: name, width: 9}
  - {column: amount, width: 5, pad: zero}
  - {column: born, width: 8}
date_format: "%Y%m%d"
"""


def test_fixed_records_count_bytes_and_never_cut_a_character(tmp_path: Path) -> None:
    rows = [
        ["P001", "髙橋 一郎", "", "-5", "1970-03-12"],  # 9 bytes: fits exactly
        ["P002", "渡邊 花子子", "", "7", "1985-11-02"],  # 11 bytes: too long
        ["P003", "佐藤", "", "", ""],
        ["P004", "A髙橋一郎", "", "12", "2001-01-01"],  # 9 bytes
        ["P005", "AB髙橋一郎", "", "12", "2001-01-01"],  # 10: never 'AB髙橋一' + half of 郎
    ]
    plan = small_plan(tmp_path, FIXED, rows)
    keep_target(plan)
    result = rehearse(plan)
    assert result.report.status == "reconciled"
    table = result.report.data["tables"]["people"]
    assert table["rejects_by_reason"] == {"name.import.too_long": 2}
    assert [r["row"] for r in table["rejects"]] == [3, 6]
    data = _file(result, "people", ".txt").read_bytes()
    records = data.split(b"\r\n")[:-1]
    assert len(records) == 3 and all(len(r) == 4 + 9 + 5 + 8 for r in records)
    assert records[0] == "P001髙橋 一郎-000519700312".encode("cp932")
    assert records[1] == b"P003" + "佐藤".encode("cp932") + b" " * 5 + b" " * 5 + b" " * 8
    for record in records:  # every field decodes on its own: nothing cut in two
        for start, end in ((0, 4), (4, 13), (13, 18), (18, 26)):
            record[start:end].decode("cp932")


def test_a_run_that_does_not_reconcile_leaves_no_import_file(housing_plan: Path) -> None:
    mapping = housing_plan.parent / "mapping.yaml"
    mapping.write_text(
        mapping.read_text("utf-8")
        + "cross_controls:\n  - name: never_equal\n    left: tenants.count\n"
        "    right: applicants.count\n",
        "utf-8",
    )
    keep_target(housing_plan)  # even kept, an unbalanced run's file is never placed
    done = ikou("rehearse", str(housing_plan), "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "unbalanced"
    (facts,) = report["import_files"]
    assert facts["state"] == "discarded" and facts["verified"]
    run = housing_plan.parent / "ikou-work" / "runs" / report["run_id"]
    assert list((run / "import").iterdir()) == []  # neither the file nor its temporary name
    events = chain_events(housing_plan.parent / "ikou-work" / "audit.log")
    ours = [e["outcome"] for e in events if e.get("stage") == "import-file"]
    assert ours == ["registered", "discarded"]


def test_a_link_planted_where_a_killed_run_left_its_file_is_never_destroyed(
    housing_plan: Path, tmp_path: Path
) -> None:
    """An insider replaces a dead run's temporary file with a hard link to a file of
    their choosing: the next run's cleanup sees it is not the file the journal
    records and leaves it — and the victim — untouched, saying so."""
    import os

    killed = ikou("rehearse", str(housing_plan), env={"IKOU_FAULT": "load"})
    assert killed.returncode == -9
    (left,) = list((housing_plan.parent / "ikou-work" / "runs").glob("*/import/.*.part"))
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file\n", encoding="utf-8")
    left.unlink()
    os.link(victim, left)
    done = ikou("rehearse", str(housing_plan))
    assert done.returncode == 0, done.stderr
    assert victim.read_text(encoding="utf-8") == "someone else's file\n"
    journal = chain_events(housing_plan.parent / "ikou-work" / "custody.journal")
    dead = left.parent.parent.name
    said = [e for e in journal if e.get("event") == "import.discarded" and e["run_id"] == dead]
    assert said and said[-1]["verified"] is False and said[-1]["reason"] == "not_ours"


@pytest.mark.parametrize(("command", "code"), [("rehearse", 0), ("reconcile", 2)])
def test_a_killed_run_leaves_its_file_to_the_next_one(
    housing_plan: Path, command: str, code: int
) -> None:
    """Whatever command opens the workspace next ends it — even one that then
    refuses (a rehearsal workspace has no seal to reconcile)."""
    killed = ikou("rehearse", str(housing_plan), env={"IKOU_FAULT": "load"})
    assert killed.returncode == -9
    runs = housing_plan.parent / "ikou-work" / "runs"
    (left,) = list(runs.glob("*/import/.applicants.csv.*.part"))  # written aside, never placed
    done = ikou(command, str(housing_plan))
    assert done.returncode == code, done.stderr
    assert not left.exists()
    journal = chain_events(housing_plan.parent / "ikou-work" / "custody.journal")
    dead = left.parent.parent.name
    assert any(e.get("event") == "import.discarded" and e["run_id"] == dead for e in journal)


def test_ikou_shred_destroys_a_kept_import_file_and_certifies_it(housing_plan: Path) -> None:
    keep_target(housing_plan)
    first = rehearse(housing_plan)
    path = _file(first, "applicants")
    sha = first.report.data["import_files"][0]["sha256"]
    assert path.is_file()
    done = ikou("shred", str(housing_plan), "--certificate", "--witness", "立会 花子")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not path.exists()
    certificate = sorted((housing_plan.parent / "ikou-work" / "runs").glob("*/report.html"))[-1]
    text = certificate.read_text("utf-8")
    assert "ベンダーの取込ファイル" in text and sha in text
    ikou("shred", str(housing_plan), "--certificate", "--witness", "立会 花子")
    later = sorted((housing_plan.parent / "ikou-work" / "runs").glob("*/report.json"))[-1]
    items = json.loads(later.read_text("utf-8"))["items"]
    assert not [i for i in items if i["kind"] == "import_file"]  # journalled: never twice


def test_a_plan_of_files_only_needs_no_database(housing_plan: Path) -> None:
    text = housing_plan.read_text("utf-8").replace(
        "  files:                                  # tables the vendor takes",
        "  files:\n    tenants: {format: csv}\n    members: {format: csv, encoding: utf-8}"
        "  # tables the vendor takes",
    )
    housing_plan.write_text(text.replace("  url: postgresql://housing@db.example.invalid/housing\n",
                                         ""), "utf-8")  # fmt: skip
    keep_target(housing_plan)
    result = rehearse(housing_plan)
    assert result.report.status == "reconciled"
    assert not (result.run_dir / "target.sqlite").exists()
    assert result.report.data["target"] == "—"
    assert sorted(f["table"] for f in result.report.data["import_files"]) == [
        "applicants", "members", "tenants"
    ]  # fmt: skip
    assert _file(result, "members").read_bytes().decode("utf-8")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ("format: fixed\ncolumns: [person_id]", "need a width for person_id"),
        ("format: csv\ncolumns: [name]", "the primary key (person_id) must be in the file"),
        ("format: csv\ncolumns: [person_id, nobody]", "has no column 'nobody'"),
        ("format: fixed\ncolumns: [{column: person_id, width: 4, pad: zero}]", "pad: zero"),
        ("format: csv\nencoding: latin-1", "encoding must be one of"),
        ("format: csv\ncolumns: [person_id, {column: amount, header: 𠮷}]", "cannot be written"),
        ("format: csv\ngaiji: {𠮷田: 吉田}", "gaiji maps single characters"),
        ("format: csv\nformula_escape: '='", "formula_escape"),
        ("format: csv\nnewline: none", "newline: none is for fixed-length"),
        ("format: csv\ngaiji: missing.csv", "gaiji table cannot be read"),
        ("format: csv\ncolumns: [person_id, name]", "the control sum(amount) needs amount"),
    ],
)
def test_a_wrong_import_file_declaration_is_refused(
    tmp_path: Path, files: str, message: str
) -> None:
    plan = small_plan(tmp_path, files)
    with pytest.raises(ConfigError) as caught:
        load_plan(plan)
    assert message in str(caught.value), str(caught.value)
    assert "target.files" in str(caught.value) or "gaiji" in str(caught.value)


def test_an_existing_production_file_is_never_overwritten(production_plan: Path) -> None:
    (production_plan.parent / "vendor").mkdir()
    text = production_plan.read_text("utf-8").replace(
        "      format: csv\n", "      format: csv\n      path: vendor/applicants.csv\n", 1
    )
    production_plan.write_text(text, "utf-8")
    assert rehearse(production_plan).report.status == "reconciled"
    assert not (production_plan.parent / "vendor" / "applicants.csv").exists()  # never a rehearsal
    signoff = str(production_plan.parent / "signoff.yaml")
    (production_plan.parent / "vendor" / "applicants.csv").write_text("x", "utf-8")
    done = ikou("migrate", str(production_plan), "--signoff", signoff)
    assert done.returncode == 2 and "ikou never overwrites an import file" in done.stderr
    (production_plan.parent / "vendor" / "applicants.csv").unlink()
    done = ikou("migrate", str(production_plan), "--signoff", signoff)
    assert done.returncode == 0, done.stdout + done.stderr
    placed = production_plan.parent / "vendor" / "applicants.csv"
    assert placed.read_bytes().decode("cp932").startswith("受付番号,氏,名")
    assert not list(placed.parent.glob(".*.part"))
    later = ikou("reconcile", str(production_plan))  # the placed file is hashed again
    assert later.returncode == 0 and f"import file {placed}: unchanged" in later.stdout
    written = placed.read_bytes()
    placed.write_bytes(written.replace(b"\r\n", b"\r\n ", 1))
    later = ikou("reconcile", str(production_plan))
    assert later.returncode == 1 and "not the bytes ikou placed" in later.stderr
    placed.rename(placed.with_name("taken.csv"))  # the vendor's loader took it away
    later = ikou("reconcile", str(production_plan))
    assert later.returncode == 0 and f"import file {placed}: absent" in later.stdout
    placed.with_name("taken.csv").unlink()
    placed.write_bytes(written)
    shred = ikou("shred", str(production_plan), "--certificate", "--witness", "立会 花子")
    assert shred.returncode == 0, shred.stdout + shred.stderr
    assert not placed.exists()


def test_every_import_file_key_is_documented() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs"
    text = (docs / "plan.md").read_text("utf-8")
    for model in (ImportFile, ImportColumn):
        for key in model.model_fields:
            assert re.search(rf"^\s*- `{key}`", text, re.M), f"{model.__name__}.{key}"
    assert "## The vendor's import file" in (docs / "targets.md").read_text("utf-8")


# the codec on its own: whatever it accepts reads back as written

_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x2FFFF), max_size=12
)


def _layout(fmt: str, quoting: str) -> Layout:
    columns = (
        Column("k", "integer", "k", 6, zero=True, right=True),
        Column("t", "string", "t", 16),
    )
    fixed = fmt.startswith("fixed")
    spec = ImportFile(format="fixed" if fixed else "csv", quoting=quoting,
                      newline="none" if fmt == "fixed-none" else "crlf",
                      columns=[{"column": c.name, "width": c.width} for c in columns]
                      if fixed else None)  # fmt: skip
    return Layout("x", spec, columns, {"𠮷": "吉"}, ("k",))


@pytest.mark.parametrize(("fmt", "quoting"), [("csv", "minimal"), ("csv", "nonnumeric"),
                                              ("csv", "none"), ("fixed", "minimal"),
                                              ("fixed-none", "minimal")])  # fmt: skip
@given(texts=st.lists(_TEXT, max_size=8))
def test_what_the_codec_accepts_reads_back_as_written(
    fmt: str, quoting: str, texts: list[str]
) -> None:
    layout = _layout(fmt, quoting)
    kept = [t for t in texts if _cell(t, layout.columns[1], layout).problem is None]
    frame = pd.DataFrame({"k": list(range(-3, len(kept) - 3)), "t": kept}, dtype=object)
    rendered = render(layout, frame)
    back = parse(layout, rendered.data, rendered, "x")
    assert back.column("t").to_pylist() == kept
    assert back.column("k").to_pylist() == frame["k"].tolist()


def test_a_production_run_killed_after_its_commit_gets_its_file_placed(
    production_plan: Path,
) -> None:
    assert ikou("rehearse", str(production_plan)).returncode == 0
    signoff = str(production_plan.parent / "signoff.yaml")
    killed = ikou("migrate", str(production_plan), "--signoff", signoff,
                  env={"IKOU_FAULT": "committed"})  # fmt: skip
    assert killed.returncode == -9
    (left,) = list((production_plan.parent / "ikou-work" / "runs").glob("*/import/.*.part"))
    done = ikou("rehearse", str(production_plan))  # recovery seals it reconciled …
    assert done.returncode == 0, done.stderr
    placed = left.parent / "applicants.csv"  # … and the file takes its place
    assert placed.is_file() and not left.exists()
    events = chain_events(production_plan.parent / "ikou-work" / "audit.log")
    dead = left.parent.parent.name
    (event,) = [e for e in events if e.get("of_run") == dead and e["outcome"] == "placed"]
    written = next(e for e in events if e["run_id"] == dead and e["stage"] == "import")
    assert event["sha256"] == written["files"]["applicants"]["sha256"]


def test_a_production_run_of_files_only_needs_no_database(production_plan: Path) -> None:
    """Every table to the vendor's files: ikou migrate asks for no target.url, its
    preflight says no database is used, and the run seals."""
    import re

    text = production_plan.read_text("utf-8").replace(
        "  files:                                  # tables the vendor takes",
        "  files:\n    tenants: {format: csv}\n    members: {format: csv}"
        "  # tables the vendor takes",
    )
    production_plan.write_text(re.sub(r"(?m)^  url: .*\n", "", text), "utf-8")
    assert ikou("rehearse", str(production_plan)).returncode == 0
    signoff = production_plan.parent / "signoff.yaml"
    signoff.write_text(SIGNOFF, encoding="utf-8")
    done = ikou("migrate", str(production_plan), "--signoff", str(signoff))
    assert done.returncode == 0, done.stdout + done.stderr
    run = sorted((production_plan.parent / "ikou-work" / "runs").iterdir())[-1]
    report = json.loads((run / "report.json").read_text("utf-8"))
    assert report["status"] == "reconciled"
    target = next(c for c in report["preflight"] if c["item"] == "target")
    assert target["status"] == "ok" and target["code"] == "target_files_only"
    assert sorted(f["table"] for f in report["import_files"]) == [
        "applicants", "members", "tenants"
    ]  # fmt: skip


def test_placing_never_replaces_a_file_that_appeared_or_places_a_swapped_one(
    tmp_path: Path,
) -> None:
    """The placement is a hard link (which refuses an existing name) checked to be
    the file ikou wrote: a file that appeared at the name survives untouched, and
    a temporary file swapped after its check is not placed."""
    import os

    from ikou.audit.hashing import file_sha256
    from ikou.audit.shredding import FileIdentity
    from ikou.errors import ImportFileError
    from ikou.pipeline.importleft import move_no_replace

    temp, path = tmp_path / ".a.csv.part", tmp_path / "a.csv"
    temp.write_bytes(b"ours\r\n")
    info = os.stat(temp)
    ours = FileIdentity(info.st_dev, info.st_ino, info.st_size, file_sha256(temp))
    path.write_bytes(b"someone else's\r\n")
    with pytest.raises(ImportFileError, match="appeared during the run"):
        move_no_replace(temp, path, ours)
    assert path.read_bytes() == b"someone else's\r\n" and temp.exists()
    path.unlink()
    swapped = FileIdentity(info.st_dev, info.st_ino + 1, info.st_size, ours.sha256)
    with pytest.raises(ImportFileError, match="replaced while it was placed"):
        move_no_replace(temp, path, swapped)
    assert not path.exists() and temp.exists()
    move_no_replace(temp, path, ours)
    assert path.read_bytes() == b"ours\r\n" and not temp.exists()
