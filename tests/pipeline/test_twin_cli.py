"""``ikou profile``'s options: ``--header-row 3,4`` for a header over several
rows, and one sentence with exit 2 for what cannot be used."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlwt
import yaml
from faker import Faker

from ikou.errors import BadInput
from ikou.pipeline.cli import main
from ikou.pipeline.cli.twin import header_rows


def _two_row_sheet(path: Path) -> None:
    """児童数 over 男 and 女 (merged across them), 校名 merged down both rows;
    the header is rows 3-4, under a title."""
    fake = Faker("ja_JP")
    fake.seed_instance(4)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("児童")
    sheet.write(0, 0, "市立小学校 児童数")
    sheet.write_merge(2, 3, 0, 0, "校名")
    sheet.write_merge(2, 2, 1, 2, "児童数")
    sheet.write(3, 1, "男")
    sheet.write(3, 2, "女")
    for r in range(4, 24):
        sheet.write(r, 0, fake.city() + "小学校")
        sheet.write(r, 1, float(fake.random_int(50, 400)))
        sheet.write(r, 2, float(fake.random_int(50, 400)))
    book.save(str(path))


@pytest.mark.parametrize(
    ("text", "rows"),
    [("3", 3), ("3,4", [3, 4]), ("2,3,4", [2, 3, 4]), (" 3 , 4 ", [3, 4]), ("３,４", [3, 4])],
)
def test_header_row_takes_one_row_or_consecutive_rows(text: str, rows: int | list[int]) -> None:
    assert header_rows(text) == rows


@pytest.mark.parametrize("text", ["", "x", "3;4", "0", "3,5", "4,3", "1,2,3,4", "3,", "-1"])
def test_header_row_refuses_anything_else(text: str) -> None:
    with pytest.raises(BadInput, match=r"^--header-row '.*' is not "):
        header_rows(text)


def test_profile_header_row_3_4_names_columns_by_path(tmp_path: Path) -> None:
    _two_row_sheet(tmp_path / "schools.xls")
    out = tmp_path / "profile.yaml"
    args = ["profile", str(tmp_path / "schools.xls"), "-o", str(out), "--header-row", "3,4"]
    assert main(args) == 0
    (sheet,) = yaml.safe_load(out.read_text("utf-8"))["files"][0]["sheets"]
    assert (sheet["header_row"], sheet["header_rows"]) == (4, [3, 4])
    assert [c["name"] for c in sheet["columns"]] == ["校名", "児童数/男", "児童数/女"]


@pytest.mark.parametrize("given", ["3,5", "three", "0"])
def test_a_bad_header_row_is_one_sentence_and_exit_2(
    tmp_path: Path, given: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_row_sheet(tmp_path / "schools.xls")
    out = tmp_path / "profile.yaml"
    args = ["profile", str(tmp_path / "schools.xls"), "-o", str(out), "--header-row", given]
    assert main(args) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and f"--header-row '{given}'" in said[0] and "(3,4" in said[0]
    assert not out.exists()


def test_a_profile_into_a_missing_folder_is_exit_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_row_sheet(tmp_path / "schools.xls")
    missing = tmp_path / "no-such-folder"
    assert main(["profile", str(tmp_path / "schools.xls"), "-o", str(missing / "x.yaml")]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and str(missing) in said[0] and "does not exist" in said[0]
    assert "Traceback" not in said[0] and not missing.exists()
