"""Totals and footnotes in a profile and its twin: marked where they stand, kept
by their form (＊…区計＊), never by their text (東灘, a note's words)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import xlwt
import yaml
from faker import Faker
from hypothesis import assume, given
from hypothesis import strategies as st
from openpyxl import Workbook

from ikou.mappings.summary import total_label
from ikou.pipeline.plan import SourceSpec
from ikou.pipeline.stages.extract import open_source
from ikou.pipeline.twin import profile_files, synthesize
from ikou.pipeline.twin.specials import NAME, label_template, note_marker, render_label

HEADER = ["区名", "町名", "世帯数", "人口", "備考"]
NOTES = ["※ 東灘区の住吉台を含む。", "　　住居表示の変更による。", "資料：神戸市企画調整局"]


def _ward(fake: Faker, rng: random.Random, rows: int) -> list[list[Any]]:
    return [
        [
            None,
            fake.town(),
            float(rng.randint(100, 900)),
            float(rng.randint(200, 2000)),
            rng.choice((None, None, fake.word())),
        ]
        for _ in range(rows)
    ]


def _grid(seed: int) -> list[list[Any]]:
    """Two wards with their totals (＊東灘区計＊, 灘 区 計), a grand total
    (＊合計＊), a blank row and three lines of notes under the table."""
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    east, west = _ward(fake, rng, 8), _ward(fake, rng, 6)

    def total(label: str, rows: list[list[Any]]) -> list[Any]:
        return [label, None, sum(r[2] for r in rows), sum(r[3] for r in rows), None]

    return [
        ["町丁別世帯数・人口（令和6年3月末現在）"],
        [],
        HEADER,
        *east,
        total("＊東灘区計＊", east),
        *west,
        total("灘 区 計", west),
        total("＊合計＊", east + west),
        [],
        *[[note] for note in NOTES],
    ]


def _write(path: Path, grid: list[list[Any]]) -> None:
    if path.suffix == ".xlsx":
        book = Workbook()
        book.active.title = "世帯数"
        for row in grid:
            book.active.append(row)
        book.save(path)
        return
    xls = xlwt.Workbook(encoding="utf-8")
    sheet = xls.add_sheet("世帯数")
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    xls.save(str(path))


def _marked(sheet: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (s["at"], s["kind"], s.get("column"), s.get("label"), s.get("label_form"), s.get("marker"))
        for s in sheet["specials"]
    ]


@pytest.mark.parametrize("suffix", [".xls", ".xlsx"])
def test_totals_and_footnotes_are_marked_by_form_and_twinned(tmp_path: Path, suffix: str) -> None:
    original = tmp_path / f"households{suffix}"
    grid = _grid(5)
    _write(original, grid)
    profile = profile_files([original])
    (sheet,) = profile["files"][0]["sheets"]
    assert sheet["header_row"] == 3
    assert _marked(sheet) == [
        (9, "total", 1, None, "＊…区計＊", None),
        (16, "total", 1, None, "… 区 計", None),
        (17, "total", 1, None, "＊合計＊", None),
        (18, "blank", None, None, None, None),
        (19, "footnote", 1, None, None, "※"),
        (20, "footnote", 1, None, None, ""),
        (21, "footnote", 1, None, None, "資料"),
    ]
    assert sheet["data_rows"] == 14
    text = yaml.safe_dump(profile, allow_unicode=True)
    assert "東灘" not in text and "灘 区" not in text and "住吉台" not in text
    assert not any(note.strip() in text for note in NOTES)
    values = {v for row in grid[3:] for v in row if isinstance(v, str) and len(v) >= 2}
    assert {v for v in values if v in text} <= {"＊合計＊"}  # a structural word, decorated

    (twin,) = synthesize(profile, tmp_path / "twin", seed=8)
    again = profile_files([twin])["files"][0]["sheets"][0]
    assert _marked(again) == _marked(sheet)  # the same rows, in the same places
    spec = SourceSpec(rehearsal=twin.name, format="auto")
    ((_, cells),) = open_source(twin, twin.name, spec, every_sheet=True).grids
    rows = [list(r) for r in cells[3:]]
    east, west = rows[:8], rows[9:15]
    assert (
        rows[8][0].startswith("＊") and rows[8][0].endswith("区計＊") and rows[8][0] != "＊…区計＊"
    )
    assert rows[15][0].endswith(" 区 計") and total_label(rows[15][0])
    assert rows[16][0] == "＊合計＊"
    assert rows[8][2] == sum(r[2] for r in east if isinstance(r[2], float))
    assert rows[16][3] == sum(r[3] for r in east + west if isinstance(r[3], float))
    assert rows[18][0].startswith("※") and rows[20][0].startswith("資料：")


def test_footnotes_stay_at_the_foot_of_a_twin_of_any_size(tmp_path: Path) -> None:
    original = tmp_path / "households.xlsx"
    _write(original, _grid(6))
    profile = profile_files([original])
    (twin,) = synthesize(profile, tmp_path / "twin", rows=40, seed=2)
    again = profile_files([twin])["files"][0]["sheets"][0]
    kinds = [s["kind"] for s in again["specials"]]
    assert kinds[-4:] == ["blank", "footnote", "footnote", "footnote"]
    assert again["data_rows"] == 40 and kinds.count("total") == 3


@given(
    name=st.text(st.sampled_from("東灘兵庫長田須磨垂水北西住吉台"), min_size=1, max_size=6),
    tail=st.sampled_from(["区計", "計", "市計", "支所計", "合計", "小計", "年度計"]),
    left=st.sampled_from(["", "＊", "*", "【", "◎"]),
    spaced=st.booleans(),
)
def test_a_total_label_keeps_its_form_and_never_its_name(
    name: str, tail: str, left: str, spaced: bool
) -> None:
    right = {"【": "】", "＊": "＊", "*": "*"}.get(left, "")
    label = left + (" " if spaced else "").join(name + tail) + right
    assume(total_label(label))
    form = label_template(label)
    assert form.count(NAME) in (1, 2) and not set(name) & set(form)  # 2: spaced out
    assert form.startswith(left + NAME) and form.endswith(right)
    fake = Faker("ja_JP")
    fake.seed_instance(len(label))
    again = render_label({"label_form": form}, fake)
    assert total_label(again) and label_template(again) == form


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("※ 東灘区を含む", "※"),
        ("＊印は推計", "＊"),
        ("注1 住民基本台帳による", "注"),
        ("（注）外国人を含む", "(注)"),
        ("a) 前年比", "a)"),
        ("(1) 年度末", "(1)"),
        ("出典：総務省", "出典"),
        ("https://www.city.kobe.lg.jp/", "URL"),
        ("住居表示の変更による", ""),
    ],
)
def test_a_footnote_keeps_its_marker_only(text: str, marker: str) -> None:
    assert note_marker(text) == marker
