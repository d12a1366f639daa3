"""Code lookups: tables in the mapping's folder, matched after width and spaces."""

from __future__ import annotations

from pathlib import Path

import pytest

from ikou.errors import ConfigError
from ikou.mappings.spec import load_mapping
from ikou.pipeline.plan import load_plan
from tests.mappings.support import result


def _csv(folder: Path, text: str, name: str = "estates.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_table_matches_after_width_and_spaces(tmp_path: Path) -> None:
    _csv(tmp_path, "label,code\n第1団地,E01\n第２団地,E02\nさくら ハイツ,E03\n")
    out = result(
        "lookup",
        [
            "第1団地",
            "第１団地",
            "第 1 団地",
            "第2団地",
            "さくらハイツ",
            "さくら　ハイツ",
            "第3団地",
        ],
        folder=tmp_path,
        table="estates.csv",
    )
    assert out.values.tolist() == ["E01", "E01", "E01", "E02", "E03", "E03", None]
    assert out.reasons.tolist() == [None] * 6 + ["lookup.unknown"]


def test_yaml_table_and_bom_csv(tmp_path: Path) -> None:
    (tmp_path / "kinds.yaml").write_text("一般: 1\n特定目的: 2\n", encoding="utf-8")
    out = result("lookup", ["一般", "特定目的"], folder=tmp_path, table="kinds.yaml")
    assert out.values.tolist() == [1, 2]
    (tmp_path / "bom.csv").write_bytes("label,code\n男,M\n".encode("utf-8-sig"))
    assert result("lookup", ["男"], folder=tmp_path, table="bom.csv").values.tolist() == ["M"]


def _mapping(folder: Path, table: str) -> Path:
    path = folder / "mapping.yaml"
    path.write_text(
        "mapping: m\ntables:\n  t:\n    source: s\n    columns:\n"
        f"      estate:\n        from: 団地名\n        transforms: [{{lookup: {{table: {table}}}}}]\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read lookup table estates.csv"),
        ("name,value\n第1団地,E01\n", "needs a header row with label and code"),
        ("label,code\n第1団地,E01\n第１団地,E02\n", "matches an earlier one with another code"),
        ("label,code\n", "has no entries"),
        ("label,code\n第1団地,\n", "entry 1 needs a label and a code"),
    ],
)
def test_bad_tables_stop_before_anything_is_read(
    tmp_path: Path, content: str | None, message: str
) -> None:
    if content is not None:
        _csv(tmp_path, content)
    with pytest.raises(ConfigError) as caught:
        load_mapping(_mapping(tmp_path, "estates.csv"))
    assert "tables.t.columns.estate.transforms[0]" in str(caught.value)
    assert message in str(caught.value)


def test_table_is_part_of_the_plan_hash(housing_plan: Path) -> None:
    before = load_plan(housing_plan)
    assert "lookup:estates.csv" in before.file_sha256
    table = housing_plan.parent / "estates.csv"
    table.write_text(table.read_text(encoding="utf-8") + "中央団地,E06\n", encoding="utf-8")
    after = load_plan(housing_plan)
    assert after.file_sha256["lookup:estates.csv"] != before.file_sha256["lookup:estates.csv"]
    assert after.sha256 != before.sha256
